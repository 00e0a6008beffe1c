"""The offline engine through the real HTTP API, on real and rendered photos.

No LLM is configured, so every answer comes from the built-in models: NanoDet, CenterFace,
EfficientNet-Lite0, PP-OCRv4 and the layout cues. The category a person would give each picture
is asserted, and seed 000's own ``generalDetections``/``mobileNetV3Detections`` shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from classify_support import id_card, phone_screenshot, side_by_side, with_gps
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings
from support.images import encode

RGB = Any


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("classify-local") / "data"
    with TestClient(create_app(Settings(data_dir=data_dir, offline=True))) as c:
        yield c


def classify(client: TestClient, data: bytes, name: str = "photo.jpg") -> dict[str, Any]:
    resp = client.post("/api/v1/classify", files={"image": (name, data, "image/jpeg")})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body["success"] is True
    assert body["request_id"].startswith("req_")
    return body


def test_the_astronaut_is_a_single_person(client: TestClient, astronaut: RGB) -> None:
    body = classify(client, encode(astronaut))
    data = body["data"]
    assert data["category"] == "single_person"
    assert data["inference_method"] == "local"
    assert data["confidence"] >= 0.6
    assert len(data["local_inference_result"]["faces"]) == 1
    assert body["from_cache"] is False


def test_two_people_side_by_side_are_a_social_activity(
    client: TestClient, astronaut: RGB, grace_hopper: RGB
) -> None:
    data = classify(client, encode(side_by_side(astronaut, grace_hopper)))["data"]
    assert data["category"] == "social_activities"
    assert len(data["local_inference_result"]["faces"]) == 2


@pytest.mark.slow
def test_a_rendered_phone_screenshot_is_a_screenshot(client: TestClient) -> None:
    data = classify(client, encode(phone_screenshot(), "PNG"), "Screenshot.png")["data"]
    assert data["category"] == "screenshot"
    assert data["confidence"] >= 0.8
    seen = data["local_inference_result"]
    assert seen["status_bar_clock"] is True
    assert any("station" in line for line in seen["text_lines"])


@pytest.mark.slow
def test_a_rendered_chinese_id_card_is_an_idcard(client: TestClient, grace_hopper: RGB) -> None:
    data = classify(client, encode(id_card(grace_hopper), quality=92))["data"]
    assert data["category"] == "idcard"
    keywords = data["local_inference_result"]["id_keywords"]
    assert "公民身份号码" in keywords or "居民身份证" in keywords
    assert "ID_NUMBER" in keywords


def test_a_cup_of_coffee_is_foods_with_the_seeds_imagenet_shape(
    client: TestClient, coffee: RGB
) -> None:
    data = classify(client, encode(coffee))["data"]
    assert data["category"] == "foods"
    assert data["confidence"] >= 0.8
    imagenet = data["local_inference_result"]["mobileNetV3Detections"]
    assert imagenet["success"] is True
    assert len(imagenet["predictions"]) == 5
    assert set(imagenet["predictions"][0]) == {"index", "probability", "class"}
    assert imagenet["topPrediction"]["class"] == "espresso"
    assert imagenet["validPredictions"] == [
        p for p in imagenet["predictions"] if p["probability"] >= 0.3
    ]


def test_chelsea_the_cat_is_a_pet_with_a_coco_cat_box(client: TestClient, chelsea: RGB) -> None:
    data = classify(client, encode(chelsea))["data"]
    assert data["category"] == "pets"
    seen = data["local_inference_result"]
    assert seen["people"] == 0
    cats = [d for d in seen["generalDetections"] if d["className"] == "cat"]
    assert cats and cats[0]["classId"] == 15
    cx, cy, w, h = cats[0]["bbox"]  # seed 000's [cx, cy, w, h], in the upload's pixels
    assert 0 < cx < 451 and 0 < cy < 300 and w > 100 and h > 100


def test_the_summer_palace_is_travel_scenery(client: TestClient) -> None:
    from sklearn.datasets import load_sample_image

    data = classify(client, encode(load_sample_image("china.jpg")))["data"]
    assert data["category"] == "travel_scenery"
    assert data["local_inference_result"]["category_evidence"]["travel_scenery"] >= 0.5


def test_the_hubble_deep_field_is_other_at_low_confidence_and_not_cached(
    client: TestClient,
) -> None:
    import skimage.data

    data = encode(skimage.data.hubble_deep_field())
    first = classify(client, data)
    assert first["data"]["category"] == "other"
    assert first["data"]["confidence"] < 0.3
    assert first["data"]["local_inference_result"]["people"] == 0  # no "person" in the stars
    assert classify(client, data)["from_cache"] is False


def test_exif_gps_comes_back_as_the_nearest_city(client: TestClient, coffee: RGB) -> None:
    data = classify(client, with_gps(coffee, 39.9042, 116.4074))["data"]
    location = data["location"]
    assert location["city"] == "Beijing"
    assert location["name_zh"] == "北京"
    assert location["country_code"] == "CN"
    assert location["distance_km"] < 5
    assert location["population"] > 10_000_000
    assert location["geoname_id"] == 1816670  # GeoNames' Beijing
    assert data["local_inference_result"]["camera"] == "Apple iPhone 13 mini"


def test_without_the_converted_models_the_local_engine_still_answers(
    tmp_path: Path, astronaut: RGB
) -> None:
    bare = Settings(
        data_dir=tmp_path / "data", offline=True, models={"converted_dir": tmp_path / "none"}
    )
    with TestClient(create_app(bare)) as client:
        data = classify(client, encode(astronaut))["data"]
    assert data["category"] == "single_person"  # dlib HOG found her face
    seen = data["local_inference_result"]
    assert set(seen["missing_models"]) == {"nanodet-coco", "centerface", "efficientnet-lite0"}
    assert seen["models"]["faces"] == "dlib-hog-face"
    assert seen["mobileNetV3Detections"]["success"] is False
    assert seen["generalDetections"] == []
