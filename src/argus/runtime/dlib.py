"""dlib handles behind small typed wrappers: the only module that imports ``dlib``.

Loaders return a wrapper per dlib object (HOG detector, MMOD CNN detector, shape predictor);
:func:`face_chips` cuts the aligned chips dlib's face recogniser reads (the recogniser itself
runs on ONNX Runtime, converted from dlib's file by :mod:`argus.models.convert.dlib_resnet`).
Each wrapper speaks numpy: images in as C-contiguous RGB ``uint8``
arrays, boxes in and out as ``(N, 4)`` float32 ``xyxy`` in pixels of that image. dlib rectangles
are inclusive of their right/bottom pixel, so ``xyxy = (left, top, right + 1, bottom + 1)``.

The ``dlib-bin`` wheel is built without BLAS: every call runs on one CPU thread. dlib objects
are not safe to share between threads (two threads on one HOG detector aborted the process with
``munmap_chunk(): invalid pointer``), so each wrapper serialises calls on its handle with a lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import dlib
import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array, UInt8Image
from argus.errors import ModelLoadFailed

PROVIDERS = ["dlib-cpu"]


def _xyxy(rects: Any) -> Float32Array:
    """dlib rectangles -> (N, 4) float32 xyxy, right/bottom exclusive."""
    out = np.array([(r.left(), r.top(), r.right() + 1, r.bottom() + 1) for r in rects], np.float32)
    return out.reshape(-1, 4)


def _rectangle(box: npt.NDArray[np.floating]) -> Any:
    """One xyxy box -> dlib.rectangle (integer, right/bottom inclusive)."""
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    return dlib.rectangle(x1, y1, max(x1, x2 - 1), max(y1, y2 - 1))


def _load(kind: str, loader: Any, path: Path) -> Any:
    try:
        return loader(str(path))
    except RuntimeError as exc:  # dlib reports unreadable/corrupt files as RuntimeError
        raise ModelLoadFailed(f"dlib could not load {kind} from {path.name}: {exc}") from exc


class HogDetector:
    """dlib's HOG + linear SVM frontal face detector (80x80 px window)."""

    def __init__(self) -> None:
        self._handle = dlib.get_frontal_face_detector()
        self._lock = threading.Lock()

    def run(
        self, image: UInt8Image, upsample: int, adjust_threshold: float
    ) -> tuple[Float32Array, Float32Array]:
        """Boxes (N, 4) and SVM margins (N,) of faces scoring above ``adjust_threshold``."""
        with self._lock:
            rects, scores, _idx = self._handle.run(image, upsample, adjust_threshold)
        return _xyxy(rects), np.asarray(scores, np.float32).reshape(-1)


class CnnDetector:
    """dlib's MMOD CNN face detector loaded from a ``.dat`` file."""

    def __init__(self, path: Path) -> None:
        self._handle = _load("the CNN face detector", dlib.cnn_face_detection_model_v1, path)
        self._lock = threading.Lock()

    def run(self, image: UInt8Image, upsample: int) -> tuple[Float32Array, Float32Array]:
        """Boxes (N, 4) and MMOD detection confidences (N,) of the faces found."""
        with self._lock:
            found = self._handle(image, upsample)
        boxes = _xyxy([d.rect for d in found])
        return boxes, np.array([d.confidence for d in found], np.float32).reshape(-1)


class Shapes:
    """Landmarks of N faces of one image: ``points`` (N, K, 2) float32 plus the dlib handle."""

    def __init__(self, handle: Any, points: Float32Array) -> None:
        self.handle = handle
        self.points = points

    def __len__(self) -> int:
        return len(self.points)


class ShapePredictor:
    """A dlib shape predictor (5 or 68 landmarks per face)."""

    def __init__(self, path: Path) -> None:
        self._handle = _load("the shape predictor", dlib.shape_predictor, path)
        self._lock = threading.Lock()

    def predict(self, image: UInt8Image, boxes: Float32Array) -> Shapes:
        """Landmarks for each box (N, 4) xyxy of ``image``; ``points`` in image pixels."""
        shapes = dlib.full_object_detections()
        with self._lock:
            for box in boxes:
                shapes.append(self._handle(image, _rectangle(box)))
        pts = [[(p.x, p.y) for p in s.parts()] for s in shapes]
        k = len(pts[0]) if pts else 0
        return Shapes(shapes, np.array(pts, np.float32).reshape(len(pts), k, 2))


def face_chips(image: UInt8Image, shapes: Shapes, size: int = 150, jitters: int = 0) -> UInt8Image:
    """The aligned face chips (N, size, size, 3) RGB ``uint8`` that dlib's face recogniser
    reads: ``get_face_chip`` of each face (padding 0.25), as ``compute_face_descriptor`` cuts
    them. With ``jitters`` > 1 each face gives that many chips in a row, randomly jittered by
    ``dlib.jitter_image`` (what ``compute_face_descriptor`` averages over)."""
    chips: list[UInt8Image] = []
    for shape in shapes.handle:
        chip = np.asarray(dlib.get_face_chip(image, shape, size, 0.25))
        if jitters > 1:
            chips.extend(np.asarray(c) for c in dlib.jitter_image(chip, jitters))
        else:
            chips.append(chip)
    if not chips:
        return np.zeros((0, size, size, 3), np.uint8)
    return np.stack(chips)


def hog_detector() -> HogDetector:
    return HogDetector()


def cnn_detector(path: Path) -> CnnDetector:
    return CnnDetector(path)


def shape_predictor(path: Path) -> ShapePredictor:
    return ShapePredictor(path)
