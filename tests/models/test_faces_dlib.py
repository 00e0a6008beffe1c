"""The built-in dlib face models on real photos, loaded through the pool as the server loads them.

Regions were checked by eye: the box centre of the astronaut's face (drawn over the photo) lies
between her eyes and mouth, x 195-250, y 95-150; Grace Hopper's between her glasses and
chin, x 220-320, y 190-290.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.errors import InvalidInput
from argus.models.faces_dlib import (
    DlibFaceEmbedder,
    HogFaceDetector,
    face_distance,
    margin_to_unit,
)
from argus.models.pool import ModelPool
from argus.models.tasks import FaceDetector, FaceEmbedder, FaceLandmarker, Model
from argus.vision.boxes import iou_matrix
from argus.vision.detections import Detections

RGB = npt.NDArray[np.uint8]

ASTRONAUT_FACE = (195, 95, 250, 150)  # x1, y1, x2, y2 region holding the face centre
HOPPER_FACE = (220, 190, 320, 290)


@pytest.fixture
def pool(settings: Settings) -> Iterator[ModelPool]:
    p = ModelPool(settings)
    yield p
    p.close()


def centre_in(box: npt.NDArray[np.float32], region: tuple[int, int, int, int]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return bool(region[0] <= cx <= region[2] and region[1] <= cy <= region[3])


def altered(image: RGB) -> RGB:
    """The photo rotated by 5°, cropped by 20-60 px on each side and 20 % brighter."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 5, 1.0)
    rotated = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    cropped = rotated[20:450, 40:480].astype(np.float32) * 1.2
    return np.ascontiguousarray(np.clip(cropped, 0, 255).astype(np.uint8))


def test_hog_finds_one_face_on_each_portrait_and_none_on_coffee(
    pool: ModelPool, astronaut: RGB, grace_hopper: RGB, coffee: RGB
) -> None:
    hog = pool.get("dlib-hog-face", FaceDetector)
    assert hog.providers == ["dlib-cpu"]
    on_astronaut, on_hopper, on_coffee = hog.predict([astronaut, grace_hopper, coffee])

    assert len(on_astronaut) == 1 and on_astronaut.labels == ("face",)
    assert centre_in(on_astronaut.xyxy[0], ASTRONAUT_FACE)
    assert len(on_hopper) == 1
    assert centre_in(on_hopper.xyxy[0], HOPPER_FACE)
    assert len(on_coffee) == 0
    # scores are SVM margins: positive for a clear face, and not bounded by 1
    assert on_astronaut.scores[0] > 1.0
    assert 0.5 < margin_to_unit(on_astronaut.scores)[0] < 1.0


def test_hog_boxes_on_a_large_photo_are_in_its_own_pixels(
    pool: ModelPool, grace_hopper: RGB
) -> None:
    """A 2560x3000 photo is searched at 1024 px; the box must still land on the face."""
    big = cv2.resize(grace_hopper, (2560, 3000), interpolation=cv2.INTER_CUBIC)
    (found,) = pool.get("dlib-hog-face", FaceDetector).predict([big])
    assert len(found) == 1
    region = tuple(v * 5 for v in HOPPER_FACE)
    assert centre_in(found.xyxy[0], region)  # type: ignore[arg-type]
    assert found.xyxy[0, 2] <= 2560 and found.xyxy[0, 3] <= 3000


def test_hog_upsampling_is_an_explicit_option(pool: ModelPool, astronaut: RGB) -> None:
    """Upsampling once finds a second, weak "face": the round mission patch on her suit.

    dlib's own margin of 0.0 lets it through; the catalog's 0.3 threshold drops it.
    """
    hog = pool.get("dlib-hog-face", HogFaceDetector)
    (default,) = hog.detect([astronaut])
    (upsampled,) = hog.detect([astronaut], upsample=1, min_score=0.0)
    (thresholded,) = hog.detect([astronaut], upsample=1)
    assert len(default) == 1
    assert len(upsampled) == 2
    patch = upsampled.xyxy[1]
    assert patch[1] > 300  # on the chest, far below the face
    assert upsampled.scores[1] < upsampled.scores[0]
    assert len(thresholded) == 1
    assert centre_in(thresholded.xyxy[0], ASTRONAUT_FACE)


@pytest.mark.slow
def test_cnn_finds_the_astronaut_face(pool: ModelPool, astronaut: RGB) -> None:
    cnn = pool.get("dlib-cnn-face", FaceDetector)
    (found,) = cnn.predict([astronaut])
    assert len(found) == 1
    assert centre_in(found.xyxy[0], ASTRONAUT_FACE)
    assert found.scores[0] > 0.5


