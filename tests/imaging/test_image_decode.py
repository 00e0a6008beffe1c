"""Decoding: every format to upright RGB, reduced decodes, colour modes, and bad input as 4xx."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile, features

from argus.config import ImagingSettings
from argus.errors import InvalidImage, PayloadTooLarge, UnsupportedMediaType
from argus.imaging import decode
from support.images import jpeg, png

ORIENTATION = 0x0112


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize(
    ("fmt", "params", "name", "mime", "tolerance"),
    [
        ("JPEG", {"quality": 90}, "JPEG", "image/jpeg", 6.0),
        ("PNG", {}, "PNG", "image/png", 0.0),
        ("WEBP", {"quality": 90}, "WEBP", "image/webp", 6.0),
        ("WEBP", {"lossless": True}, "WEBP", "image/webp", 0.0),
        ("GIF", {}, "GIF", "image/gif", 8.0),
        ("BMP", {}, "BMP", "image/bmp", 0.0),
        ("TIFF", {}, "TIFF", "image/tiff", 0.0),
        ("TIFF", {"compression": "tiff_lzw"}, "TIFF", "image/tiff", 0.0),
        ("HEIF", {"quality": 90}, "HEIF", "image/heic", 6.0),
        pytest.param(
            "AVIF",
            {"quality": 90},
            "AVIF",
            "image/avif",
            6.0,
            marks=pytest.mark.skipif(not features.check("avif"), reason="no AVIF in Pillow"),
        ),
    ],
)
def test_each_format_decodes_to_the_photo(
    save, astronaut, limits, fmt, params, name, mime, tolerance
) -> None:
    data = save(astronaut, fmt, **params)
    picture = decode(data, limits)
    assert (picture.format, picture.mime) == (name, mime)
    assert (picture.width, picture.height) == (512, 512)
    assert picture.pixels.dtype == np.uint8
    assert picture.pixels.flags.c_contiguous
    assert mean_abs_diff(picture.pixels, astronaut) <= tolerance
    assert picture.frame_count == 1
    assert picture.scale == (1.0, 1.0)
    assert not picture.reduced


def test_identity_of_the_original_bytes(save, chelsea, limits) -> None:
    data = save(chelsea, "JPEG")
    picture = decode(data, limits)
    assert picture.sha256 == hashlib.sha256(data).hexdigest()
    assert picture.byte_size == len(data)


def test_pixels_are_read_only_so_pipelines_cannot_corrupt_each_other(save, chelsea, limits) -> None:
    pixels = decode(save(chelsea, "PNG"), limits).pixels
    with pytest.raises(ValueError, match="read-only"):
        pixels[0, 0] = 0


# numpy view of each EXIF orientation: what a viewer shows for stored pixels `a`
UPRIGHT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(with_exif, chelsea, limits, orientation) -> None:
    data = with_exif(chelsea, ifd0={ORIENTATION: orientation})
    picture = decode(data, limits)
    expected = UPRIGHT[orientation](chelsea)
    assert (picture.height, picture.width) == expected.shape[:2]
    assert mean_abs_diff(picture.pixels, expected) < 4.0
    assert picture.exif.orientation == orientation


def test_orientation_6_turns_a_landscape_file_into_a_portrait(with_exif, chelsea, limits) -> None:
    picture = decode(with_exif(chelsea, ifd0={ORIENTATION: 6}), limits)
    assert (picture.width, picture.height) == (300, 451)
    assert picture.pixels.shape == (451, 300, 3)
    # the top-left corner of the stored image ends up top-right
    assert (
        mean_abs_diff(picture.pixels[:20, -20:], chelsea[:20, :20].transpose(1, 0, 2)[:, ::-1]) < 6
    )


@pytest.fixture(scope="module")
def camera_jpeg() -> tuple[np.ndarray, bytes]:
    """A 4000x3000 (12 MP) camera-like JPEG made from the coffee photo, and its pixels."""
    import skimage.data

    big = Image.fromarray(skimage.data.coffee()).resize((4000, 3000), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=85)
    return np.asarray(big), buf.getvalue()


@pytest.mark.parametrize(("max_side", "shape"), [(640, (480, 640)), (300, (225, 300))])
def test_reduced_decode_of_a_12_mp_jpeg(camera_jpeg, limits, max_side, shape) -> None:
    full, data = camera_jpeg
    picture = decode(data, limits, max_side=max_side)
    assert picture.pixels.shape == (*shape, 3)
    assert (picture.width, picture.height) == (4000, 3000)
    assert picture.scale == pytest.approx((4000 / shape[1], 3000 / shape[0]))
    assert picture.reduced
    expected = np.asarray(Image.fromarray(full).resize(shape[::-1], Image.Resampling.BOX))
    assert mean_abs_diff(picture.pixels, expected) < 4.0


def test_reduced_decode_with_orientation_swapping_axes(camera_jpeg, limits) -> None:
    full, data = camera_jpeg
    image = Image.open(io.BytesIO(data))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=85, exif=exif)
    picture = decode(buf.getvalue(), limits, max_side=500)
    assert (picture.width, picture.height) == (3000, 4000)
    assert picture.pixels.shape == (500, 375, 3)
    assert picture.scale == pytest.approx((8.0, 8.0))
    upright = np.rot90(full, -1)
    expected = np.asarray(Image.fromarray(upright).resize((375, 500), Image.Resampling.BOX))
    assert mean_abs_diff(picture.pixels, expected) < 4.0


def test_box_found_on_reduced_pixels_maps_back_to_the_original(camera_jpeg, limits) -> None:
    from argus.vision.detections import Detections

    picture = decode(camera_jpeg[1], limits, max_side=400)
    found = Detections.from_arrays([[10, 20, 110, 220]], [0.9], ["cup"])
    assert found.scaled(*picture.scale).xyxy[0].tolist() == pytest.approx([100, 200, 1100, 2200])


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_reduced_decode_of_other_formats_resizes(save, coffee, limits, fmt) -> None:
    picture = decode(save(coffee, fmt), limits, max_side=150)
    assert picture.pixels.shape == (100, 150, 3)
    assert (picture.width, picture.height) == (600, 400)


def test_max_side_larger_than_the_image_changes_nothing(save, chelsea, limits) -> None:
    picture = decode(save(chelsea, "JPEG"), limits, max_side=2000)
    assert picture.pixels.shape == (300, 451, 3)
    assert not picture.reduced


# -- colour modes ------------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb(save, astronaut, limits) -> None:
    data = save(Image.fromarray(astronaut).convert("CMYK"), "JPEG", quality=95)
    picture = decode(data, limits)
    assert picture.pixels.shape == (512, 512, 3)
    assert mean_abs_diff(picture.pixels, astronaut) < 8.0


def test_16_bit_grey_png_is_scaled_to_8_bits(save, limits) -> None:
    grey16 = np.array([[0, 257 * 128, 65535], [65535, 257 * 64, 0]], dtype=np.uint16)
    picture = decode(save(Image.fromarray(grey16), "PNG"), limits)
    assert picture.pixels.dtype == np.uint8
    assert picture.pixels[..., 0].tolist() == [[0, 128, 255], [255, 64, 0]]
    assert (picture.pixels[..., 0] == picture.pixels[..., 2]).all()


def test_32_bit_integer_tiff_becomes_rgb(save, limits) -> None:
    values = np.array([[0, 1000, 70000]], dtype=np.int32)
    picture = decode(save(Image.fromarray(values, mode="I"), "TIFF"), limits)
    assert picture.pixels[0, :, 0].tolist() == [0, 4, 255]


def test_transparency_is_composited_over_white(save, limits) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:, :4] = (200, 0, 0, 255)  # opaque red on the left, fully transparent on the right
    picture = decode(save(rgba, "PNG"), limits)
    assert picture.pixels[0, 0].tolist() == [200, 0, 0]
    assert picture.pixels[0, 7].tolist() == [255, 255, 255]


def test_half_transparent_grey_alpha_blends_with_white(save, limits) -> None:
    la = Image.fromarray(np.dstack([np.zeros((4, 4), np.uint8), np.full((4, 4), 128, np.uint8)]))
    picture = decode(save(la, "PNG"), limits)
    assert picture.pixels[0, 0].tolist() == pytest.approx([127, 127, 127], abs=1)


def test_palette_png_with_transparent_index(save, limits) -> None:
    palette = Image.new("P", (6, 2))
    palette.putpalette([0, 0, 255, 0, 255, 0] + [0] * 762)
    palette.putdata([0, 0, 0, 1, 1, 1] * 2)
    picture = decode(save(palette, "PNG", transparency=0), limits)
    assert picture.pixels[0, 0].tolist() == [255, 255, 255]
    assert picture.pixels[0, 5].tolist() == [0, 255, 0]


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGBA", "LA", "I;16", "CMYK"])
def test_every_mode_comes_out_rgb_uint8(save, chelsea, limits, mode) -> None:
    image = Image.fromarray(chelsea)
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)
    else:
        image = image.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    pixels = decode(save(image, fmt), limits).pixels
    assert pixels.shape == (300, 451, 3)
    assert pixels.dtype == np.uint8
    assert 40 < pixels.mean() < 220  # still the photo, not a black or white sheet


def test_heic_from_a_phone_keeps_its_rotation_and_exif(save, chelsea, limits) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[ORIENTATION] = 6
    picture = decode(save(chelsea, "HEIF", quality=90, exif=exif.tobytes()), limits)
    assert (picture.format, picture.mime) == ("HEIF", "image/heic")
    assert (picture.width, picture.height) == (300, 451)
    assert picture.pixels.shape == (451, 300, 3)
    assert mean_abs_diff(picture.pixels, np.rot90(chelsea, -1)) < 6.0
    assert (picture.exif.make, picture.exif.orientation) == ("Apple", 6)


# -- bad input ---------------------------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(width: int, height: int, idat: bytes) -> bytes:
    """A 1-bit grey PNG whose header says ``width``x``height``, with ``idat`` as its data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """A real, complete 30000x30000 all-black PNG: 900 MP of pixels in about 100 KB."""
    row = b"\x00" * (1 + 30000 // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row * 1000) for _ in range(30)) + compressor.flush()
    return png_bytes(30000, 30000, body)


def test_png_bomb_is_refused_from_its_header(png_bomb, limits) -> None:
    assert len(png_bomb) < 1_000_000
    with pytest.raises(PayloadTooLarge) as caught:
        decode(png_bomb, limits)
    assert caught.value.status == 413
    assert caught.value.message == (
        "The image is 30000x30000 pixels (900.0 MP); the limit is 60.0 MP"
    )


def test_header_check_comes_before_any_decoding(limits) -> None:
    # a 20000x20000 header over one row of data: decoding would fail as truncated (400); a 413
    # shows the file was refused from its header before the decoder was asked for a pixel
    with pytest.raises(PayloadTooLarge, match=r"20000x20000 pixels \(400.0 MP\)"):
        decode(png_bytes(20000, 20000, zlib.compress(bytes(2501))), limits)


def test_pillow_own_bomb_guard_is_a_413_too(png_bomb) -> None:
    # with Argus's limit set above Pillow's, Pillow's guard still answers, as a 413
    generous = ImagingSettings(max_pixels=10**12)
    with pytest.raises(PayloadTooLarge, match="too large to decode safely"):
        decode(png_bomb, generous)


@pytest.mark.parametrize("fmt", ["GIF", "JPEG", "TIFF", "WEBP", "BMP"])
def test_pixel_limit_applies_to_every_format(save, coffee, fmt) -> None:
    small = ImagingSettings(max_pixels=100_000)
    with pytest.raises(PayloadTooLarge, match=r"600x400 pixels \(0.2 MP\); the limit is 0.1 MP"):
        decode(save(coffee, fmt), small)


def test_jpeg_header_bomb_is_refused(save, chelsea, limits) -> None:
    data = bytearray(save(chelsea, "JPEG"))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 60000, 60000)
    with pytest.raises(PayloadTooLarge, match="60000x60000"):
        decode(bytes(data), limits)


