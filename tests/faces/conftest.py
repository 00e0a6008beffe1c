"""Face photos for the face tests: the two real portraits, altered copies and a third person.

The third person is face 64 of scikit-image's ``lfw_subset()`` (25x25 grey crops from Labeled
Faces in the Wild), enlarged to 160 px on a replicated border: dlib finds it, it passes every
quality check, and its cosine similarity is 0.83 to the astronaut and 0.84 to Grace Hopper,
well under dlib's calibrated 0.908 (measured when these tests were written).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import skimage.data

RGB = npt.NDArray[np.uint8]


def altered(image: RGB, *, angle: float = 5.0, scale: float = 1.5, gain: float = 1.2) -> RGB:
    """The photo rotated by ``angle`` degrees, cropped, enlarged by ``scale``, ``gain`` brighter."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rotated = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    cropped = rotated[20 : h - 60, 40 : w - 30].astype(np.float32) * gain
    out = np.clip(cropped, 0, 255).astype(np.uint8)
    out = cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(out)


@pytest.fixture(scope="session")
def astronaut_copy(astronaut: RGB) -> RGB:
    """The astronaut rotated 5°, cropped, enlarged 1.5x and 20 % brighter."""
    return altered(astronaut)


@pytest.fixture(scope="session")
def hopper_copy(grace_hopper: RGB) -> RGB:
    """Grace Hopper rotated -4°, cropped, shrunk to 0.8x and 10 % brighter."""
    return altered(grace_hopper, angle=-4.0, scale=0.8, gain=1.1)


@pytest.fixture(scope="session")
def third_person() -> RGB:
    """A face that is neither the astronaut nor Grace Hopper (see the module docstring)."""
    grey = (skimage.data.lfw_subset()[64] * 255).astype(np.uint8)
    grey = cv2.resize(grey, (160, 160), interpolation=cv2.INTER_CUBIC)
    grey = cv2.copyMakeBorder(grey, 60, 60, 60, 60, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
