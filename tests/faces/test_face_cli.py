"""`argus faces enrol` and `argus faces identify` on real photos, and what a server then sees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from argus.api.app import create_app
from argus.cli.main import app as cli
from argus.config import Settings

RGB = npt.NDArray[np.uint8]


def test_enrol_then_identify_from_the_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    astronaut: RGB,
    grace_hopper: RGB,
    astronaut_copy: RGB,
    third_person: RGB,
    coffee: RGB,
    encode_image: Callable[..., bytes],
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_OFFLINE", "1")
    paths = {}
    for name, image in {
        "eileen": astronaut,
        "grace": grace_hopper,
        "query": astronaut_copy,
        "stranger": third_person,
        "coffee": coffee,
    }.items():
        paths[name] = tmp_path / f"{name}.jpg"
        paths[name].write_bytes(encode_image(image))
    runner = CliRunner()

    done = runner.invoke(cli, ["faces", "enrol", "crew", "Eileen", str(paths["eileen"])])
    assert done.exit_code == 0, done.output
    assert "created gallery 'crew'" in done.output and "enrolled eileen.jpg" in done.output
    done = runner.invoke(
        cli, ["faces", "enrol", "crew", "Grace", str(paths["grace"]), str(paths["coffee"])]
    )
    assert done.exit_code == 0 and "rejected coffee.jpg" in done.output

    found = runner.invoke(
        cli, ["faces", "identify", "crew", str(paths["query"]), str(paths["stranger"]), "--json"]
    )
    assert found.exit_code == 0, found.output
    rows = [json.loads(line) for line in found.output.splitlines() if line.startswith("{")]
    assert [r["subject"] for r in rows] == ["Eileen", "unknown"]

    missing = runner.invoke(cli, ["faces", "identify", "nope", str(paths["query"])])
    assert missing.exit_code == 2 and "No gallery named 'nope'" in missing.output

    # a server on the same database sees what the command line enrolled
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", offline=True))) as c:
        subjects = c.get("/api/v1/galleries/crew/subjects").json()["subjects"]
        assert [s["name"] for s in subjects] == ["Eileen", "Grace"]
