"""Seed 001's two model names on an offline install, through its routes: the example model
``LukeJacob2023/nsfw-image-detector`` is answered by the built-in nsfwjs MobileNetV2 with its
five labels, the default ``Falconsai/nsfw_image_detection`` by the built-in Open NSFW
(``normal``, ``nsfw``), and ``X-Argus-Models`` says so. Safe real photos only: no unsafe photo
ships in a package, so these tests show the false-positive side and nothing about recall."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from moderation_support import RGB, SEED_MODEL, client_for, upload

from argus.config import Settings

EXAMPLE_MODEL = "LukeJacob2023/nsfw-image-detector"
FIVE = {"drawings", "hentai", "neutral", "porn", "sexy"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("seed-names") / "data"
    with client_for(Settings(data_dir=data_dir, offline=True)) as c:
        yield c


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_the_seeds_example_model_calls_real_photos_neutral_with_its_five_labels(
    client: TestClient,
    name: str,
    request: pytest.FixtureRequest,
    encode_image: Callable[..., bytes],
) -> None:
    photo: RGB = request.getfixturevalue(name)
    resp = client.post(
        f"/api/image-classification?model_name={EXAMPLE_MODEL}",
        files=upload(encode_image(photo), "photo.jpg", "image/jpeg"),
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {row["label"] for row in body} == FIVE
    assert body[0]["label"] == "neutral" and body[0]["score"] >= 0.7
    assert resp.headers["X-Argus-Models"] == f"{EXAMPLE_MODEL}=nsfwjs-mobilenet-v2"


def test_both_seed_names_in_one_query_find_nothing_unsafe_in_a_group_photo(
    client: TestClient, face_api_photos: list[RGB], encode_image: Callable[..., bytes]
) -> None:
    url = (
        f"/api/image-query-classification?model_names={SEED_MODEL}&model_names={EXAMPLE_MODEL}"
        "&labels=nsfw&labels=porn&labels=hentai&score=0.5"
    )
    for photo in face_api_photos:
        resp = client.post(url, files=upload(encode_image(photo), "party.jpg", "image/jpeg"))
        assert resp.status_code == 200, resp.text
        assert resp.json() == [{SEED_MODEL: []}, {EXAMPLE_MODEL: []}]
        assert resp.headers["X-Argus-Models"] == (
            f"{SEED_MODEL}=open-nsfw, {EXAMPLE_MODEL}=nsfwjs-mobilenet-v2"
        )
