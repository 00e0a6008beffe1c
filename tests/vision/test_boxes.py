"""Table tests for the pure box functions, the empty case in every table."""

from __future__ import annotations

import numpy as np
import pytest

from argus.vision import boxes

EMPTY = np.zeros((0, 4), np.float32)


@pytest.mark.parametrize(
    ("given", "size", "expected"),
    [
        (EMPTY, (10, 10), EMPTY),
        ([[-5, -5, 5, 5]], (10, 10), [[0, 0, 5, 5]]),
        ([[2, 3, 20, 30]], (10, 20), [[2, 3, 10, 20]]),
        ([[1, 1, 2, 2], [8, 8, 12, 12]], (10, 10), [[1, 1, 2, 2], [8, 8, 10, 10]]),
    ],
)
def test_clip(given: object, size: tuple[int, int], expected: object) -> None:
    np.testing.assert_array_equal(boxes.clip(given, size), np.asarray(expected, np.float32))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "ratio", "expected"),
    [
        (EMPTY, 0.5, EMPTY),
        ([[10, 10, 20, 30]], 0.5, [[5, 0, 25, 40]]),
        ([[10, 10, 20, 30]], 0.0, [[10, 10, 20, 30]]),
        ([[10, 10, 20, 30]], -0.25, [[12.5, 15, 17.5, 25]]),
    ],
)
def test_expand(given: object, ratio: float, expected: object) -> None:
    np.testing.assert_allclose(boxes.expand(given, ratio), np.asarray(expected, np.float32))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "fx", "fy", "expected"),
    [
        (EMPTY, 2.0, None, EMPTY),
        ([[1, 2, 3, 4]], 2.0, None, [[2, 4, 6, 8]]),
        ([[1, 2, 3, 4]], 2.0, 0.5, [[2, 1, 6, 2]]),
    ],
)
def test_scale(given: object, fx: float, fy: float | None, expected: object) -> None:
    np.testing.assert_allclose(boxes.scale(given, fx, fy), np.asarray(expected, np.float32))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (EMPTY, [[0, 0, 1, 1]], np.zeros((0, 1))),
        ([[0, 0, 1, 1]], EMPTY, np.zeros((1, 0))),
        ([[0, 0, 10, 10]], [[0, 0, 10, 10]], [[1.0]]),
        ([[0, 0, 10, 10]], [[5, 0, 15, 10]], [[50 / 150]]),
        ([[0, 0, 10, 10]], [[20, 20, 30, 30]], [[0.0]]),
        ([[0, 0, 0, 0]], [[0, 0, 0, 0]], [[0.0]]),  # degenerate: no division by zero
    ],
)
def test_iou_matrix(a: object, b: object, expected: object) -> None:
    np.testing.assert_allclose(boxes.iou_matrix(a, b), np.asarray(expected), rtol=1e-6)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "scores", "threshold", "kept"),
    [
        (EMPTY, [], 0.5, []),
        ([[0, 0, 10, 10]], [0.9], 0.5, [0]),
        # two overlapping boxes: the higher score survives; a distant one stays too
        ([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.6, 0.9, 0.5], 0.5, [1, 2]),
        # overlap below the threshold: both kept, best first
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.6, 0.9], 0.5, [1, 0]),
    ],
)
def test_nms(given: object, scores: list[float], threshold: float, kept: list[int]) -> None:
    assert boxes.nms(given, scores, threshold).tolist() == kept  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("box", "shape"),
    [
        ([2, 3, 6, 8], (5, 4, 3)),
        ([-4, -4, 2, 2], (2, 2, 3)),
        ([15, 15, 30, 30], (0, 0, 3)),  # entirely outside: empty crop, no error
        ([2.4, 3.6, 5.2, 7.1], (5, 4, 3)),  # fractional: cover every touched pixel
    ],
)
def test_crop(box: list[float], shape: tuple[int, int, int]) -> None:
    image = np.zeros((10, 10, 3), np.uint8)
    assert boxes.crop(image, box).shape == shape


def test_area_treats_inverted_boxes_as_empty() -> None:
    np.testing.assert_array_equal(
        boxes.area([[0, 0, 2, 3], [5, 5, 1, 1]]), np.asarray([6, 0], np.float32)
    )
    assert boxes.area(EMPTY).shape == (0,)
