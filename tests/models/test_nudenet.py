"""NudeNet's body-part detector on real photos, through the pool and Argus's ONNX Runtime.

The face boxes asserted here were checked by eye on drawings of the detections. The reference is
the ``nudenet`` library itself (``NudeDetector().detect``, installed with it): Argus feeds the
model BGR as the library's reader does, and finds the same labels and scores on the photos.
The model is not perfect on harmless pictures either: scikit-image's colour wheel is
BUTTOCKS_EXPOSED at about 0.83 for the library and for Argus alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
import skimage.data

from argus.config import Settings
from argus.models.nudenet import EXPOSED_LABELS, LABELS, NudeNetDetector, decode, letterbox
from argus.models.pool import ModelPool
from argus.vision.boxes import iou_matrix
from argus.vision.detections import Detections

RGB = npt.NDArray[np.uint8]

# Face regions verified by eye (x1, y1, x2, y2 in pixels of the fixture images).
ASTRONAUT_FACE = (173, 83, 274, 180)
GRACE_HOPPER_FACE = (170, 140, 359, 343)


@pytest.fixture
def detector(settings: Settings) -> Iterator[NudeNetDetector]:
    pool = ModelPool(settings)
    model = pool.get("nudenet-320n", NudeNetDetector)
    yield model
    pool.close()


def exposed(dets: Detections) -> list[tuple[str, float]]:
    return [(d.label, round(d.score, 3)) for d in dets if d.label in EXPOSED_LABELS]


def test_labels_are_nudenets_eighteen_and_exposed_are_the_explicit_ones() -> None:
    assert len(LABELS) == 18 == len(set(LABELS))
    assert {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    } == EXPOSED_LABELS
    assert set(LABELS) >= EXPOSED_LABELS


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper", "chelsea", "coffee"])
def test_harmless_photos_have_no_explicit_detection(
    detector: NudeNetDetector, name: str, request: pytest.FixtureRequest
) -> None:
    image: RGB = request.getfixturevalue(name)
    dets = detector.predict([image])[0]
    assert exposed(dets) == [], f"{name}: {dets.to_list()}"
    assert all(d.score >= detector.score_threshold for d in dets)


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper", "chelsea", "coffee", "colorwheel"])
def test_detections_match_the_nudenet_library(
    detector: NudeNetDetector, name: str, request: pytest.FixtureRequest
) -> None:
    from nudenet import NudeDetector

    image: RGB = (
        np.ascontiguousarray(skimage.data.colorwheel()[..., :3])
        if name == "colorwheel"
        else request.getfixturevalue(name)
    )
    bgr = np.ascontiguousarray(image[..., ::-1])  # what cv2.imread gives the library
    theirs = sorted((r["class"], round(float(r["score"]), 2)) for r in NudeDetector().detect(bgr))
    dets = detector.predict([image])[0]
    ours = sorted(
        (label, round(float(score), 2))
        for label, score in zip(dets.labels, dets.scores, strict=True)
    )
    assert [label for label, _ in ours] == [label for label, _ in theirs]
    for (_, mine), (_, lib) in zip(ours, theirs, strict=True):
        assert mine == pytest.approx(lib, abs=0.02)
    if name == "colorwheel":  # the library's own false positive, kept as it is
        assert [label for label, _ in ours] == ["BUTTOCKS_EXPOSED"]


@pytest.mark.parametrize(
    ("name", "face"), [("astronaut", ASTRONAUT_FACE), ("grace_hopper", GRACE_HOPPER_FACE)]
)
def test_female_face_is_found_where_the_face_is(
    detector: NudeNetDetector, name: str, face: tuple[int, ...], request: pytest.FixtureRequest
) -> None:
    image: RGB = request.getfixturevalue(name)
    dets = detector.predict([image])[0]
    faces = dets[np.array([label == "FACE_FEMALE" for label in dets.labels], dtype=bool)]
    assert len(faces) == 1, dets.to_list()
    assert iou_matrix(faces.xyxy, [face])[0, 0] > 0.8, faces.to_list()
    assert 0.5 < faces.scores[0] <= 1.0
    h, w = image.shape[:2]
    assert np.all(faces.xyxy >= 0) and np.all(faces.xyxy[:, [0, 2]] <= w)
    assert np.all(faces.xyxy[:, [1, 3]] <= h)


def test_a_batch_gives_the_same_results_as_one_image_at_a_time(
    detector: NudeNetDetector, astronaut: RGB, grace_hopper: RGB, chelsea: RGB, coffee: RGB
) -> None:
    images = [astronaut, grace_hopper, chelsea, coffee]
    batched = detector.predict(images)
    single = [detector.predict([img])[0] for img in images]
    assert len(batched) == 4
    for b, s in zip(batched, single, strict=True):
        assert b.labels == s.labels
        np.testing.assert_allclose(b.xyxy, s.xyxy, atol=0.5)
        np.testing.assert_allclose(b.scores, s.scores, atol=1e-3)


def test_empty_batch_gives_no_results(detector: NudeNetDetector) -> None:
    assert detector.predict([]) == []


def test_thresholds_can_be_raised_per_call(detector: NudeNetDetector, astronaut: RGB) -> None:
    assert len(detector.detect([astronaut], score_threshold=0.95)[0]) == 0
    assert len(detector.detect([astronaut])[0]) >= 1


def test_letterbox_pads_bottom_right_to_a_square() -> None:
    image = np.full((100, 200, 3), 255, np.uint8)
    blob, scale = letterbox(image, 320)
    assert blob.shape == (3, 320, 320) and blob.dtype == np.float32
    assert scale == pytest.approx(200 / 320)
    assert blob[:, :150].min() == pytest.approx(1.0)  # the image, top half
    assert blob[:, 170:].max() == 0.0  # black padding below it


def _raw(*anchors: tuple[float, float, float, float, int, float]) -> npt.NDArray[np.float32]:
    """A (22, A) graph output with the given (cx, cy, w, h, class, score) anchors."""
    out = np.zeros((4 + len(LABELS), len(anchors)), np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(anchors):
        out[:4, i] = (cx, cy, w, h)
        out[4 + cls, i] = score
    return out


@pytest.mark.parametrize(
    ("anchors", "expected"),
    [
        ((), []),
        (((50, 50, 20, 20, 1, 0.1),), []),  # below the threshold
        (((50, 50, 20, 20, 1, 0.9),), [("FACE_FEMALE", (80, 80, 120, 120))]),
        (  # overlapping boxes of different classes: the best one stays (class-agnostic NMS)
            ((50, 50, 20, 20, 1, 0.9), (51, 50, 20, 20, 12, 0.6)),
            [("FACE_FEMALE", (80, 80, 120, 120))],
        ),
        (((155, 5, 20, 20, 7, 0.5),), [("FEET_EXPOSED", (290, 0, 300, 30))]),  # clipped
    ],
)
def test_decode_scales_to_input_pixels_thresholds_and_suppresses(
    anchors: tuple[tuple[float, float, float, float, int, float], ...],
    expected: list[tuple[str, tuple[int, ...]]],
) -> None:
    dets = decode(_raw(*anchors), 2.0, (300, 200), 0.25, 0.45)
    assert [(d.label, tuple(round(v) for v in d.box)) for d in dets] == expected
