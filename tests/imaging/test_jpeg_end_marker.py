"""A JPEG cut short and given an end-of-image marker (FF D9) is refused as truncated (400), not
padded with grey; whole JPEGs of every Huffman kind still decode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib import cbook
from PIL import Image

from argus.errors import InvalidImage
from argus.imaging import decode, read_header
from argus.imaging.jpegscan import pixels_say_whole, scan_ends_early, sequential

EOI = b"\xff\xd9"


def _grace_hopper_file() -> bytes:
    """The camera JPEG as matplotlib ships it (not re-encoded here)."""
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return bytes(f.read())


def _jpeg(pixels: np.ndarray, **params: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", **params)
    return buf.getvalue()


def test_real_photo_cut_in_half_with_an_end_marker_is_400(limits) -> None:
    data = _grace_hopper_file()
    cut = data[: len(data) // 2] + EOI
    assert decode(data, limits).pixels.shape[:2] == (600, 512)
    with pytest.raises(InvalidImage) as caught:
        decode(cut, limits)
    assert caught.value.status == 400
    assert caught.value.message == "The JPEG file is truncated or corrupt (it ends early)"
    with pytest.raises(InvalidImage, match="truncated"):
        read_header(cut, limits)


@pytest.mark.parametrize(
    "params",
    [
        {"quality": 90},
        {"quality": 95, "progressive": True},
        {"quality": 80, "subsampling": 0},
        {"quality": 75, "optimize": True},
    ],
    ids=["baseline", "progressive", "444", "optimized"],
)
def test_every_huffman_kind_cut_with_an_end_marker_is_refused(chelsea, limits, params) -> None:
    whole = _jpeg(chelsea, **params)
    assert not scan_ends_early(whole)
    assert decode(whole, limits).pixels.shape == chelsea.shape
    for fraction in (0.2, 0.5, 0.8):
        cut = whole[: int(len(whole) * fraction)] + EOI
        with pytest.raises(InvalidImage, match="truncated or corrupt"):
            decode(cut, limits)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (1, 1), (200, 10, 10)),
        Image.new("L", (17, 9), 128),
        Image.new("CMYK", (40, 30), (0, 50, 100, 20)),
    ],
    ids=["one-pixel", "grey", "cmyk"],
)
def test_small_and_unusual_whole_jpegs_still_decode(limits, image) -> None:
    buf = io.BytesIO()
    image.save(buf, format="JPEG")
    picture = decode(buf.getvalue(), limits)
    assert (picture.width, picture.height) == image.size


def test_a_cut_sequential_jpeg_shows_the_grey_padding_its_pixels_are_judged_by(
    chelsea, limits
) -> None:
    """libjpeg pads the blocks after the data ran out with exactly 128: a whole photo's corner
    clears it without the scan, a cut one's never does (the scan then refuses it)."""
    whole = _jpeg(chelsea, quality=90)
    assert sequential(whole)
    assert pixels_say_whole(Image.open(io.BytesIO(whole)))
    cut = whole[: len(whole) // 2] + EOI
    padded = Image.open(io.BytesIO(cut))
    padded.load()  # libjpeg only warns
    assert not pixels_say_whole(padded)
    with pytest.raises(InvalidImage, match="truncated or corrupt"):
        decode(cut, limits)


def test_a_whole_photo_with_a_mid_grey_corner_still_decodes(chelsea, limits) -> None:
    photo = chelsea.copy()
    photo[-32:, -32:] = 128  # looks like libjpeg's padding: the scan decides, and clears it
    for params in ({"quality": 95}, {"quality": 95, "progressive": True}):
        data = _jpeg(photo, **params)
        assert not pixels_say_whole(Image.open(io.BytesIO(data)))
        picture = decode(data, limits)
        assert picture.pixels.shape == photo.shape
        assert (picture.pixels[-2:, -2:] == 128).all()  # the corner pixels_say_whole reads
