"""Any pulled image classifier serves seed 001's routes: a tiny ONNX graph with known outputs,
pulled from the loopback fake hub, checks label mapping, thresholds, label filtering, the
per-model and per-file wrapping, cascade mode and the errors for models that cannot answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from fastapi.testclient import TestClient
from moderation_support import (
    BLUE,
    GREEN,
    RED,
    RGB,
    SEED_MODEL,
    TINY,
    client_for,
    pull_tiny,
    solid,
    tiny_scores,
    upload,
)

from argus.config import ModerationSettings, Settings
from support.images import png

PINKISH = (150, 120, 120)  # red wins at about 0.56: between the two thresholds tried below


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pull_tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with client_for(Settings(data_dir=data_dir, offline=True)) as c:
        yield c


def test_plain_route_maps_every_label_with_its_score_best_first(client: TestClient) -> None:
    resp = client.post(
        f"/api/image-classification?model_name={TINY}", files=upload(png(solid(GREEN)))
    )
    assert resp.status_code == 200, resp.text
    expected = tiny_scores(GREEN)
    body = resp.json()
    assert [row["label"] for row in body] == ["green", "red", "blue"]
    for row in body:
        assert set(row) == {"label", "score"}
        assert row["score"] == pytest.approx(expected[row["label"]], abs=1e-5)
    assert resp.headers["X-Argus-Models"] == f"{TINY}={TINY}"


def test_score_threshold_decides_which_labels_are_reported(client: TestClient) -> None:
    red = tiny_scores(PINKISH)["red"]
    assert 0.5 < red < 0.6
    image = png(solid(PINKISH))
    base = f"/api/image-query-classification?model_names={TINY}&labels=red&labels=green"
    low = client.post(base + "&score=0.5", files=upload(image)).json()
    assert low == [{TINY: [{"label": "red", "score": pytest.approx(red, abs=1e-5)}]}]
    high = client.post(base + "&score=0.6", files=upload(image)).json()
    assert high == [{TINY: []}]
    zero = client.post(base + "&score=0", files=upload(image)).json()
    assert [row["label"] for row in zero[0][TINY]] == ["red", "green"]  # the order asked


def test_labels_filter_keeps_only_the_labels_asked_for(client: TestClient) -> None:
    image = png(solid(BLUE))
    url = f"/api/image-query-classification?model_names={TINY}&score=0.1"
    assert client.post(url + "&labels=blue", files=upload(image)).json() == [
        {TINY: [{"label": "blue", "score": pytest.approx(tiny_scores(BLUE)["blue"], abs=1e-5)}]}
    ]
    assert client.post(url + "&labels=red", files=upload(image)).json() == [{TINY: []}]
    assert client.post(url + "&labels=nosuchlabel", files=upload(image)).json() == [{TINY: []}]
    # no labels parameter: the seed's default ["nsfw"], which this model does not have
    assert client.post(url, files=upload(image)).json() == [{TINY: []}]


def test_several_models_are_wrapped_one_dict_each_in_the_order_asked(client: TestClient) -> None:
    url = (
        f"/api/image-query-classification?model_names={TINY}&model_names={SEED_MODEL}"
        "&labels=red&labels=normal&score=0.5"
    )
    resp = client.post(url, files=upload(png(solid(RED))))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [list(d) for d in body] == [[TINY], [SEED_MODEL]]
    assert [r["label"] for r in body[0][TINY]] == ["red"]
    assert [r["label"] for r in body[1][SEED_MODEL]] == ["normal"]
    assert resp.headers["X-Argus-Models"] == f"{TINY}={TINY}, {SEED_MODEL}=open-nsfw"


def test_multi_image_routes_wrap_each_file_by_its_index(client: TestClient) -> None:
    files = [("files", (f"{i}.png", png(solid(c)), "image/png")) for i, c in enumerate((RED, BLUE))]
    plain = client.post(f"/api/multi-image-classification?model_name={TINY}", files=files)
    assert plain.status_code == 200, plain.text
    body = plain.json()
    assert [list(d) for d in body] == [["0"], ["1"]]
    assert body[0]["0"][0]["label"] == "red" and body[1]["1"][0]["label"] == "blue"
    query = client.post(
        f"/api/multi-image-query-classification?model_names={TINY}&labels=blue&score=0.5",
        files=files,
    )
    assert query.json() == [
        {"0": [{TINY: []}]},
        {
            "1": [
                {
                    TINY: [
                        {
                            "label": "blue",
                            "score": pytest.approx(tiny_scores(BLUE)["blue"], abs=1e-5),
                        }
                    ]
                }
            ]
        },
    ]


def test_readme_form_model_name_works_on_the_query_route(client: TestClient) -> None:
    resp = client.post(
        f"/api/image-query-classification?model_name={TINY}&labels=red&score=0.5",
        files=upload(png(solid(RED))),
    )
    assert list(resp.json()[0]) == [TINY]


def test_a_model_that_is_not_installed_names_the_pull_command(client: TestClient) -> None:
    resp = client.post(
        "/api/image-classification?model_name=nateraw/vit-age-classifier",
        files=upload(png(solid(RED))),
    )
    assert resp.status_code == 409
    assert resp.json() == {
        "detail": "Model 'nateraw/vit-age-classifier' is not installed. Install it with: "
        "argus models pull nateraw/vit-age-classifier"
    }


def test_a_model_that_is_not_a_classifier_is_refused(client: TestClient) -> None:
    resp = client.post(
        "/api/image-query-classification?model_names=dlib-hog-face",
        files=upload(png(solid(RED))),
    )
    assert resp.status_code == 422
    assert "image-classification" in resp.json()["detail"]


def test_cascade_asks_the_named_model_only_when_the_builtin_is_unsure(
    data_dir: Path, astronaut: RGB, encode_image: Callable[..., bytes]
) -> None:
    settings = Settings(
        data_dir=data_dir, offline=True, moderation=ModerationSettings(cascade_band=(0.1, 0.9))
    )
    with client_for(settings) as client:
        sure = client.post(
            f"/api/image-classification?model_name={TINY}&cascade=true",
            files=upload(encode_image(astronaut), "a.jpg", "image/jpeg"),
        )
        # the built-in is certain the astronaut is normal: the named model is never asked
        assert [r["label"] for r in sure.json()] == ["normal", "nsfw"]
        assert sure.headers["X-Argus-Models"] == f"{TINY}=nudenet-nsfw"
        wheel = np.ascontiguousarray(skimage.data.colorwheel()[..., :3])
        unsure = client.post(
            f"/api/image-classification?model_name={TINY}&cascade=true",
            files=upload(encode_image(wheel, "PNG"), "w.png", "image/png"),
        )
        # NudeNet sees buttocks in the colour wheel at about 0.83 (nsfw 0.83, inside the band):
        # the tiny model answers
        assert {r["label"] for r in unsure.json()} == {"red", "green", "blue"}
        assert unsure.headers["X-Argus-Models"] == f"{TINY}=nudenet-nsfw+{TINY}"
        off = client.post(
            f"/api/image-classification?model_name={TINY}",
            files=upload(encode_image(astronaut), "a.jpg", "image/jpeg"),
        )
        assert off.headers["X-Argus-Models"] == f"{TINY}={TINY}"


def test_a_pulled_model_under_the_seed_default_name_answers_for_itself(
    tmp_path: Path,
) -> None:
    from argus.models import hub as models_hub
    from fakehub import classifier_repo, pull_settings, running_hub

    with pytest.MonkeyPatch.context() as mp, running_hub(mp, tmp_path) as fake:
        fake.add_repo(SEED_MODEL, classifier_repo(labels=("normal", "nsfw", "other")))
        online = pull_settings(tmp_path, fake)
        models_hub.pull(SEED_MODEL, online)
    with client_for(Settings(data_dir=online.data_dir, offline=True)) as client:
        resp = client.post("/api/image-classification", files=upload(png(solid(GREEN))))
        assert resp.headers["X-Argus-Models"] == f"{SEED_MODEL}={SEED_MODEL}"
        assert resp.json()[0]["label"] == "nsfw"  # green is this tiny model's second channel
