"""OpenCV Haar cascades and the few OpenCV image helpers the classic detectors need.

Only this module loads cascade files. :class:`Cascade` wraps ``cv2.CascadeClassifier`` with a
typed ``detect`` that returns ``xyxy`` float32 boxes and, where OpenCV provides them, the level
weights of the last stage as scores. The helpers check that an input is an RGB ``uint8`` array,
make the equalised grayscale the cascades were trained on, and shrink large images so that the
classic detectors stay fast (callers scale the boxes back). A ``CascadeClassifier`` keeps
per-call buffers and fails OpenCV assertions when two threads detect at once, so each cascade
serialises its calls with a lock.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array, UInt8Image
from argus.errors import InvalidInput, ModelLoadFailed


def rgb_uint8(image: npt.NDArray[np.generic]) -> UInt8Image:
    """``image`` as a C-contiguous (H, W, 3) uint8 array; anything else is :class:`InvalidInput`."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InvalidInput(
            f"expected an RGB uint8 image of shape (H, W, 3), got {image.dtype} {image.shape}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidInput(f"empty image of shape {image.shape}")
    return np.ascontiguousarray(image)


def fit_max_side(image: UInt8Image, max_side: int | None) -> tuple[UInt8Image, float]:
    """Shrink ``image`` (never enlarge) so that its longer side is at most ``max_side`` pixels.

    Returns the working image and the factor ``working / original`` (1.0 when unchanged);
    boxes found on the working image are divided by it. ``None`` keeps the image as it is.
    """
    h, w = image.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return image, 1.0
    factor = max_side / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small), factor


def equalized_gray(image: UInt8Image) -> UInt8Image:
    """Grayscale of an RGB image with its histogram equalised (what the cascades expect)."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.equalizeHist(gray), np.uint8)


class Cascade:
    """A loaded Haar/LBP cascade.

    ``window`` is the cascade's training window ``(width, height)`` in pixels: the smallest box
    it can report and the aspect ratio of every box it reports.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._classifier = cv2.CascadeClassifier(str(path))
        except cv2.error as exc:
            raise ModelLoadFailed(f"OpenCV could not read cascade {path.name}: {exc}") from exc
        if self._classifier.empty():
            raise ModelLoadFailed(f"OpenCV could not read cascade {path.name}")
        w, h = self._classifier.getOriginalWindowSize()
        self.window = (int(w), int(h))
        self._lock = threading.Lock()

    def detect(
        self,
        gray: UInt8Image,
        *,
        scale_factor: float,
        min_neighbors: int,
        min_size: tuple[int, int],
    ) -> tuple[Float32Array, Float32Array | None]:
        """Boxes ``(N, 4)`` xyxy float32 on ``gray`` and their level weights, or None.

        The weights come from ``detectMultiScale3(outputRejectLevels=True)``: the sum of the
        weak classifiers of the cascade's last stage for the strongest window of each group.
        They are an unbounded margin (higher is more certain), not a probability. When this
        OpenCV build cannot report them the weights are None.
        """
        weights: Float32Array | None
        with self._lock:
            rects, weights = self._detect(gray, scale_factor, min_neighbors, min_size)
        xywh = np.asarray(rects, np.float32).reshape(-1, 4)
        if weights is not None and len(weights) != len(xywh):
            weights = None
        xyxy = xywh.copy()
        xyxy[:, 2:] += xyxy[:, :2]
        return xyxy, weights

    def _detect(
        self, gray: UInt8Image, scale_factor: float, min_neighbors: int, min_size: tuple[int, int]
    ) -> tuple[object, Float32Array | None]:
        weights: Float32Array | None
        try:
            rects, _levels, raw = self._classifier.detectMultiScale3(
                gray,
                scaleFactor=scale_factor,
                minNeighbors=min_neighbors,
                minSize=min_size,
                outputRejectLevels=True,
            )
            weights = np.asarray(raw, np.float32).reshape(-1)
        except cv2.error:
            rects = self._classifier.detectMultiScale(
                gray, scaleFactor=scale_factor, minNeighbors=min_neighbors, minSize=min_size
            )
            weights = None
        return rects, weights
