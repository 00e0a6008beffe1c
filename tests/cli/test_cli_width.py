"""`argus doctor` and `argus models list` read in an 80-column terminal.

Each runs as a subprocess with ``COLUMNS=80`` (Rich honours it): no line may be wider, every
model's name must appear whole, and the pull command of every model not installed must appear
whole on a line of its own, ready to copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from argus.config import Settings
from argus.models.pool import ModelPool

WIDTH = 80


def run_80(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(WIDTH), "ARGUS_DATA_DIR": str(tmp_path / "data")}
    env["ARGUS_OFFLINE"] = "1"
    env.pop("LINES", None)
    return subprocess.run(
        [sys.executable, "-m", "argus.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def assert_readable(output: str, tmp_path: Path) -> list[str]:
    lines = output.splitlines()
    too_wide = [line for line in lines if len(line.rstrip()) > WIDTH]
    assert not too_wide, "\n".join(too_wide)
    statuses = ModelPool(Settings(data_dir=tmp_path / "data", offline=True)).status()
    words = set(output.split())
    for status in statuses:
        assert status.name in words, f"{status.name} is cut or missing"
        if not status.installed and status.pull_command:
            assert f"  {status.pull_command}" in lines, f"{status.pull_command!r} is not whole"
    assert "…" not in output  # Rich's ellipsis: something was cut
    return lines


def test_models_list_fits_80_columns_and_names_every_model_whole(tmp_path: Path) -> None:
    result = run_80(tmp_path, "models", "list")
    assert result.returncode == 0, result.stderr
    lines = assert_readable(result.stdout, tmp_path)
    assert len(lines) < 45  # one line per model, no licence wrapped over five lines
    assert any("haar-plate-ru-16" in line and "built-in" in line for line in lines)


def test_models_list_verbose_gives_the_licences(tmp_path: Path) -> None:
    result = run_80(tmp_path, "models", "list", "-v")
    assert result.returncode == 0, result.stderr
    assert_readable(result.stdout, tmp_path)
    assert "AGPL-3.0" in result.stdout  # NudeNet's upstream licence, said in full


@pytest.mark.timeout(300)
def test_doctor_fits_80_columns_and_prints_the_pull_commands_whole(tmp_path: Path) -> None:
    result = run_80(tmp_path, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = assert_readable(result.stdout, tmp_path)
    assert any(line.split()[:2] == ["geonames-cities", "yes"] for line in lines if line.split())
