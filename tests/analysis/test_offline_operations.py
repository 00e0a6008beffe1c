"""Seed 003's task list with the offline package built-ins, through the real HTTP API on real
photos: NanoDet's prominent person (not on a cat or a star field), face-api's age and gender on
CenterFace's faces, and EfficientNet-Lite0's image embedding."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import skimage.data
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings

RGB = npt.NDArray[np.uint8]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def results(client: TestClient, data: bytes, tasks: list[dict[str, Any]]) -> Any:
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("photo.jpg", data, "image/jpeg")},
        data={"tasks_json": json.dumps(tasks)},
    )
    assert r.status_code == 200, r.text
    return r.json()["results"]


PERSON = [{"operation_id": "person", "type": "detect_bounding_box"}]


def test_a_cat_and_a_star_field_have_no_prominent_person(
    client: TestClient, chelsea: RGB, encode_image: Callable[..., bytes]
) -> None:
    for image in (chelsea, np.ascontiguousarray(skimage.data.hubble_deep_field())):
        res = results(client, encode_image(image), PERSON)
        assert res["person"]["status"] == "success"
        assert res["person"]["data"] is None


def test_the_prominent_person_of_a_group_photo_is_one_woman_with_a_face(
    client: TestClient, face_api_photos: list[RGB], encode_image: Callable[..., bytes]
) -> None:
    photo = face_api_photos[0]
    tasks = [*PERSON, {"operation_id": "faces", "type": "detect_faces"}]
    res = results(client, encode_image(photo), tasks)
    x1, _, x2, _ = res["person"]["data"]
    w = photo.shape[1]
    assert (x2 - x1) < 0.6 * w  # one of the three women, not the whole group
    faces = res["faces"]["data"]
    assert len(faces) == 3
    inside = [f for f in faces if x1 <= (f["box"][0] + f["box"][2]) / 2 <= x2]
    assert inside


def test_age_and_gender_of_the_astronaut_and_of_every_woman_in_a_group(
    client: TestClient,
    astronaut: RGB,
    face_api_photos: list[RGB],
    encode_image: Callable[..., bytes],
) -> None:
    op = {"operation_id": "ag", "type": "estimate_age_gender"}
    res = results(client, encode_image(astronaut), [op])["ag"]
    assert res["status"] == "success"
    assert res["data"]["gender"] == "female"
    assert 20 <= res["data"]["age"] <= 60
    assert res["cropped_image_bbox"] is not None  # the face it looked at
    every = {**op, "params": {"target": "whole_image"}}
    rows = results(client, encode_image(face_api_photos[4]), [every])["ag"]["data"]
    assert len(rows) == 5
    assert sum(r["gender"] == "female" for r in rows) >= 4
    assert all(10 <= r["age"] <= 60 for r in rows)


def test_embed_image_puts_a_cat_near_its_own_crop_and_far_from_coffee(
    client: TestClient, chelsea: RGB, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    task = [{"operation_id": "v", "type": "embed_image"}]

    def vector(image: RGB) -> npt.NDArray[np.float64]:
        res = results(client, encode_image(image), task)["v"]
        assert res["status"] == "success"
        v = np.asarray(res["data"], np.float64)
        assert v.shape == (1280,)
        return v / np.linalg.norm(v)

    cat, crop, cup = vector(chelsea), vector(chelsea[20:280, 40:420]), vector(coffee)
    assert float(cat @ crop) > float(cat @ cup) + 0.2


def test_the_new_operations_are_listed(client: TestClient) -> None:
    ops = client.get("/available_operations/").json()["operations"]
    assert ops["estimate_age_gender"]["default_target"] == "prominent_face"
    assert ops["embed_image"]["allowed_targets"] == [
        "whole_image",
        "prominent_person",
        "prominent_face",
    ]


def test_without_the_converted_models_faces_come_from_dlib_and_the_new_operations_say_why(
    tmp_path: Path, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    bare = Settings(
        data_dir=tmp_path / "data", offline=True, models={"converted_dir": tmp_path / "none"}
    )
    tasks = [
        {"operation_id": "faces", "type": "detect_faces"},
        {"operation_id": "ag", "type": "estimate_age_gender"},
    ]
    with TestClient(create_app(bare)) as client:
        res = results(client, encode_image(astronaut), tasks)
    (face,) = res["faces"]["data"]  # dlib HOG found her face
    x1, y1, x2, y2 = face["box"]
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200
    assert res["ag"]["status"] == "error"
    assert "faceapi-age-gender" in res["ag"]["error_message"]
