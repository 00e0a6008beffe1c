"""nsfwjs MobileNetV2 (converted from the tfjs layers model inside nsfwjs's bundles): its own
preprocessing as a pure function, then the real model on real photos through the pool. Safe
photos are never porn or hentai; a drawn silhouette is a drawing. The model calls several of
face-api's clothed party photos "sexy" (e.g. sample2 0.95): that is what it does, not tested.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import skimage.data

from argus.config import Settings
from argus.models.nsfwjs import EXPLICIT_LABELS, LABELS, NsfwjsClassifier, preprocess
from argus.models.pool import ModelPool
from support.photos import face_api_demo_photos, load_rgb


def test_preprocess_scales_to_unit_range_and_aligns_corners() -> None:
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 0] = (255, 0, 0)
    image[1, 2] = (0, 0, 255)
    x = preprocess(image)
    assert x.shape == (224, 224, 3)
    assert x.min() >= 0 and x.max() <= 1
    # align_corners keeps the corner pixels exactly (tf.image.resizeBilinear, as nsfwjs calls it)
    assert x[0, 0].tolist() == [1.0, 0.0, 0.0]
    assert x[223, 223].tolist() == [0.0, 0.0, 1.0]


def test_grey_and_rgba_images_are_accepted() -> None:
    assert preprocess(np.full((5, 5), 255, np.uint8)).min() == 1.0
    assert preprocess(np.zeros((5, 5, 4), np.uint8)).shape == (224, 224, 3)


@pytest.fixture(scope="module")
def classifier() -> Iterator[NsfwjsClassifier]:
    pool = ModelPool(Settings(offline=True))
    model = pool.get("nsfwjs-mobilenet-v2", NsfwjsClassifier)
    yield model
    pool.close()


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "coffee", "grace_hopper"])
def test_safe_photos_are_neutral(
    classifier: NsfwjsClassifier, name: str, request: pytest.FixtureRequest
) -> None:
    scores = classifier.predict_one(request.getfixturevalue(name))
    assert sorted(label for label, _ in scores) == sorted(LABELS)
    assert sum(p for _, p in scores) == pytest.approx(1.0, abs=1e-4)
    assert scores[0][0] == "neutral"
    assert sum(p for label, p in scores if label in EXPLICIT_LABELS) < 0.1


def test_a_drawn_silhouette_is_a_drawing(classifier: NsfwjsClassifier) -> None:
    mask = skimage.data.horse()  # type: ignore[no-untyped-call]
    horse = (~mask).astype(np.uint8) * 255  # black horse on white
    assert classifier.predict_one(horse)[0][0] == "drawings"


def test_the_demo_group_photos_are_never_porn_or_hentai(classifier: NsfwjsClassifier) -> None:
    photos = [load_rgb(p) for p in face_api_demo_photos()]
    for scores in classifier.predict(photos):
        assert scores[0][0] not in EXPLICIT_LABELS, scores