def truncated_jpeg(image: np.ndarray) -> bytes:
    data = jpeg(image)
    return data[: len(data) * 2 // 3]


@pytest.mark.parametrize(
    ("make", "error", "status", "message"),
    [
        (lambda a: b"", InvalidImage, 400, "The file is empty (0 bytes)"),
        (truncated_jpeg, InvalidImage, 400, "The JPEG file is truncated or corrupt"),
        (
            lambda a: png(a)[: len(png(a)) // 2],
            InvalidImage,
            400,
            "The PNG file is truncated or corrupt",
        ),
        (
            lambda a: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9",
            InvalidImage,
            400,
            "The JPEG file is truncated or corrupt",
        ),
        (lambda a: b"GIF89a" + b"\x10\x00\x10\x00" + bytes(20), InvalidImage, 400, "GIF"),
        (
            lambda a: b"just some notes, saved as holiday.jpg\n" * 10,
            UnsupportedMediaType,
            415,
            "The file is not an image Argus reads (looks like text); supported: JPEG, PNG",
        ),
        (
            lambda a: np.random.default_rng(1).bytes(10_000),
            UnsupportedMediaType,
            415,
            "looks like unknown binary data",
        ),
    ],
    ids=[
        "empty",
        "truncated-jpeg",
        "truncated-png",
        "corrupt-jpeg",
        "corrupt-gif",
        "text",
        "random",
    ],
)
def test_bad_input(chelsea, limits, make, error, status, message) -> None:
    with pytest.raises(error) as caught:
        decode(make(chelsea), limits)
    assert caught.value.status == status
    assert message in caught.value.message


def test_truncated_jpeg_is_refused_even_when_pillow_is_told_to_accept_it(
    chelsea, limits, monkeypatch
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InvalidImage, match="truncated"):
        decode(truncated_jpeg(chelsea), limits)


def test_too_many_bytes(save, astronaut) -> None:
    data = save(astronaut, "PNG")
    with pytest.raises(PayloadTooLarge) as caught:
        decode(data, ImagingSettings(max_image_mb=0.1))
    assert caught.value.status == 413
    assert caught.value.message.endswith("MB; the limit is 0.1 MB")


def test_byte_limit_comes_before_the_format_check() -> None:
    with pytest.raises(PayloadTooLarge):
        decode(b"not an image at all " * 10_000, ImagingSettings(max_image_mb=0.1))


def test_max_side_must_be_positive(save, chelsea, limits) -> None:
    with pytest.raises(ValueError, match="max_side"):
        decode(save(chelsea, "PNG"), limits, max_side=0)
