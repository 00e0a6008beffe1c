"""Format sniffing: the real format from magic bytes, a clear 415 for everything else."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, features

from argus.errors import UnsupportedMediaType
from argus.imaging import formats
from argus.imaging.formats import header_size, sniff

needs_avif = pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")


@pytest.mark.parametrize(
    ("fmt", "params", "expected", "mime"),
    [
        ("JPEG", {}, "JPEG", "image/jpeg"),
        ("JPEG", {"progressive": True}, "JPEG", "image/jpeg"),
        ("PNG", {}, "PNG", "image/png"),
        ("GIF", {}, "GIF", "image/gif"),
        ("WEBP", {}, "WEBP", "image/webp"),
        ("BMP", {}, "BMP", "image/bmp"),
        ("TIFF", {}, "TIFF", "image/tiff"),
        ("HEIF", {}, "HEIF", "image/heic"),
        pytest.param("AVIF", {}, "AVIF", "image/avif", marks=needs_avif),
    ],
)
def test_sniff_names_the_real_format(save, chelsea, fmt, params, expected, mime) -> None:
    found = sniff(save(chelsea, fmt, **params))
    assert (found.name, found.mime) == (expected, mime)


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"Hello, this is a plain text file renamed to photo.jpg\n" * 20, "looks like text"),
        ("Grüße aus Köln, ça va? 東京\n".encode() * 10, "looks like text"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        (b"<!DOCTYPE html><html><body>404</body></html>", "HTML page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(64), "video"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(64), "ZIP"),
        (np.random.default_rng(7).bytes(4096), "unknown binary data"),
        (b"BMhello world, not a bitmap", "text"),
    ],
)
def test_non_images_are_refused_with_what_they_look_like(data: bytes, looks_like: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        sniff(data)
    assert caught.value.status == 415
    assert looks_like in caught.value.message
    assert "supported: JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC/HEIF" in caught.value.message


@pytest.mark.parametrize(
    ("fmt", "mode", "params"),
    [
        ("PNG", "RGB", {}),
        ("PNG", "1", {}),
        ("GIF", "RGB", {}),
        ("BMP", "RGB", {}),
        ("JPEG", "RGB", {}),
        ("JPEG", "RGB", {"progressive": True}),
        ("WEBP", "RGB", {"quality": 80}),
        ("WEBP", "RGB", {"lossless": True}),
        ("WEBP", "RGBA", {}),
    ],
)
def test_header_size_matches_what_pillow_reads(save, chelsea, fmt, mode, params) -> None:
    image = Image.fromarray(chelsea).convert(mode)
    data = save(image, fmt, **params)
    assert header_size(data, sniff(data)) == (451, 300)


def test_header_size_of_jpeg_with_exif_thumbnail_is_the_main_image(with_exif, astronaut) -> None:
    data = with_exif(astronaut, ifd0={0x010F: "Canon", 0x0110: "EOS"})
    assert header_size(data, formats.JPEG) == (512, 512)


@pytest.mark.parametrize("fmt", [formats.TIFF, formats.HEIF])
def test_header_size_is_unknown_for_formats_left_to_the_decoder(fmt) -> None:
    assert header_size(b"II*\x00" + bytes(64), fmt) is None


def test_header_size_of_a_cut_header_is_unknown() -> None:
    assert header_size(b"\xff\xd8\xff\xe0\x00\x10JFIF", formats.JPEG) is None
    assert header_size(b"\x89PNG\r\n\x1a\n", formats.PNG) is None
