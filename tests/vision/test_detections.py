"""`Detections`: construction checks, selection, scaling back to original pixels, JSON rows."""

from __future__ import annotations

import numpy as np
import pytest

from argus.vision import Detections


def _three() -> Detections:
    return Detections.from_arrays(
        [[0, 0, 10, 10], [5, 5, 25, 15], [1, 2, 3, 4]],
        [0.2, 0.9, 0.5],
        ["face", "plate", "face"],
        landmarks=np.zeros((3, 5, 2)),
        data={"text": ["", "A123BC", ""]},
    )


def test_empty_has_no_rows_and_serialises_to_an_empty_list() -> None:
    empty = Detections.empty()
    assert len(empty) == 0
    assert empty.to_list() == []
    assert empty.sorted_by_score().xyxy.shape == (0, 4)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="inconsistent"):
        Detections.from_arrays([[0, 0, 1, 1]], [0.1, 0.2], ["a"])
    with pytest.raises(ValueError, match="data"):
        Detections.from_arrays([[0, 0, 1, 1]], [0.1], ["a"], data={"text": []})


def test_selection_by_mask_keeps_rows_aligned() -> None:
    dets = _three()
    plates = dets[np.array([label == "plate" for label in dets.labels])]
    assert plates.labels == ("plate",)
    assert plates.data["text"] == ["A123BC"]
    assert plates.xyxy.tolist() == [[5, 5, 25, 15]]


def test_sorted_by_score_puts_the_best_first() -> None:
    assert _three().sorted_by_score().scores.tolist() == pytest.approx([0.9, 0.5, 0.2])


def test_scaled_maps_reduced_decode_boxes_and_landmarks_to_original_pixels() -> None:
    dets = Detections.from_arrays(
        [[10, 20, 30, 40]], [1.0], ["face"], landmarks=[[[15, 25], [20, 30]]]
    )
    big = dets.scaled(2.0, 4.0)
    assert big.xyxy.tolist() == [[20, 80, 60, 160]]
    assert big.landmarks is not None
    assert big.landmarks.tolist() == [[[30, 100], [40, 120]]]


def test_to_list_gives_json_rows_with_extras() -> None:
    row = _three().to_list()[1]
    assert row["label"] == "plate"
    assert row["box"] == [5, 5, 25, 15]
    assert row["text"] == "A123BC"
    assert len(row["landmarks"]) == 5


def test_concat_keeps_every_row_in_order_and_fills_missing_data() -> None:
    plates = Detections.from_arrays(
        [[0, 0, 10, 5]], [0.9], ["plate"], data={"polygon": [[[0, 0]] * 4], "source": ["text"]}
    )
    faces = Detections.from_arrays(
        [[20, 20, 40, 40], [50, 50, 60, 60]],
        [0.8, 0.7],
        ["face", "face"],
        landmarks=np.zeros((2, 5, 2)),
        data={"source": ["centerface", "centerface"]},
    )
    both = Detections.concat([plates, faces])
    assert both.labels == ("plate", "face", "face")
    np.testing.assert_array_equal(both.xyxy[2], [50, 50, 60, 60])
    np.testing.assert_allclose(both.scores, [0.9, 0.8, 0.7])
    assert both.data["source"] == ["text", "centerface", "centerface"]
    assert both.data["polygon"][1:] == [None, None]
    assert both.landmarks is None, "one part has no landmarks"
    twice = Detections.concat([faces, faces])
    assert twice.landmarks is not None and twice.landmarks.shape == (4, 5, 2)
    assert len(Detections.concat([])) == 0
