"""Face quality checks: size, sharpness, brightness and pose, each against a setting.

Seed 004 filtered faces on resolution, sharpness, brightness and pose before extracting a
feature; its numbers were not published, so these are measured here on scikit-image's astronaut
and matplotlib's Grace Hopper (both pass) and on blurred, darkened and shrunk copies (which fail).
Every check is computed on the detector's box in the image the embedding sees:

* ``face_size``: the shorter side of the box, in pixels (dlib's HOG boxes are tight: the
  astronaut's face on her 512-px portrait measures 88 px).
* ``sharpness``: variance of the Laplacian of the face resampled to 112x112 grey and normalised
  to a standard contrast (standard deviation 50), so that a dim face is not also called blurred.
  The astronaut scores about 190, Gaussian blur of sigma 2 brings her under 20.
* ``brightness``: mean grey level of the face, 0-255.
* ``pose``: roll (tilt of the eye line) and an estimate of yaw from how far the base of the nose
  sits from the eyes' midpoint (``atan(offset / 0.35)``: the nose base stands about 0.35
  eye-distances in front of the eyes). Pitch cannot be read from these five points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB
from argus.config import FaceSettings

QUALITY_SIDE = 112
STANDARD_CONTRAST = 50.0
NOSE_DEPTH = 0.35


@dataclass(frozen=True)
class Check:
    """One quality check: its measured value, the allowed range and the outcome."""

    name: str
    value: float
    minimum: float | None
    maximum: float | None

    @property
    def passed(self) -> bool:
        low = self.minimum is None or self.value >= self.minimum
        high = self.maximum is None or self.value <= self.maximum
        return low and high

    def describe(self) -> str:
        """E.g. ``sharpness 12.3 < 25`` for a failed check."""
        if self.minimum is not None and self.value < self.minimum:
            return f"{self.name} {self.value:.1f} < {self.minimum:g}"
        if self.maximum is not None and self.value > self.maximum:
            return f"{self.name} {self.value:.1f} > {self.maximum:g}"
        return f"{self.name} {self.value:.1f} ok"

    def to_dict(self) -> dict[str, float | bool | str | None]:
        return {
            "name": self.name,
            "value": round(self.value, 2),
            "min": self.minimum,
            "max": self.maximum,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Quality:
    """All checks of one face, in a fixed order."""

    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[str]:
        """Names of the failed checks (``face_size``, ``sharpness``, ``brightness``, ...)."""
        return [c.name for c in self.checks if not c.passed]

    def describe_failures(self) -> str:
        return "; ".join(c.describe() for c in self.checks if not c.passed)

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "checks": [c.to_dict() for c in self.checks],
        }


def face_crop_gray(image: RGB, box: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """The grey pixels inside ``box`` (x1, y1, x2, y2), clipped to the image; may be empty."""
    import cv2

    h, w = image.shape[:2]
    x1, y1, x2, y2 = np.asarray(box, np.float64).reshape(4)
    xa, ya = max(0, math.floor(x1)), max(0, math.floor(y1))
    xb, yb = min(w, math.ceil(x2)), min(h, math.ceil(y2))
    crop = np.ascontiguousarray(image[ya:yb, xa:xb])
    if crop.size == 0:
        return np.zeros((0, 0), np.uint8)
    return np.asarray(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), np.uint8)


def sharpness(gray: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian of a grey face at 112x112 and standard contrast (0 if flat)."""
    import cv2

    if gray.size == 0:
        return 0.0
    shrink = gray.shape[0] > QUALITY_SIDE
    fixed = cv2.resize(
        gray,
        (QUALITY_SIDE, QUALITY_SIDE),
        interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC,
    ).astype(np.float64)
    std = float(fixed.std())
    if std < 1e-6:
        return 0.0
    normalised = (fixed - fixed.mean()) * (STANDARD_CONTRAST / std)
    return float(cv2.Laplacian(normalised, cv2.CV_64F).var())


def brightness(gray: npt.NDArray[np.uint8]) -> float:
    """Mean grey level, 0-255 (0 for an empty crop)."""
    return float(gray.mean()) if gray.size else 0.0


def pose(landmarks: npt.ArrayLike) -> tuple[float, float]:
    """``(roll_deg, yaw_deg)`` from dlib's 5 points (4 eye corners, nose base), both >= 0.

    Roll is the angle of the line through the two eye centres; yaw is ``atan(offset / 0.35)``
    where offset is the nose base's distance from the eyes' midpoint along that line, in
    eye distances.
    """
    pts = np.asarray(landmarks, np.float64).reshape(-1, 2)
    if len(pts) < 5:
        return 0.0, 0.0
    right_eye, left_eye, nose = pts[0:2].mean(0), pts[2:4].mean(0), pts[4]
    axis = right_eye - left_eye
    distance = float(np.hypot(*axis))
    if distance < 1e-6:
        return 0.0, 90.0
    roll = math.degrees(math.atan2(axis[1], axis[0]))
    offset = float(np.dot(nose - (right_eye + left_eye) / 2, axis / distance)) / distance
    yaw = math.degrees(math.atan(abs(offset) / NOSE_DEPTH))
    return abs(roll), yaw


def assess(image: RGB, box: npt.ArrayLike, landmarks: npt.ArrayLike, cfg: FaceSettings) -> Quality:
    """Every check for one face of ``image``."""
    b = np.asarray(box, np.float64).reshape(4)
    size = float(min(b[2] - b[0], b[3] - b[1]))
    gray = face_crop_gray(image, b)
    roll, yaw = pose(landmarks)
    return Quality(
        (
            Check("face_size", size, float(cfg.min_face_px), None),
            Check("sharpness", sharpness(gray), cfg.min_sharpness, None),
            Check("brightness", brightness(gray), cfg.min_brightness, cfg.max_brightness),
            Check("roll", roll, None, cfg.max_roll_deg),
            Check("yaw", yaw, None, cfg.max_yaw_deg),
        )
    )


def upscale(image: RGB, factor: float) -> RGB:
    """``image`` enlarged by ``factor`` (bicubic) then sharpened with an unsharp mask."""
    import cv2

    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    big = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    soft = cv2.GaussianBlur(big, (0, 0), 1.0)
    return np.ascontiguousarray(cv2.addWeighted(big, 1.5, soft, -0.5, 0), dtype=np.uint8)
