"""OpenCV Haar cascades on real photos and on a synthetic licence plate.

These tests pin down what the cascades really do, including what they fail at, so that the
README and the API never promise more.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.models.catalog import BUILTINS
from argus.models.haar import HaarCascadeDetector
from argus.models.pool import ModelPool
from argus.models.tasks import Detector, FaceDetector
from argus.vision.boxes import iou_matrix

RGB = npt.NDArray[np.uint8]
HAAR_MODELS = [s.name for s in BUILTINS if s.family.endswith(":HaarCascadeDetector")]


@pytest.fixture
def pool(settings: Settings) -> Iterator[ModelPool]:
    p = ModelPool(settings)
    yield p
    p.close()


def plate(width: int) -> RGB:
    """A white plate with a black border and "A123BC | 77" in Latin letters, 520:112 like a
    Russian plate."""
    height = round(width * 112 / 520)
    p = np.full((height, width, 3), 255, np.uint8)
    cv2.rectangle(p, (1, 1), (width - 2, height - 2), (0, 0, 0), 2)
    sep = int(width * 0.76)
    cv2.line(p, (sep, 2), (sep, height - 3), (0, 0, 0), 2)
    fs = height / 56 * 1.5
    font = cv2.FONT_HERSHEY_SIMPLEX
    org = (int(width * 0.05), int(height * 0.78))
    cv2.putText(p, "A123BC", org, font, fs, (0, 0, 0), max(2, int(fs * 2.5)), cv2.LINE_AA)
    org = (sep + int(width * 0.03), int(height * 0.62))
    cv2.putText(p, "77", org, font, fs * 0.75, (0, 0, 0), max(2, int(fs * 2)), cv2.LINE_AA)
    return p


def with_plate(background: RGB, width: int, x: int = 100, y: int = 150) -> tuple[RGB, RGB]:
    """The background with a plate pasted at (x, y), and the plate's xyxy box."""
    image = background.copy()
    p = plate(width)
    image[y : y + p.shape[0], x : x + p.shape[1]] = p
    box = np.array([[x, y, x + p.shape[1], y + p.shape[0]]], np.float32)
    return image, box  # type: ignore[return-value]


def test_frontal_face_cascade_finds_the_astronaut_where_dlib_does(
    pool: ModelPool, astronaut: RGB, grace_hopper: RGB, coffee: RGB
) -> None:
    haar = pool.get("haar-face-frontal", Detector)
    assert haar.providers == ["opencv-cpu"]
    on_astronaut, on_hopper, on_coffee = haar.predict([astronaut, grace_hopper, coffee])
    (dlib_face,) = pool.get("dlib-hog-face", FaceDetector).predict([astronaut])

    assert len(on_astronaut) == 1 and on_astronaut.labels == ("face",)
    assert iou_matrix(on_astronaut.xyxy, dlib_face.xyxy)[0, 0] > 0.3
    assert on_astronaut.scores[0] > 0  # last-stage level weight, not a probability
    assert len(on_hopper) == 1
    assert len(on_coffee) == 0


def test_cat_face_cascade_does_not_find_chelsea(pool: ModelPool, chelsea: RGB) -> None:
    """Current behaviour, not a wish: neither cat-face cascade finds the cat in ``chelsea()``.

    Her face fills the whole 451x300 frame and is cut off at the ears and chin, while the
    cascade looks for a whole head in a 24x24 window. Shrinking the photo onto a grey canvas
    did not help either; with very loose settings (scale 1.05, one neighbour) it fires on
    the nose alone. Offline pet detection is weak; a pulled detector is the answer.
    """
    (found,) = pool.get("haar-cat-face", Detector).predict([chelsea])
    assert len(found) == 0


def test_russian_plate_cascade_finds_a_synthetic_plate(pool: ModelPool, coffee: RGB) -> None:
    """``haar-plate-ru`` finds a 260x56 white plate with black "A123BC 77" pasted onto the
    coffee photo and onto a plain grey image, and nothing on the coffee photo alone.

    Its box is one cascade window (3:1), so it is taller and narrower than the 4.6:1 plate;
    it overlaps the plate by about half (IoU ~0.5). For anonymisation, blur the union of the
    box and its neighbourhood rather than the box alone.
    """
    grey = np.full_like(coffee, 110)
    scenes = [with_plate(coffee, 260), with_plate(grey, 260)]
    model = pool.get("haar-plate-ru", Detector)
    found = model.predict([image for image, _ in scenes] + [coffee])
    for (_, truth), boxes in zip(scenes, found[:2], strict=True):
        assert len(boxes) == 1 and boxes.labels == ("plate",)
        assert iou_matrix(boxes.xyxy, truth)[0, 0] > 0.3
        assert boxes.xyxy[0, 3] - boxes.xyxy[0, 1] > truth[0, 3] - truth[0, 1]
    assert len(found[2]) == 0


def test_plate_cascades_miss_some_sizes_of_the_synthetic_plate(
    pool: ModelPool, coffee: RGB
) -> None:
    """Current behaviour: the synthetic plate at widths 130, 208, 260 and 400 px on coffee.

    ``haar-plate-ru`` (default parameters) found it at 3 of the 4 widths (not at 208 px) and
    ``haar-plate-ru-16`` only at 260 px. Every box either reported overlaps the plate: they
    miss, but they do not point elsewhere. Offline plate detection is weak; a pulled YOLO
    plate detector is the answer for anonymisation.
    """
    scenes = [with_plate(coffee, w) for w in (130, 208, 260, 400)]
    images = [image for image, _ in scenes]
    hits = {}
    for name in ("haar-plate-ru", "haar-plate-ru-16"):
        found = pool.get(name, Detector).predict(images)
        for (_, truth), boxes in zip(scenes, found, strict=True):
            assert np.all(iou_matrix(boxes.xyxy, truth) > 0.2)
        hits[name] = sum(len(boxes) > 0 for boxes in found)
    assert hits["haar-plate-ru"] >= 3
    assert 1 <= hits["haar-plate-ru-16"] < hits["haar-plate-ru"]


def test_parameters_can_be_overridden_per_call(pool: ModelPool, astronaut: RGB) -> None:
    """A minimum size larger than her face hides it; the defaults find it again."""
    haar = pool.get("haar-face-frontal", HaarCascadeDetector)
    assert haar.params.min_size == (30, 30)
    (too_big,) = haar.detect([astronaut], min_size=(150, 150))
    (default,) = haar.detect([astronaut])
    assert len(too_big) == 0
    assert len(default) == 1


def test_large_photos_are_searched_shrunk_and_boxes_scaled_back(
    pool: ModelPool, astronaut: RGB
) -> None:
    big = cv2.resize(astronaut, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    (small,) = pool.get("haar-face-frontal", Detector).predict([astronaut])
    (found,) = pool.get("haar-face-frontal", Detector).predict([big])
    assert len(found) >= 1
    assert iou_matrix(found.xyxy, small.xyxy * 4).max() > 0.7


@pytest.mark.parametrize("name", HAAR_MODELS)
def test_every_cascade_loads_and_answers_an_empty_batch(pool: ModelPool, name: str) -> None:
    model = pool.get(name, HaarCascadeDetector)
    assert model.predict([]) == []
    assert model.label in {"face", "person", "cat", "plate"}