def test_five_landmarks_sit_inside_the_face_with_eyes_above_the_nose(
    pool: ModelPool, astronaut: RGB, grace_hopper: RGB
) -> None:
    faces = pool.get("dlib-hog-face", FaceDetector).predict([astronaut, grace_hopper])
    marked = pool.get("dlib-landmarks-5", FaceLandmarker).predict(
        list(zip([astronaut, grace_hopper], faces, strict=True))
    )
    for before, after in zip(faces, marked, strict=True):
        assert np.array_equal(after.xyxy, before.xyxy)
        assert after.landmarks is not None and after.landmarks.shape == (1, 5, 2)
        x1, y1, x2, y2 = after.xyxy[0]
        pts = after.landmarks[0]
        assert np.all((pts[:, 0] > x1) & (pts[:, 0] < x2) & (pts[:, 1] > y1) & (pts[:, 1] < y2))
        eyes, nose = pts[:4], pts[4]
        assert np.all(eyes[:, 1] < nose[1])
        # points 0-1 are the eye on the image's right, 2-3 the one on its left
        assert pts[:2, 0].min() > pts[2:4, 0].max()


def test_landmarks_of_no_face_are_empty(pool: ModelPool, coffee: RGB) -> None:
    (out,) = pool.get("dlib-landmarks-5", FaceLandmarker).predict([(coffee, Detections.empty())])
    assert len(out) == 0
    assert out.landmarks is not None and out.landmarks.shape == (0, 5, 2)


def test_embeddings_tell_the_same_person_from_another(
    pool: ModelPool, astronaut: RGB, grace_hopper: RGB, coffee: RGB
) -> None:
    hog = pool.get("dlib-hog-face", FaceDetector)
    embedder = pool.get("dlib-resnet-face", DlibFaceEmbedder)
    copy = altered(astronaut)
    images = [astronaut, copy, grace_hopper]
    # the strongest box of each; on the brightened copy HOG also scores the round mission
    # patch on her suit as a weak face (margin 0.16 against 1.44 for her face)
    faces = [found[:1] for found in hog.predict(images)]
    assert [len(f) for f in faces] == [1, 1, 1]
    a, a2, g = embedder.predict(list(zip(images, faces, strict=True)))
    assert a.shape == (1, 128) and a.dtype == np.float32

    assert embedder.threshold == 0.6
    assert face_distance(a[0], a2[0]) < embedder.threshold
    assert face_distance(a[0], g[0]) > embedder.threshold

    (none,) = embedder.predict([(coffee, Detections.empty())])
    assert none.shape == (0, 128)


def test_face_distance_broadcasts_like_numpy() -> None:
    x = np.zeros((3, 128), np.float32)
    y = np.zeros((2, 128), np.float32)
    y[1, 0] = 3.0
    y[1, 1] = 4.0
    assert face_distance(x, y[1]).tolist() == [5.0, 5.0, 5.0]
    assert face_distance(x[:, None], y[None]).shape == (3, 2)
    assert face_distance(np.zeros((0, 128)), y[0]).shape == (0,)


def test_a_grayscale_array_is_invalid_input(pool: ModelPool, astronaut: RGB) -> None:
    gray = np.ascontiguousarray(astronaut[:, :, 0])
    with pytest.raises(InvalidInput):
        pool.get("dlib-hog-face", FaceDetector).predict([gray])


@pytest.mark.parametrize(
    "name", ["dlib-hog-face", "dlib-cnn-face", "dlib-landmarks-5", "dlib-resnet-face"]
)
def test_an_empty_batch_gives_an_empty_list(pool: ModelPool, name: str) -> None:
    model = pool.get(name, Model)
    assert model.predict([]) == []
    model.unload()
    assert not model.loaded
    assert model.predict([]) == []  # loads again on demand
    assert model.loaded


def test_embedding_barely_moves_when_the_box_comes_from_elsewhere(
    pool: ModelPool, grace_hopper: RGB
) -> None:
    """The embedder takes boxes from any detector: a HOG box shrunk by 10 % embeds alike."""
    (face,) = pool.get("dlib-hog-face", FaceDetector).predict([grace_hopper])
    x1, y1, x2, y2 = face.xyxy[0]
    dx, dy = (x2 - x1) * 0.05, (y2 - y1) * 0.05
    other = Detections.from_arrays([[x1 + dx, y1 + dy, x2 - dx, y2 - dy]], [1.0], ["face"])
    assert iou_matrix(other.xyxy, face.xyxy)[0, 0] > 0.7
    embedder = pool.get("dlib-resnet-face", FaceEmbedder)
    e1, e2 = embedder.predict([(grace_hopper, face), (grace_hopper, other)])
    assert face_distance(e1[0], e2[0]) < 0.3
