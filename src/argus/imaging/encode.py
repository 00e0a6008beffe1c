"""Encoding: RGB arrays back to JPEG, PNG or WebP bytes, and to base64 for JSON responses.

The inverse of :mod:`argus.imaging.decode` for what Argus sends out: anonymized images (WebP),
crops and thumbnails (JPEG), masks and drawings (PNG), crops embedded in JSON as base64 PNG.
Inputs are (H, W, 3) RGB, (H, W, 4) RGBA or (H, W) grey uint8 arrays; a wrong shape or dtype is a
programming error and raises ValueError. Encoders keep no metadata (no EXIF, no GPS leaves).
"""

from __future__ import annotations

import base64
import io
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

OutputFormat = Literal["JPEG", "PNG", "WEBP"]

CONTENT_TYPES: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def encode(
    pixels: npt.NDArray[np.uint8],
    fmt: OutputFormat = "JPEG",
    *,
    quality: int = 90,
    lossless: bool = False,
) -> bytes:
    """Encode an image array.

    Args:
        pixels: (H, W, 3) RGB, (H, W, 4) RGBA or (H, W) grey, uint8.
        fmt: "JPEG", "PNG" or "WEBP" (case-insensitive).
        quality: 1-100 for JPEG and lossy WebP; ignored for PNG (always lossless).
        lossless: WebP only: lossless encoding.

    JPEG has no alpha: RGBA is composited over white first.
    """
    name = fmt.upper()
    if name not in CONTENT_TYPES:
        raise ValueError(f"cannot encode to {fmt!r}; choose JPEG, PNG or WEBP")
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be within 1..100, got {quality}")
    image = _to_image(pixels)
    buffer = io.BytesIO()
    if name == "JPEG":
        if image.mode == "RGBA":
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            background.alpha_composite(image)
            image = background.convert("RGB")
        image.save(buffer, format="JPEG", quality=quality, optimize=False)
    elif name == "PNG":
        image.save(buffer, format="PNG", compress_level=6)
    else:
        image.save(buffer, format="WEBP", quality=quality, lossless=lossless, method=4)
    return buffer.getvalue()


def to_base64(
    pixels: npt.NDArray[np.uint8], fmt: OutputFormat = "PNG", *, quality: int = 90
) -> str:
    """The encoded image as a plain base64 string (no ``data:`` prefix)."""
    return base64.b64encode(encode(pixels, fmt, quality=quality)).decode("ascii")


def to_base64_png(pixels: npt.NDArray[np.uint8]) -> str:
    """The image as base64 PNG, as seed 003 returns crops."""
    return to_base64(pixels, "PNG")


def to_data_url(
    pixels: npt.NDArray[np.uint8], fmt: OutputFormat = "PNG", *, quality: int = 90
) -> str:
    """A ``data:image/...;base64,...`` URL, for HTML and clients that want one."""
    return f"data:{CONTENT_TYPES[fmt.upper()]};base64,{to_base64(pixels, fmt, quality=quality)}"


def _to_image(pixels: npt.NDArray[np.uint8]) -> Image.Image:
    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {array.dtype}")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4) pixels, got {array.shape}")
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"cannot encode an empty image of shape {array.shape}")
    return Image.fromarray(np.ascontiguousarray(array))  # L, RGB or RGBA from the shape
