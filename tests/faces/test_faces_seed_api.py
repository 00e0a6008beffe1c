"""Seed 004's routes through the real HTTP API with the built-in dlib models and real photos."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import FaceSettings, ImagingSettings, Settings

RGB = npt.NDArray[np.uint8]
Encode = Callable[..., bytes]
NO_FACE = "未检测到合格的人脸"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("faces") / "data", offline=True)
    with TestClient(create_app(settings)) as c:
        yield c


def extract(client: TestClient, data: bytes, name: str = "face.jpg") -> dict[str, object]:
    resp = client.post("/api/extract_feature", files={"image": (name, data, "image/jpeg")})
    assert resp.status_code == 200, resp.text
    body: dict[str, object] = resp.json()
    return body


def feature_of(client: TestClient, data: bytes) -> list[float]:
    body = extract(client, data)
    assert body["success"] is True, body
    feature = body["feature"]
    assert isinstance(feature, list)
    return feature


def test_extract_gives_a_unit_1024_d_feature_in_the_seed_shape(
    client: TestClient, astronaut: RGB, encode_image: Encode
) -> None:
    body = extract(client, encode_image(astronaut))
    assert body["success"] is True
    assert body["message"] == "特征提取成功"
    assert body["feature_dim"] == 1024 and body["model"] == "dlib-resnet-face"
    assert body["quality_passed"] is True
    assert isinstance(body["processing_time"], float) and body["processing_time"] > 0
    feature = np.asarray(body["feature"])
    assert feature.shape == (1024,)
    assert np.count_nonzero(np.abs(feature) > 1e-6) > 900  # spread over all 1024, not padded
    assert np.linalg.norm(feature) == pytest.approx(1.0, abs=1e-4)
    face = body["face"]
    assert isinstance(face, dict)
    x1, y1, x2, y2 = face["box"]
    assert 195 <= (x1 + x2) / 2 <= 250 and 95 <= (y1 + y2) / 2 <= 150  # her face, not the patch


def test_the_astronaut_and_an_altered_copy_are_the_same_person(
    client: TestClient, astronaut: RGB, astronaut_copy: RGB, encode_image: Encode
) -> None:
    one = feature_of(client, encode_image(astronaut))
    two = feature_of(client, encode_image(astronaut_copy, "PNG"))
    resp = client.post("/api/compare_features", json={"feature1": one, "feature2": two})
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] is True and body["message"] == "对比成功"
    assert body["is_same_person"] is True
    assert body["threshold"] == 0.7
    assert body["similarity"] > 0.9


def test_the_astronaut_and_grace_hopper_are_not(
    client: TestClient, astronaut: RGB, grace_hopper: RGB, encode_image: Encode
) -> None:
    known = feature_of(client, encode_image(astronaut))
    resp = client.post(
        "/api/compare_image_feature",
        files={"image": ("hopper.jpg", encode_image(grace_hopper), "image/jpeg")},
        data={"feature": json.dumps(known)},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] is True
    assert body["is_same_person"] is False and body["threshold"] == 0.7
    assert body["similarity"] < 0.5  # two different women: far under the seed's 0.7
    assert body["processing_time"] > 0


def test_a_photo_without_a_face_gets_the_seeds_failure(
    client: TestClient, coffee: RGB, encode_image: Encode
) -> None:
    body = extract(client, encode_image(coffee))
    assert body["success"] is False
    assert str(body["message"]).startswith(NO_FACE)
    assert body["failed_checks"] == ["face_detected"]
    assert "feature" not in body and body["processing_time"] >= 0


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda im: cv2.resize(im, (256, 256), interpolation=cv2.INTER_AREA), "face_size"),
        (lambda im: cv2.GaussianBlur(im, (0, 0), 3), "sharpness"),
        (lambda im: (im * 0.15).astype(np.uint8), "brightness"),
        (
            lambda im: cv2.warpAffine(im, cv2.getRotationMatrix2D((256, 256), 40, 1.0), (512, 512)),
            "roll",
        ),
    ],
    ids=["tiny", "blurred", "dark", "tilted"],
)
def test_a_poor_face_fails_the_check_it_fails(
    client: TestClient,
    astronaut: RGB,
    encode_image: Encode,
    change: Callable[[RGB], RGB],
    check: str,
) -> None:
    body = extract(client, encode_image(np.ascontiguousarray(change(astronaut)), "PNG"))
    assert body["success"] is False
    assert body["failed_checks"] == [check]
    assert str(body["message"]).startswith(NO_FACE) and check in str(body["message"])
    assert body["quality_passed"] is False


def test_features_of_different_sizes_are_a_400(client: TestClient) -> None:
    resp = client.post("/api/compare_features", json={"feature1": [1.0] * 128, "feature2": [1.0]})
    assert resp.status_code == 400
    body = resp.json()
    assert body["success"] is False and "128 vs 1" in body["message"]


def test_a_malformed_feature_is_refused(
    client: TestClient, astronaut: RGB, encode_image: Encode
) -> None:
    resp = client.post(
        "/api/compare_image_feature",
        files={"image": ("a.jpg", encode_image(astronaut), "image/jpeg")},
        data={"feature": "[0.1, 0.2,"},
    )
    assert resp.status_code == 400 and resp.json()["success"] is False
    resp = client.post("/api/compare_features", json={"feature1": [0.0, 0.0], "feature2": [1, 2]})
    assert resp.status_code == 400 and "zero vector" in resp.json()["message"]
    resp = client.post("/api/compare_features", json={"feature1": "nope"})
    assert resp.status_code == 422
    assert resp.json()["success"] is False and "feature2" in resp.json()["message"]


def test_bad_uploads_get_the_right_4xx(
    client: TestClient, astronaut: RGB, encode_image: Encode
) -> None:
    jpeg = encode_image(astronaut)
    cases = {
        b"": 400,
        jpeg[: len(jpeg) // 2]: 400,
        b"just some text, renamed to .jpg\n" * 10: 400,  # the seed's 400, not Argus's 415
    }
    for data, status in cases.items():
        resp = client.post("/api/extract_feature", files={"image": ("x.jpg", data, "image/jpeg")})
        assert resp.status_code == status, resp.text
        assert resp.json()["success"] is False and resp.json()["message"]
    resp = client.post("/api/extract_feature", files={})
    assert resp.status_code == 422 and resp.json()["success"] is False


def test_size_limit_another_seed_threshold_and_lenient_mode(
    tmp_path_factory: pytest.TempPathFactory,
    astronaut: RGB,
    astronaut_copy: RGB,
    encode_image: Encode,
) -> None:
    """ARGUS_FACES__SEED_THRESHOLD changes the seed routes' decision (0.98 is far stricter
    than the seed's 0.7: a small copy of the same photo no longer counts), and a lenient
    ``strict`` returns a feature that failed a check."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("seed") / "data",
        offline=True,
        imaging=ImagingSettings(max_image_mb=0.05),
        faces=FaceSettings(seed_threshold=0.98, strict=False),
    )
    with TestClient(create_app(settings)) as c:
        big = encode_image(np.random.default_rng(0).integers(0, 255, (400, 400, 3), np.uint8))
        resp = c.post("/api/extract_feature", files={"image": ("big.png", big, "image/png")})
        assert resp.status_code == 413 and resp.json()["success"] is False

        small = {"quality": 60}
        a = extract(c, encode_image(cv2.resize(astronaut, (300, 300)), **small))
        g = extract(c, encode_image(cv2.resize(astronaut_copy, (320, 280)), **small))
        resp = c.post(
            "/api/compare_features", json={"feature1": a["feature"], "feature2": g["feature"]}
        )
        assert resp.json()["threshold"] == 0.98 and resp.json()["is_same_person"] is False
        assert 0.7 <= resp.json()["similarity"] < 0.98  # the same at the seed's 0.7

        dark = extract(c, encode_image((astronaut * 0.15).astype(np.uint8), **small))
        assert dark["success"] is True and dark["quality_passed"] is False
        assert dark["failed_checks"] == ["brightness"] and dark["feature_dim"] == 1024


