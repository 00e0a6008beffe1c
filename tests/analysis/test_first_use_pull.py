"""Seed 003's user story: the first request that needs CLIP on a server that is not offline
starts its download and is told to try again shortly; /api/v1/models shows the progress; once
the files are in, the same request returns the vector. A loopback fake hub serves the model."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analysis_support import clip_repo, tower_weights
from fastapi.testclient import TestClient

from argus.api.app import create_app
from fakehub import pull_settings, running_hub

TASKS = json.dumps([{"operation_id": "clip", "type": "embed_clip_vit_b_32"}])


def analyse(client: TestClient, data: bytes) -> dict[str, Any]:
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("p.png", data, "image/png")},
        data={"tasks_json": TASKS},
    )
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()["results"]["clip"]
    return result


def test_the_first_clip_request_starts_the_download_and_a_later_one_is_answered(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, encode_image: Callable[..., bytes]
) -> None:
    photo = encode_image(np.full((64, 64, 3), 90, np.uint8), "PNG")
    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo("Xenova/clip-vit-base-patch32", clip_repo(tower_weights(512, seed=1)))
        with TestClient(create_app(pull_settings(tmp_path, fake))) as client:
            first = analyse(client, photo)
            assert first["status"] == "error"
            assert "Downloading clip-vit-b-32" in first["error_message"]
            assert "try again shortly" in first["error_message"]

            deadline = time.monotonic() + 60
            while True:
                models = {m["name"]: m for m in client.get("/api/v1/models").json()["models"]}
                download = models["clip-vit-b-32"]["download"]
                assert download is not None and download["status"] != "failed", download
                if download["status"] == "completed":
                    break
                assert time.monotonic() < deadline, "the download did not finish in 60 s"
                time.sleep(0.1)
            assert models["clip-vit-b-32"]["installed"] and download["percent"] == 100

            later = analyse(client, photo)
            assert later["status"] == "success", later
            assert len(later["data"]) == 512
