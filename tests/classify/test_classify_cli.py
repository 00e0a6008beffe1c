"""`argus classify`: files and folders through the same pipeline and cache, JSON or CSV out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from classify_support import with_gps
from typer.testing import CliRunner

from argus.cli.main import app
from support.images import encode

runner = CliRunner()
RGB = Any


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")


def test_a_folder_is_classified_and_the_second_run_comes_from_the_cache(
    tmp_path: Path, astronaut: RGB, coffee: RGB
) -> None:
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    (folder / "astronaut.jpg").write_bytes(encode(astronaut))
    (folder / "trip" / "coffee.jpg").write_bytes(with_gps(coffee, 48.8566, 2.3522))
    (folder / "notes.txt").write_text("not a photo")
    result = runner.invoke(app, ["classify", str(folder), "-j", "2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    by_name = {Path(r["path"]).name: r for r in rows}
    assert set(by_name) == {"astronaut.jpg", "coffee.jpg"}
    assert by_name["astronaut.jpg"]["category"] == "single_person"
    assert by_name["astronaut.jpg"]["from_cache"] is False
    assert by_name["astronaut.jpg"]["engine"] == "local"
    assert by_name["coffee.jpg"]["location"]["city"] == "Paris"

    again = runner.invoke(app, ["classify", str(folder / "astronaut.jpg"), "--format", "csv"])
    assert again.exit_code == 0, again.output
    (row,) = list(csv.DictReader(io.StringIO(again.stdout)))
    assert row["category"] == "single_person"
    assert row["inference_method"] == "cache"
    assert row["engine"] == "local"  # the engine whose answer was cached
    assert row["from_cache"] == "True"


def test_a_file_that_is_not_an_image_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["classify", str(bad), "--output", str(out)])
    assert result.exit_code == 1
    (row,) = json.loads(out.read_text())
    assert row["error"].startswith("无效的图片文件")
    missing = runner.invoke(app, ["classify", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
