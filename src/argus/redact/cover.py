"""The cover image laid over licence plates: the neutral default or ``COVER_IMAGE_PATH``.

Seed 002 shipped its own ``static/cover.png`` (1040x212) and warped it onto every plate. Argus
ships no binary: the default cover is drawn in code at first use (a light grey plate with a dark
border and rounded corners, 1040x212, transparent outside the corners) and kept per process. A
user cover is read with Pillow; its alpha channel is the mask, or, for an image without alpha,
its non-black pixels (the seed's rule).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, UnidentifiedImageError

from argus.errors import InvalidInput

#: Size of the default cover (the seed's cover.png): width, height in pixels.
DEFAULT_SIZE = (1040, 212)


@dataclass(frozen=True)
class Cover:
    """An RGB cover and its mask.

    Attributes:
        rgb: (H, W, 3) uint8.
        alpha: (H, W) float32 in [0, 1]: how much of the cover replaces the photo.
    """

    rgb: npt.NDArray[np.uint8]
    alpha: npt.NDArray[np.float32]


def _from_rgba(image: Image.Image) -> Cover:
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"))
        alpha = rgba[:, :, 3].astype(np.float32) / 255.0
        rgb = np.ascontiguousarray(rgba[:, :, :3])
    else:
        rgb = np.asarray(image.convert("RGB"))
        alpha = (rgb.max(axis=2) > 0).astype(np.float32)
    return Cover(rgb=rgb, alpha=alpha)


def draw_default(size: tuple[int, int] = DEFAULT_SIZE) -> Image.Image:
    """The neutral cover as an RGBA Pillow image (what ``default_cover`` uses)."""
    w, h = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = max(2, h // 8)
    border = max(2, h // 24)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius, fill=(58, 62, 68, 255))
    draw.rounded_rectangle(
        (border, border, w - 1 - border, h - 1 - border),
        max(1, radius - border),
        fill=(196, 200, 204, 255),
    )
    return image


@functools.lru_cache(maxsize=1)
def default_cover() -> Cover:
    """The neutral built-in cover (drawn once per process)."""
    return _from_rgba(draw_default())


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> Cover:
    try:
        with Image.open(path) as image:
            image.load()
            return _from_rgba(image)
    except (OSError, UnidentifiedImageError) as exc:
        raise InvalidInput(f"cover image {path!r} cannot be read: {exc}") from None


def load_cover(path: Path | None) -> Cover:
    """The cover at ``path`` (re-read when the file changes), or the default when None."""
    if path is None:
        return default_cover()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InvalidInput(f"cover image {str(path)!r} cannot be read: {exc}") from None
    return _load(str(path), mtime)
