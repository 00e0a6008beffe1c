"""Encoding test pictures: one Pillow encoder for arrays and images, in any format Pillow writes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image


def encode(image: npt.NDArray[np.uint8] | Image.Image, fmt: str = "JPEG", **params: Any) -> bytes:
    """The picture as ``fmt`` bytes (Pillow's format names; ``params`` go to ``Image.save``)."""
    pil = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **params)
    return buf.getvalue()


def png(image: npt.NDArray[np.uint8] | Image.Image) -> bytes:
    """The picture as PNG bytes (lossless)."""
    return encode(image, "PNG")


def jpeg(image: npt.NDArray[np.uint8] | Image.Image, quality: int = 90) -> bytes:
    """The picture as JPEG bytes."""
    return encode(image, "JPEG", quality=quality)
