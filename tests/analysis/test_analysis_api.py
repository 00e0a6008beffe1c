"""Seed 003's task list through the real HTTP API, with built-in models on real photos."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from analysis_support import counting_server
from fastapi.testclient import TestClient
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings

RGB = npt.NDArray[np.uint8]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def upload(client: TestClient, data: bytes, tasks: Any, name: str = "photo.jpg") -> Any:
    body = tasks if isinstance(tasks, str) else json.dumps(tasks)
    return client.post(
        "/analyze_image_upload/",
        files={"image_file": (name, data, "image/jpeg")},
        data={"tasks_json": body},
    )


def test_astronaut_has_a_person_box_with_her_face_inside_and_a_png_face_crop(
    client: TestClient, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    tasks = [
        {"operation_id": "person", "type": "detect_bounding_box"},
        {
            "operation_id": "face",
            "type": "detect_bounding_box",
            "params": {"target": "prominent_face", "face_context": "prominent_person"},
        },
        {
            "operation_id": "face_anywhere",
            "type": "detect_bounding_box",
            "params": {"target": "prominent_face", "face_context": "whole_image"},
        },
        {"operation_id": "face_vector", "type": "embed_face"},
    ]
    r = upload(client, encode_image(astronaut, "PNG"), tasks, "astronaut.png")
    assert r.status_code == 200
    body = r.json()
    assert body["image_url"] == "uploaded:astronaut.png"
    res = body["results"]
    px1, py1, px2, py2 = res["person"]["data"]
    fx1, fy1, fx2, fy2 = res["face"]["data"]
    assert res["face_anywhere"]["data"] == res["face"]["data"]
    # her face is in the upper middle of the 512x512 portrait, and inside the person box
    assert 150 < fx1 < fx2 < 300 and 50 < fy1 < fy2 < 200
    assert px1 <= fx1 and py1 <= fy1 and fx2 <= px2 and fy2 <= py2
    assert (px2 - px1) > 2 * (fx2 - fx1) and py2 > 400  # head and torso, not just the face
    for key in ("person", "face"):
        assert res[key]["cropped_image_bbox"] is None and res[key]["cropped_image_base64"] is None

    vector = res["face_vector"]
    assert vector["status"] == "success" and len(vector["data"]) == 128
    x1, y1, x2, y2 = vector["cropped_image_bbox"]
    assert [x1, y1, x2, y2] == res["face"]["data"]
    png = base64.b64decode(vector["cropped_image_base64"])
    assert png.startswith(b"\x89PNG")
    crop = Image.open(io.BytesIO(png))
    assert crop.size == (x2 - x1, y2 - y1)
    assert np.array_equal(np.asarray(crop.convert("RGB")), astronaut[y1:y2, x1:x2])


def test_no_person_falls_back_to_the_whole_image_and_no_face_skips(
    client: TestClient, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    tasks = [
        {"operation_id": "person", "type": "detect_bounding_box"},
        {"operation_id": "face", "type": "embed_face"},
        {"operation_id": "nsfw", "type": "detect_nsfw", "params": {"target": "prominent_person"}},
    ]
    res = upload(client, encode_image(coffee), tasks).json()["results"]
    assert res["person"] == {
        "status": "success",
        "data": None,
        "cropped_image_bbox": None,
        "cropped_image_base64": None,
        "error_message": None,
    }
    assert res["face"]["status"] == "skipped"
    assert res["face"]["error_message"] == "No prominent face found for operation 'face'."
    assert res["nsfw"]["status"] == "success" and res["nsfw"]["cropped_image_bbox"] is None
    assert res["nsfw"]["data"]["explicit"] is False


def test_skip_and_error_rules_and_a_missing_model_leaves_other_tasks_alone(
    client: TestClient, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    tasks = [
        {"operation_id": "a", "type": "make_coffee"},
        {"operation_id": "b", "type": "detect_bounding_box", "params": {"target": "whole_image"}},
        {"operation_id": "c", "type": "embed_clip_vit_b_32"},
        {"operation_id": "d", "type": "classify"},
        {"operation_id": "e", "type": "classify", "params": {"collection_id": 42}},
        {"operation_id": "f", "type": "describe_image"},
        {"operation_id": "g", "type": "detect_faces"},
        {"operation_id": "g", "type": "detect_plates"},  # duplicate id: the last one wins
    ]
    res = upload(client, encode_image(astronaut), tasks).json()["results"]
    assert res["a"]["status"] == "skipped"
    assert res["a"]["error_message"] == "Unsupported operation type: 'make_coffee'"
    assert (
        res["b"]["status"] == "skipped"
        and "Allowed: ['prominent_person'" in res["b"]["error_message"]
    )
    assert res["c"]["status"] == "error"
    assert "argus models pull clip-vit-b-32" in res["c"]["error_message"]
    assert res["d"]["status"] == "skipped" and "collection_id" in res["d"]["error_message"]
    assert res["e"]["error_message"] == "Classifier not found for collection_id 42."
    assert res["f"]["status"] == "error" and "argus models pull" in res["f"]["error_message"]
    assert res["g"] == {
        "status": "success",
        "data": [],
        "cropped_image_bbox": None,
        "cropped_image_base64": None,
        "error_message": None,
    }


def test_every_builtin_operation_in_one_request_decodes_once(
    client: TestClient, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    ops = client.get("/available_operations/").json()["operations"]
    tasks = [{"operation_id": name, "type": name} for name in ops]
    analyzer_before = 0
    r = upload(client, encode_image(astronaut), tasks)
    assert r.status_code == 200
    assert client.app.state.analyzer.decodes == analyzer_before + 1  # type: ignore[attr-defined]
    res = r.json()["results"]
    assert set(res) == set(ops)
    faces = res["detect_faces"]["data"]
    assert len(faces) == 1 and len(faces[0]["landmarks"]) == 5
    assert res["detect_nsfw"]["data"]["explicit"] is False
    assert res["ocr"]["status"] == "success"
    assert res["embed_face"]["status"] == "success"
    assert res["classify_photo_category"]["data"]["category"] == "single_person"
    upload(client, encode_image(astronaut), tasks[:2])
    assert client.app.state.analyzer.decodes == 2  # type: ignore[attr-defined]


def test_available_operations_lists_the_seed_operations(client: TestClient) -> None:
    ops = client.get("/available_operations/").json()["operations"]
    assert ops["detect_bounding_box"] == {
        "description": "Detects a bounding box for a specified target.",
        "allowed_targets": ["prominent_person", "prominent_face"],
        "default_target": "prominent_person",
    }
    for name in ("embed_clip_vit_b_32", "embed_dino_v2", "classify", "describe_image"):
        assert ops[name]["allowed_targets"] == ["whole_image", "prominent_person", "prominent_face"]
        assert ops[name]["default_target"] == "whole_image"
    assert {"detect_faces", "embed_face", "ocr", "detect_nsfw", "detect_plates"} <= set(ops)
    assert "classify_photo_category" in ops


@pytest.mark.parametrize(
    "tasks_json",
    ["[{", '{"operation_id": "x"}', '[{"type": "detect_bounding_box"}]', "", "[1, 2]"],
)
def test_bad_tasks_json_is_400(
    client: TestClient, astronaut: RGB, encode_image: Callable[..., bytes], tasks_json: str
) -> None:
    r = upload(client, encode_image(astronaut), tasks_json)
    assert r.status_code in (400, 422)
    if tasks_json:  # an empty form field is a missing field: FastAPI's 422
        assert r.status_code == 400
        assert r.json()["detail"].startswith("Invalid tasks JSON format or structure:")


def test_bad_uploads_get_the_right_4xx(
    tmp_path: Any, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    settings = Settings(data_dir=tmp_path / "d", offline=True, imaging={"max_image_mb": 0.05})
    tasks = [{"operation_id": "p", "type": "detect_bounding_box"}]
    jpeg = encode_image(astronaut)
    with TestClient(create_app(settings)) as client:
        assert upload(client, b"", tasks).status_code == 400
        truncated = upload(client, jpeg[: len(jpeg) // 3], tasks)
        assert truncated.status_code in (400, 413)
        text = upload(client, b"hello, I am not a photo\n" * 10, tasks, "fake.jpg")
        assert text.status_code == 400  # the seed README's 400, not Argus's 415
        assert text.json()["detail"].startswith("Could not process image:")
        big = upload(client, jpeg + b"\0" * 60_000, tasks)
        assert big.status_code == 413
        small = upload(client, encode_image(astronaut[::8, ::8], quality=70), tasks)
        assert small.status_code == 200


def test_image_url_from_an_allowed_loopback_server_and_refused_by_default(
    tmp_path: Any, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    tasks = [
        {
            "operation_id": "face",
            "type": "detect_bounding_box",
            "params": {"target": "prominent_face"},
        }
    ]
    allowed = Settings(
        data_dir=tmp_path / "a", offline=True, analysis={"fetch_allowed_networks": ["127.0.0.1/32"]}
    )
    with counting_server() as server:
        server.routes["/astronaut.jpg"] = (
            200,
            {"Content-Type": "image/jpeg"},
            encode_image(astronaut),
        )
        url = server.url("/astronaut.jpg")
        with TestClient(create_app(allowed)) as client:
            r = client.post("/analyze_image/", json={"image_url": url, "tasks": tasks})
            assert r.status_code == 200
            assert r.json()["image_url"] == url
            assert r.json()["results"]["face"]["data"] is not None
            unreachable = client.post(
                "/analyze_image/", json={"image_url": server.url("/gone.jpg"), "tasks": tasks}
            )
            assert unreachable.status_code == 400
            assert unreachable.json()["detail"].startswith("Could not download image from URL:")
        assert server.connections >= 2
        before = server.connections
        with TestClient(create_app(Settings(data_dir=tmp_path / "b", offline=True))) as client:
            r = client.post("/analyze_image/", json={"image_url": url, "tasks": tasks})
            assert r.status_code == 400
            assert "loopback" in r.json()["detail"]
            bad = client.post("/analyze_image/", json={"image_url": "not a url", "tasks": tasks})
            assert bad.status_code == 422
        assert server.connections == before
