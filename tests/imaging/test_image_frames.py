"""Animated and multi-picture images: every frame, in order, composited, within the frame limit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from argus.config import ImagingSettings
from argus.errors import InvalidImage, PayloadTooLarge
from argus.imaging import decode, iter_frames

COLOURS = [(220, 30, 30), (30, 200, 30), (30, 30, 220)]


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> Image.Image:
    return Image.new("RGB", size, colour)


@pytest.fixture
def animation(save):
    """``animation(fmt, n)``: an animated file of n solid frames red, green, blue, red, ..."""

    def make(fmt: str, n: int = 3) -> bytes:
        frames = [solid(COLOURS[i % 3]) for i in range(n)]
        return save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)

    return make


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animation_gives_every_frame_in_order(animation, limits, fmt) -> None:
    frames = list(iter_frames(animation(fmt), limits))
    assert [f.index for f in frames] == [0, 1, 2]
    for frame, colour in zip(frames, COLOURS, strict=True):
        assert frame.pixels.shape == (30, 40, 3)
        assert frame.pixels.dtype == np.uint8
        assert frame.pixels.reshape(-1, 3).mean(axis=0) == pytest.approx(colour, abs=6)
        assert frame.duration_ms == pytest.approx(100)


def test_decode_of_an_animation_is_its_first_frame_and_counts_frames(animation, limits) -> None:
    picture = decode(animation("GIF"), limits)
    assert picture.frame_count == 3
    assert picture.animated
    assert picture.pixels.reshape(-1, 3).mean(axis=0) == pytest.approx(COLOURS[0], abs=6)


def test_gif_frames_are_composited_over_the_previous_one(save, limits) -> None:
    # frame 1 paints only the right half blue; its left half is transparent: red shows through
    first = solid((220, 30, 30)).convert("P")
    second = Image.new("P", (40, 30), 0)
    second.putpalette([0, 0, 0, 30, 30, 220] + [0] * 762)
    second.paste(1, (20, 0, 40, 30))
    second.info["transparency"] = 0
    data = save(first, "GIF", save_all=True, append_images=[second], disposal=1, optimize=False)
    frames = list(iter_frames(data, limits))
    assert len(frames) == 2
    assert frames[1].pixels[15, 5].tolist() == frames[0].pixels[15, 5].tolist()
    assert frames[0].pixels[15, 5].tolist() == pytest.approx([220, 30, 30], abs=40)
    assert frames[1].pixels[15, 35].tolist() == pytest.approx([30, 30, 220], abs=6)


def test_step_reads_every_kth_frame(animation, limits) -> None:
    frames = list(iter_frames(animation("GIF", 7), limits, step=3))
    assert [f.index for f in frames] == [0, 3, 6]
    assert frames[1].pixels.reshape(-1, 3).mean(axis=0) == pytest.approx(COLOURS[0], abs=6)


def test_too_many_frames_is_refused_before_the_first_frame(animation) -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        iter_frames(animation("GIF", 3), ImagingSettings(max_frames=2))
    assert caught.value.status == 413
    assert caught.value.message == (
        "The GIF file has more than 2 frames; the limit is 2 (imaging.max_frames)"
    )


def test_a_still_image_is_one_frame(save, chelsea, limits) -> None:
    frames = list(iter_frames(save(chelsea, "JPEG"), limits, max_side=100))
    assert [f.index for f in frames] == [0]
    assert frames[0].pixels.shape == (67, 100, 3)


def test_mpo_gives_all_its_pictures(save, astronaut, limits) -> None:
    flipped = np.ascontiguousarray(astronaut[:, ::-1])
    data = save(astronaut, "MPO", save_all=True, append_images=[Image.fromarray(flipped)])
    picture = decode(data, limits)
    assert (picture.format, picture.mime, picture.frame_count) == ("MPO", "image/jpeg", 2)
    frames = list(iter_frames(data, limits))
    assert [f.index for f in frames] == [0, 1]
    assert np.abs(frames[0].pixels.astype(int) - astronaut).mean() < 6
    assert np.abs(frames[1].pixels.astype(int) - flipped).mean() < 6


def test_mpo_frames_reduced(save, astronaut, limits) -> None:
    flipped = Image.fromarray(np.ascontiguousarray(astronaut[:, ::-1]))
    data = save(astronaut, "MPO", save_all=True, append_images=[flipped])
    assert decode(data, limits, max_side=128).pixels.shape == (128, 128, 3)
    shapes = [f.pixels.shape for f in iter_frames(data, limits, max_side=128)]
    assert shapes == [(128, 128, 3), (128, 128, 3)]


def test_a_frame_cut_off_midway_is_a_400(animation, limits) -> None:
    data = animation("GIF", 3)
    cut = data[: len(data) - 30]
    with pytest.raises(InvalidImage, match="GIF file is truncated or corrupt"):
        list(iter_frames(cut, limits))


def test_frame_checks_run_when_called_not_when_iterated(limits) -> None:
    with pytest.raises(InvalidImage, match="empty"):
        iter_frames(b"", limits)
    with pytest.raises(ValueError, match="step"):
        iter_frames(b"GIF89a", limits, step=0)