def test_the_seed_documents_client_flow_works_unchanged(
    client: TestClient,
    astronaut: RGB,
    grace_hopper: RGB,
    astronaut_copy: RGB,
    hopper_copy: RGB,
    third_person: RGB,
    encode_image: Encode,
) -> None:
    """register_user / verify_user / identify_user from seed 004's API_USAGE.md, with the
    client's ``requests`` calls made through the test client and its dict as the database:
    the client's own 0.7 finds the right person and nobody for a stranger."""
    database: dict[str, list[float]] = {}

    def register_user(user_id: str, image: bytes) -> list[float] | None:
        result = client.post("/api/extract_feature", files={"image": image}).json()
        if result["success"]:
            database[user_id] = result["feature"]
            return database[user_id]
        return None

    def verify_user(user_id: str, image: bytes) -> bool:
        data = {"feature": json.dumps(database[user_id])}
        result = client.post("/api/compare_image_feature", files={"image": image}, data=data)
        body = result.json()
        return bool(body["success"] and body["is_same_person"])

    def identify_user(image: bytes) -> str | None:
        result = client.post("/api/extract_feature", files={"image": image}).json()
        if not result["success"]:
            return None
        best_match, best_similarity = None, 0.0
        for user_id, stored in database.items():
            data = {"feature1": result["feature"], "feature2": stored}
            answer = client.post("/api/compare_features", json=data).json()
            if answer["success"] and answer["similarity"] > best_similarity:
                best_match, best_similarity = user_id, answer["similarity"]
        return best_match if best_similarity >= 0.7 else None

    assert register_user("user001", encode_image(astronaut)) is not None
    assert register_user("user002", encode_image(grace_hopper)) is not None
    assert verify_user("user001", encode_image(astronaut_copy)) is True
    assert verify_user("user002", encode_image(astronaut_copy)) is False
    assert verify_user("user002", encode_image(hopper_copy)) is True
    assert verify_user("user001", encode_image(hopper_copy)) is False
    assert identify_user(encode_image(astronaut_copy)) == "user001"
    assert identify_user(encode_image(hopper_copy)) == "user002"
    assert identify_user(encode_image(third_person)) is None
