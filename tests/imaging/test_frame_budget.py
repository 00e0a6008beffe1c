"""Frame and pixel budgets of animated images are decided from the file's blocks, before any
frame is decoded: a tiny GIF of many frames is refused without the work it asks for."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from argus.config import ImagingSettings
from argus.errors import PayloadTooLarge
from argus.imaging import decode, iter_frames
from argus.imaging.gifscan import count_frames


def one_pixel_gif(frames: int) -> bytes:
    """``frames`` 1x1 frames sharing the global palette, written block by block (~15 B each)."""
    head = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    return head + frame * frames + b"\x3b"


def pillow_gif(frames: int, side: int = 4) -> bytes:
    images = [Image.new("L", (side, side), (i * 37) % 256) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=10)
    return buf.getvalue()


@pytest.mark.parametrize("frames", [1, 2, 7, 40])
def test_the_block_scan_counts_what_pillow_counts(frames: int) -> None:
    data = pillow_gif(frames)
    assert count_frames(data, 10_000) == Image.open(io.BytesIO(data)).n_frames == frames
    assert count_frames(one_pixel_gif(frames), 10_000) == frames


def test_the_block_scan_stops_at_its_limit_and_survives_cut_files() -> None:
    data = one_pixel_gif(1_200_000)  # 18 MB
    assert count_frames(data, 1001) == 1001
    assert count_frames(data[:100], 10) == 5
    assert count_frames(b"GIF89a", 10) == 0


def test_a_1_2_million_frame_gif_is_refused_from_its_blocks() -> None:
    data = one_pixel_gif(1_200_000)
    limits = ImagingSettings(max_image_mb=40)
    with pytest.raises(PayloadTooLarge) as caught:
        iter_frames(data, limits)
    assert "imaging.max_frames" in caught.value.message
    assert decode(data, limits).frame_count == limits.max_frames + 1  # counted no further


def test_999_one_pixel_frames_exceed_the_frames_a_request_classifies() -> None:
    data = one_pixel_gif(999)
    assert len(data) < 16_000
    limits = ImagingSettings()
    with pytest.raises(PayloadTooLarge) as caught:
        iter_frames(data, limits)
    assert caught.value.status == 413
    assert "imaging.max_sampled_frames" in caught.value.message
    # sampling one frame in ten keeps it within the budget
    frames = list(iter_frames(data, limits, step=10))
    assert len(frames) == 100


def test_decoded_pixels_are_budgeted_over_all_frames() -> None:
    data = pillow_gif(10, side=100)
    with pytest.raises(PayloadTooLarge) as caught:
        iter_frames(data, ImagingSettings(max_decoded_pixels=50_000))
    assert "imaging.max_decoded_pixels" in caught.value.message
    assert len(list(iter_frames(data, ImagingSettings(max_decoded_pixels=100_000)))) == 10
