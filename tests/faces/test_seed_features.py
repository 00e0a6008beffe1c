"""Seed 004's feature space: the isometric 1024-d embedding, the shipped population mean, and
the seed's 0.7 on real group photos."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings
from argus.errors import InvalidInput
from argus.models.faces_dlib import HogFaceDetector
from argus.models.pool import ModelPool
from argus.pipelines.seed_features import (
    SEED_DIM,
    centred,
    embed,
    hadamard,
    population_mean,
    seed_feature,
)

RGB = npt.NDArray[np.uint8]


def unit(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def test_the_rotation_is_orthonormal_and_fixed() -> None:
    h = hadamard(SEED_DIM)
    np.testing.assert_allclose(h @ h.T, np.eye(SEED_DIM), atol=1e-12)
    assert set(np.unique(np.abs(h)).round(9)) == {round(1 / 32, 9)}
    with pytest.raises(ValueError):
        hadamard(1000)


@pytest.mark.parametrize("dim", [128, 512])
def test_embedding_keeps_every_length_and_cosine(dim: int) -> None:
    v = unit(np.random.default_rng(dim).standard_normal((6, dim)))
    e = np.stack([embed(x) for x in v])
    assert e.shape == (6, SEED_DIM)
    np.testing.assert_allclose(e @ e.T, v @ v.T, atol=1e-5)
    np.testing.assert_array_equal(embed(v[0]), embed(v[0]))  # deterministic


def test_a_vector_longer_than_the_seeds_is_refused() -> None:
    with pytest.raises(InvalidInput):
        embed(np.ones(2048, np.float32))


def test_the_dlib_mean_ships_with_where_it_came_from() -> None:
    mean = population_mean("dlib-resnet-face")
    assert mean is not None
    assert mean.vector.shape == (128,) and mean.count == sum(mean.about["sources"].values())
    assert 0.85 < float(np.linalg.norm(mean.vector)) < 1.0  # unit descriptors share a direction
    assert population_mean("arcface-w600k-r50") is None


def test_centring_removes_the_shared_direction() -> None:
    mean = population_mean("dlib-resnet-face")
    assert mean is not None
    rng = np.random.default_rng(1)
    near = unit(mean.vector + 0.025 * rng.standard_normal((2, 128)))  # both near the mean
    assert float(near[0] @ near[1]) > 0.85
    a, b = (seed_feature(x, "dlib-resnet-face") for x in near)
    assert abs(float(a @ b)) < 0.5
    assert float(np.linalg.norm(a)) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(InvalidInput):
        centred(mean.vector, "dlib-resnet-face")


def test_a_model_without_a_mean_is_only_embedded() -> None:
    v = unit(np.random.default_rng(2).standard_normal((2, 512)))
    a, b = (seed_feature(x, "arcface-w600k-r50") for x in v)
    assert float(a @ b) == pytest.approx(float(v[0] @ v[1]), abs=1e-5)


def faces_of(pool: ModelPool, photo: RGB) -> list[RGB]:
    """A crop around every face dlib's HOG finds in ``photo`` (full size, no upsampling)."""
    detector = pool.get("dlib-hog-face", HogFaceDetector)
    found = detector.detect([photo], upsample=0, max_side=None)
    crops = []
    for x1, y1, x2, y2 in found[0].xyxy.round().astype(int):
        side = max(x2 - x1, y2 - y1)
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        top, left = max(0, cy - side * 3 // 2), max(0, cx - side * 3 // 2)
        crops.append(
            np.ascontiguousarray(photo[top : cy + side * 3 // 2, left : cx + side * 3 // 2])
        )
    return crops


def test_different_women_in_group_photos_are_not_one_person_at_the_seeds_07(
    tmp_path_factory: pytest.TempPathFactory,
    face_api_photos: list[RGB],
    encode_image: Callable[..., bytes],
) -> None:
    """Before the seed scale, every pair of different women here scored at least 0.82 and a
    client comparing at 0.7 called them all the same person."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("group") / "data", offline=True)
    features = []
    with TestClient(create_app(settings)) as c:
        for photo in face_api_photos:
            for crop in faces_of(c.app.state.pool, photo):
                resp = c.post(
                    "/api/extract_feature",
                    files={"image": ("f.jpg", encode_image(crop), "image/jpeg")},
                )
                body = resp.json()
                if body["success"]:
                    features.append(body["feature"])
        assert len(features) >= 12
        same = 0
        pairs = list(itertools.combinations(features, 2))
        for f1, f2 in pairs:
            answer = c.post("/api/compare_features", json={"feature1": f1, "feature2": f2}).json()
            assert answer["threshold"] == 0.7
            same += bool(answer["is_same_person"])
    assert same <= 0.05 * len(pairs), f"{same} of {len(pairs)} pairs called the same person"
