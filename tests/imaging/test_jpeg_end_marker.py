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
from argus.imaging.jpegscan import scan_ends_early

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
