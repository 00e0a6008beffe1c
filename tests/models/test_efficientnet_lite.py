"""EfficientNet-Lite0 and -Lite2 (converted from their PyTorch checkpoints) on real photos,
through the pool: the cat is a cat, the coffee is espresso, and the pooled feature puts two
views of the same cat closer together than the cat and the coffee."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.models.efficientnet_lite import EfficientNetLite
from argus.models.pool import ModelPool

RGB = npt.NDArray[np.uint8]
CATS = {"tabby, tabby cat", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat, Siamese"}
COFFEE = {"espresso", "cup", "coffee mug"}


@pytest.fixture(params=["efficientnet-lite0", "efficientnet-lite2"])
def model(settings: Settings, request: pytest.FixtureRequest) -> Iterator[EfficientNetLite]:
    pool = ModelPool(settings)
    m = pool.get(request.param, EfficientNetLite)
    yield m
    pool.close()


def test_chelsea_is_a_cat(model: EfficientNetLite, chelsea: RGB) -> None:
    scores = model.predict([chelsea])[0]
    assert len(scores) == 1000
    assert scores[0][0] in CATS
    assert sum(s for label, s in scores if label in CATS) > 0.8


def test_the_coffee_is_espresso(model: EfficientNetLite, coffee: RGB) -> None:
    scores = model.predict([coffee])[0]
    assert scores[0][0] == "espresso" and scores[0][1] > 0.5
    assert sum(s for label, s in scores[:5] if label in COFFEE) > 0.8


def test_probabilities_sum_to_one_for_a_batch(
    model: EfficientNetLite, chelsea: RGB, coffee: RGB, astronaut: RGB
) -> None:
    batch = model.predict([chelsea, coffee, astronaut])
    assert [round(sum(s for _, s in scores), 4) for scores in batch] == [1.0, 1.0, 1.0]
    assert batch[0][0][0] in CATS and batch[1][0][0] == "espresso"


def test_pooled_features_tell_photos_apart(
    model: EfficientNetLite, chelsea: RGB, coffee: RGB
) -> None:
    mirrored = np.ascontiguousarray(chelsea[:, ::-1])
    cat, cat2, cup = model.features([chelsea, mirrored, coffee])
    assert cat.shape == (1280,) and cat.dtype == np.float32

    def cosine(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    assert cosine(cat, cat2) > 0.9 > cosine(cat, cup)
