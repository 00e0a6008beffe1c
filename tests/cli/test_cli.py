"""The `argus` command line, run in-process through Typer's runner with a real environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argus.cli.main import app
from argus.models.catalog import BUILTINS

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")


def test_models_list_shows_every_builtin_installed_with_no_network() -> None:
    result = runner.invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert {s.name for s in BUILTINS} <= set(rows)
    assert all(rows[s.name]["installed"] for s in BUILTINS)


def test_models_list_table_names_the_models() -> None:
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0
    assert "nudenet-320n" in result.output


def test_config_prints_effective_settings_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARGUS_MODELS__HUB_TOKEN", "hf_supersecret")
    monkeypatch.setenv("ARGUS_IMAGING__MAX_IMAGE_MB", "7.5")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "hf_supersecret" not in result.output
    data = json.loads(result.output)
    assert data["imaging"]["max_image_mb"] == 7.5
    assert data["offline"] is True


def test_pull_is_refused_offline_with_a_clear_message() -> None:
    result = runner.invoke(app, ["models", "pull", "someone/some-model"])
    assert result.exit_code == 2
    assert "downloads_disabled" in result.output
