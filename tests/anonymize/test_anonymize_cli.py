"""`argus anonymize PATH... --out DIR` in-process through Typer's runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from anon_support import decode_rgb
from plates_support import encode, inside_mask, street
from typer.testing import CliRunner

from argus.cli.main import app

RGB = npt.NDArray[np.uint8]


def test_cli_covers_plates_in_a_folder_without_overwriting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, coffee: RGB, chelsea: RGB
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    car, quad = street(coffee)
    (photos / "photo.jpg").write_bytes(encode(car))
    (photos / "sub" / "photo.png").write_bytes(encode(chelsea, "PNG"))
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    out = tmp_path / "out"

    command = ["anonymize", str(photos), str(junk), "--out", str(out), "--json"]
    result = CliRunner().invoke(app, command)

    assert result.exit_code == 1, result.output  # one file failed
    rows = json.loads(result.stdout[result.stdout.index("[") : result.stdout.rindex("]") + 1])
    assert [Path(r["path"]).name for r in rows] == ["photo.jpg", "photo.png", "junk.jpg"]
    assert [Path(r["output"]).name for r in rows[:2]] == [
        "covered_photo.webp",
        "covered_photo-1.webp",
    ]
    assert rows[2]["output"] is None and rows[2]["error"]
    assert rows[0]["detections"][0]["label"] == "plate"
    covered = decode_rgb((out / "covered_photo.webp").read_bytes())
    assert covered.shape == car.shape
    diff = np.abs(covered.astype(int) - car.astype(int)).mean(axis=2)
    assert (diff[inside_mask(car.shape, quad)] > 40).mean() > 0.9
    assert decode_rgb((out / "covered_photo-1.webp").read_bytes()).shape == chelsea.shape


def test_cli_prints_one_short_line_per_image_and_a_summary(
    tmp_path: Path, coffee: RGB, chelsea: RGB
) -> None:
    """Without --json: a line per image naming its result and what was hidden, at 80 columns."""
    photos = tmp_path / "photos"
    photos.mkdir()
    car, _ = street(coffee)
    (photos / "car.jpg").write_bytes(encode(car))
    (photos / "cat.png").write_bytes(encode(chelsea, "PNG"))
    (photos / "broken.jpg").write_bytes(b"not a picture")
    out = tmp_path / "out"
    env = {**os.environ, "COLUMNS": "80", "ARGUS_DATA_DIR": str(tmp_path / "data")}
    env["ARGUS_OFFLINE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "argus.cli.main", "anonymize", str(photos), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 1, result.stderr  # the broken file
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    # Paths relative to the folder given; a long error wraps onto the next line, never cut.
    assert "car.jpg -> covered_car.webp (1 plate)" in lines
    assert "cat.png -> covered_cat.webp (nothing found)" in lines
    (broken,) = [line for line in lines if line.startswith("broken.jpg")]
    assert broken.startswith("broken.jpg: failed: The file is not an image")
    assert "supported: JPEG" in result.stdout
    assert len(lines) <= 5
    assert "2 anonymized, 1 failed" in result.stderr
