"""Encoding results: JPEG, PNG, WebP bytes and base64 PNG that read back as the same picture."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from argus.imaging import decode, encode, to_base64_png, to_data_url
from argus.imaging.exif import ExifInfo


@pytest.mark.parametrize(
    ("fmt", "params", "mime", "tolerance"),
    [
        ("JPEG", {"quality": 90}, "image/jpeg", 6.0),
        ("PNG", {}, "image/png", 0.0),
        ("WEBP", {"quality": 90}, "image/webp", 6.0),
        ("WEBP", {"lossless": True}, "image/webp", 0.0),
        ("webp", {}, "image/webp", 8.0),
    ],
)
def test_encoded_image_reads_back(chelsea, limits, fmt, params, mime, tolerance) -> None:
    picture = decode(encode(chelsea, fmt, **params), limits)
    assert picture.mime == mime
    assert picture.pixels.shape == chelsea.shape
    assert np.abs(picture.pixels.astype(int) - chelsea).mean() <= tolerance


def test_lower_quality_makes_smaller_files(astronaut) -> None:
    assert len(encode(astronaut, "JPEG", quality=30)) < len(encode(astronaut, "JPEG", quality=95))
    assert len(encode(astronaut, "WEBP", quality=30)) < len(encode(astronaut, "WEBP", quality=95))


def test_base64_png_is_the_exact_image(chelsea, limits) -> None:
    text = to_base64_png(chelsea)
    assert text.isascii()
    assert np.array_equal(decode(base64.b64decode(text), limits).pixels, chelsea)


def test_data_url(chelsea) -> None:
    assert to_data_url(chelsea, "JPEG").startswith("data:image/jpeg;base64,/9j/")


def test_rgba_to_jpeg_is_composited_over_white(limits) -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    picture = decode(encode(rgba, "JPEG", quality=100), limits)
    assert picture.pixels.min() >= 250


def test_grey_pixels_encode(limits) -> None:
    grey = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (8, 1))
    assert decode(encode(grey, "PNG"), limits).pixels[0, :, 0].tolist() == list(range(0, 256, 16))


def test_encoded_images_carry_no_metadata(with_exif, chelsea, limits) -> None:
    original = decode(with_exif(chelsea, ifd0={0x010F: "Canon"}, gps_ifd={1: "N"}), limits)
    assert decode(encode(original.pixels, "JPEG"), limits).exif == ExifInfo()


@pytest.mark.parametrize(
    ("pixels", "fmt", "quality", "message"),
    [
        (np.zeros((4, 4, 3), np.float32), "PNG", 90, "uint8"),
        (np.zeros((4, 4, 2), np.uint8), "PNG", 90, "shape|pixels"),
        (np.zeros((0, 4, 3), np.uint8), "PNG", 90, "empty"),
        (np.zeros((4, 4, 3), np.uint8), "GIF", 90, "JPEG, PNG or WEBP"),
        (np.zeros((4, 4, 3), np.uint8), "JPEG", 0, "quality"),
        (np.zeros((4, 4, 3), np.uint8), "JPEG", 101, "quality"),
    ],
)
def test_programming_errors_are_value_errors(pixels, fmt, quality, message) -> None:
    with pytest.raises(ValueError, match=message):
        encode(pixels, fmt, quality=quality)
