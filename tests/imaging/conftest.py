"""Fixtures for the image intake tests: default limits and encoders that take any Pillow mode
or attach EXIF tags (IFD0, the Exif IFD 0x8769 and the GPS IFD 0x8825)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from PIL import Image

from argus.config import ImagingSettings
from argus.imaging import register_heif
from support.images import encode

Save = Callable[..., bytes]


@pytest.fixture
def limits() -> ImagingSettings:
    return ImagingSettings()


def _save(pixels: Any, fmt: str = "JPEG", **params: Any) -> bytes:
    if fmt.upper() in ("HEIF", "HEIC"):
        register_heif()
        fmt = "HEIF"
    return encode(pixels, fmt, **params)


@pytest.fixture
def save() -> Save:
    """``save(array_or_pil_image, fmt, **params) -> bytes`` with Pillow."""
    return _save


def _with_exif(
    pixels: Any,
    ifd0: Mapping[int, Any] | None = None,
    exif_ifd: Mapping[int, Any] | None = None,
    gps_ifd: Mapping[int, Any] | None = None,
    fmt: str = "JPEG",
) -> bytes:
    exif = Image.Exif()
    exif.update(ifd0 or {})
    if exif_ifd:
        exif.get_ifd(0x8769).update(exif_ifd)
    if gps_ifd:
        exif.get_ifd(0x8825).update(gps_ifd)
    return _save(pixels, fmt, exif=exif, quality=95)


@pytest.fixture
def with_exif() -> Callable[..., bytes]:
    """``with_exif(pixels, ifd0={tag: value}, exif_ifd={...}, gps_ifd={...}, fmt="JPEG")``."""
    return _with_exif
