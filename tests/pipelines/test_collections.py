"""Collection classifiers without HTTP: trained on EfficientNet-Lite0 features of real photos
(cats in, other things out), the best version served per tenant, bad training sets refused."""

from __future__ import annotations

import asyncio

import numpy as np
import numpy.typing as npt
import pytest
import skimage.data

from argus.config import Settings
from argus.errors import ValidationFailed
from argus.models.pool import ModelPool
from argus.pipelines.analysis import Analyzer, TaskSpec
from argus.pipelines.collections import CollectionStore
from support.images import jpeg

RGB = npt.NDArray[np.uint8]


def crops(image: RGB, n: int) -> list[RGB]:
    """``n`` different views of a photo: windows of 70-90 % of it at different places."""
    h, w = image.shape[:2]
    out = []
    for i in range(n):
        f = 0.7 + 0.2 * (i % 3) / 2
        ch, cw = int(h * f), int(w * f)
        y, x = (h - ch) * (i % 4) // 3, (w - cw) * ((i * 7) % 5) // 4
        out.append(np.ascontiguousarray(image[y : y + ch, x : x + cw]))
    return out


def features(settings: Settings, pool: ModelPool, images: list[RGB]) -> list[list[float]]:
    """The ``embed_image`` operation's vector of each image."""
    analyzer = Analyzer(settings, pool)

    async def all_of() -> list[list[float]]:
        out = []
        for image in images:
            res = await analyzer.analyze(jpeg(image), [TaskSpec("v", "embed_image")], tenant="t")
            assert res["v"].status == "success", res["v"].problem
            out.append(res["v"].data)
        return out

    return asyncio.run(all_of())


@pytest.fixture
def photos() -> tuple[list[RGB], list[RGB]]:
    cats = crops(skimage.data.chelsea(), 5) + crops(skimage.data.cat(), 5)
    others = crops(skimage.data.coffee(), 4) + crops(skimage.data.rocket(), 3)
    others += crops(skimage.data.astronaut(), 3)
    return cats, others


def test_a_trained_collection_tells_a_new_cat_from_a_cup(
    settings: Settings, pool: ModelPool, photos: tuple[list[RGB], list[RGB]]
) -> None:
    cats, others = photos
    held_out = [cats.pop(), others.pop(0)]  # a cat view and a coffee view it never saw
    x = features(settings, pool, cats + others)
    labels = ["in"] * len(cats) + ["out"] * len(others)
    store = CollectionStore(settings)
    report = store.train("t", 7, x, labels, embedding="efficientnet-lite0")
    assert (report.samples, report.dimensionality) == (len(x), 1280)
    assert report.best_version == report.version  # the only version
    classifier = store.best("t", 7)
    assert classifier is not None and classifier.embedding == "efficientnet-lite0"
    cat, cup = features(settings, pool, held_out)
    is_cat, p_cat = classifier.predict(cat)
    is_cup_a_cat, p_cup = classifier.predict(cup)
    assert is_cat and not is_cup_a_cat and p_cat > 0.5 > p_cup
    assert store.best("other-tenant", 7) is None
    assert [m["collection_id"] for m in store.list("t")] == [7]

    again = store.train("t", 7, x, labels, embedding="efficientnet-lite0")
    manifest = store.manifest("t", 7)
    assert manifest is not None
    kept = [v["version"] for v in manifest["versions"]]
    assert len(kept) == min(2, settings.analysis.max_collection_versions)
    assert manifest["best"] == kept[0] == again.best_version == again.version  # a tie: newest


@pytest.mark.parametrize(
    ("embeddings", "labels", "message"),
    [
        ([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], ["in", "out", "out"], "at least 2 examples"),
        ([[1.0, 0.0], [0.0, 1.0]], ["in"], "2 embeddings but 1 labels"),
        ([[1.0, float("nan")]] * 4, ["in", "in", "out", "out"], "finite numbers"),
    ],
)
def test_bad_training_sets_are_refused(
    settings: Settings, embeddings: list[list[float]], labels: list[str], message: str
) -> None:
    store = CollectionStore(settings)
    with pytest.raises(ValidationFailed, match=message):
        store.train("t", 1, embeddings, labels)
    assert store.list("t") == []
