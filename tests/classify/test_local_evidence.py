"""The local engine's evidence helpers: the ranked classifier output back in class order (ImageNet
names two classes ``crane``), and seed 000's ``generalDetections`` / ``mobileNetV3Detections``
shapes built from model outputs."""

from __future__ import annotations

import numpy as np
import pytest

from argus.pipelines.local_evidence import (
    general_detections,
    imagenet_detections,
    probabilities,
)
from argus.vision.detections import Detections


def test_ranked_scores_go_back_to_their_indices_even_for_equal_names() -> None:
    labels = ["a", "crane", "b", "crane"]
    probs = probabilities([("crane", 0.5), ("a", 0.3), ("crane", 0.15), ("b", 0.05)], labels)
    assert probs.tolist() == [0.3, 0.5, 0.05, 0.15]
    assert probs.sum() == pytest.approx(1.0)


def test_general_detections_are_centre_size_boxes_from_the_seeds_threshold_up() -> None:
    dets = Detections.from_arrays([[10, 20, 50, 100], [0, 0, 5, 5]], [0.8, 0.2], ["cat", "person"])
    assert general_detections(dets) == [
        {"classId": 15, "className": "cat", "confidence": 0.8, "bbox": [30.0, 60.0, 40.0, 80.0]}
    ]


def test_imagenet_detections_list_the_top_five_and_the_valid_ones() -> None:
    labels = [f"c{i}" for i in range(10)]
    probs = np.array([0.01, 0.5, 0.02, 0.3, 0.05, 0.04, 0.03, 0.02, 0.02, 0.01])
    out = imagenet_detections(probs, labels)
    assert [p["index"] for p in out["predictions"]] == [1, 3, 4, 5, 6]
    assert [p["class"] for p in out["validPredictions"]] == ["c1", "c3"]
    assert out["topPrediction"] == {"index": 1, "probability": 0.5, "class": "c1"}
    assert out["confidence"] == 0.5 and out["success"] is True
