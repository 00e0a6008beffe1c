"""Seed 001 on a fresh offline install: its default model name is answered by the built-in
Open NSFW classifier, real photos come back ``normal``, and NudeNet's fine labels are an Argus
route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from fastapi.testclient import TestClient
from moderation_support import RGB, SEED_MODEL, client_for, upload

from argus.config import Settings
from argus.models.nsfw_builtin import nsfw_score, scores_from
from argus.vision.boxes import iou_matrix
from argus.vision.detections import Detections

PHOTOS = ["astronaut", "coffee", "chelsea", "grace_hopper"]
ASTRONAUT_FACE = (173, 83, 274, 180)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("builtin") / "data"
    with client_for(Settings(data_dir=data_dir, offline=True)) as c:
        yield c


@pytest.mark.parametrize(
    ("exposed", "expected"),
    [(0.0, 0.0), (0.3, 0.18), (0.5, 0.5), (0.75, 0.75), (1.0, 1.0)],
)
def test_exposed_score_maps_to_nsfw_with_the_boundary_at_one_half(
    exposed: float, expected: float
) -> None:
    assert nsfw_score(exposed) == pytest.approx(expected)


def test_no_detection_is_certainly_normal() -> None:
    assert scores_from(Detections.empty()) == [("normal", 1.0), ("nsfw", 0.0)]
    faces = Detections.from_arrays([[0, 0, 10, 10]], [0.99], ["FACE_FEMALE"])
    assert scores_from(faces)[0] == ("normal", 1.0)
    explicit = Detections.from_arrays([[0, 0, 10, 10]], [0.9], ["FEMALE_BREAST_EXPOSED"])
    assert scores_from(explicit)[0][0] == "nsfw"


@pytest.mark.parametrize("name", PHOTOS)
def test_real_photos_are_normal_above_the_seed_threshold(
    client: TestClient,
    name: str,
    request: pytest.FixtureRequest,
    encode_image: Callable[..., bytes],
) -> None:
    photo: RGB = request.getfixturevalue(name)
    resp = client.post(
        "/api/image-classification", files=upload(encode_image(photo), "photo.jpg", "image/jpeg")
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [row["label"] for row in body] == ["normal", "nsfw"]
    assert body[0]["score"] >= 0.7
    assert body[0]["score"] + body[1]["score"] == pytest.approx(1.0)
    assert resp.headers["X-Argus-Models"] == f"{SEED_MODEL}=open-nsfw"


def test_query_with_the_seed_defaults_finds_nothing_on_a_harmless_photo(
    client: TestClient, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    resp = client.post(
        "/api/image-query-classification",
        files=upload(encode_image(coffee), "coffee.jpg", "image/jpeg"),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == [{SEED_MODEL: []}]
    resp = client.post(
        "/api/image-query-classification?labels=normal&labels=nsfw&score=0.7",
        files=upload(encode_image(coffee), "coffee.jpg", "image/jpeg"),
    )
    (answer,) = resp.json()
    assert [row["label"] for row in answer[SEED_MODEL]] == ["normal"]


def test_fine_labels_show_the_face_and_no_exposed_part(
    client: TestClient, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    resp = client.post(
        "/api/v1/moderation/detect", files=upload(encode_image(astronaut), "a.jpg", "image/jpeg")
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["model"], body["label"], body["width"], body["height"]) == (
        "nudenet-nsfw",
        "normal",
        512,
        512,
    )
    assert body["nsfw_score"] == 0.0 and body["threshold"] == 0.5
    faces = [d for d in body["detections"] if d["label"] == "FACE_FEMALE"]
    assert len(faces) == 1 and not faces[0]["exposed"]
    assert iou_matrix(np.array([faces[0]["box"]]), [ASTRONAUT_FACE])[0, 0] > 0.8
    only = client.post(
        "/api/v1/moderation/detect?exposed_only=true",
        files=upload(encode_image(astronaut), "a.jpg", "image/jpeg"),
    )
    assert only.json()["detections"] == []


def test_fine_labels_find_nothing_exposed_on_coffee_and_the_librarys_own_false_positive(
    client: TestClient, coffee: RGB, encode_image: Callable[..., bytes]
) -> None:
    resp = client.post(
        "/api/v1/moderation/detect?exposed_only=true",
        files=upload(encode_image(coffee), "c.jpg", "image/jpeg"),
    )
    body = resp.json()
    assert body["label"] == "normal" and body["nsfw_score"] == 0.0
    assert body["detections"] == []  # fed BGR as NudeNet does, the saucer is no longer buttocks
    wheel = np.ascontiguousarray(skimage.data.colorwheel()[..., :3])
    resp = client.post(
        "/api/v1/moderation/detect?exposed_only=true",
        files=upload(encode_image(wheel, "PNG"), "w.png", "image/png"),
    )
    body = resp.json()
    # NudeNet itself sees BUTTOCKS_EXPOSED in scikit-image's colour wheel (about 0.83)
    assert [d["label"] for d in body["detections"]] == ["BUTTOCKS_EXPOSED"]
    assert body["label"] == "nsfw"


def test_fine_labels_answer_in_argus_error_shape(client: TestClient) -> None:
    resp = client.post("/api/v1/moderation/detect", files=upload(b"plain text", "x.jpg"))
    assert resp.status_code == 415
    assert resp.json()["error"]["code"] == "unsupported_media_type"
    resp = client.post("/api/v1/moderation/detect?min_score=2", files=upload(b"x"))
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_error"


def test_the_seed_dart_clients_request_works_unchanged(
    client: TestClient, grace_hopper: RGB, encode_image: Callable[..., bytes]
) -> None:
    params = {
        "model_names": [SEED_MODEL],
        "labels": ["sexy", "hentai", "porn", "nsfw", "normal", "female", "0-2"],
        "score": "0.1",
        "fast_mode": "true",
        "skip_frames_percentage": "5",
        "return_on_first_matching_label": "true",
    }
    resp = client.post(
        "/api/image-query-classification",
        params=params,
        files={"file": ("example", encode_image(grace_hopper))},  # no extension, no type
        headers={"Accept": "application/json", "X-API-Key": "anything"},
    )
    assert resp.status_code == 200, resp.text
    (answer,) = resp.json()
    assert [row["label"] for row in answer[SEED_MODEL]] == ["normal"]
