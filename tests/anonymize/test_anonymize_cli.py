"""`argus anonymize PATH... --out DIR` in-process through Typer's runner."""

from __future__ import annotations

import json
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

    result = CliRunner().invoke(app, ["anonymize", str(photos), str(junk), "--out", str(out)])

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
