"""Frames to moderate: the seed's numbering and fast-mode steps on real animations, and an
uploaded video spooled to disk within its limit."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from argus.config import ImagingSettings
from argus.config.units import MIB
from argus.errors import PayloadTooLarge
from argus.pipelines.frames import fast_step, gif_frames, spool

RGB = npt.NDArray[np.uint8]


def animation(image: RGB, frames: int) -> bytes:
    """A GIF of ``frames`` frames: the photo shifted a little more in each."""
    pictures = [Image.fromarray(np.roll(image, 7 * i, axis=1)) for i in range(frames)]
    buf = io.BytesIO()
    pictures[0].save(buf, "GIF", save_all=True, append_images=pictures[1:], duration=50)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("total", "pct", "step"), [(200, 5, 10), (10, 5, 1), (None, 5, 1), (0, 5, 1), (100, 50, 50)]
)
def test_fast_step_is_the_seed_s_and_never_zero(total: int | None, pct: float, step: int) -> None:
    assert fast_step(total, pct) == step


def test_gif_frames_are_numbered_from_zero_and_fast_mode_keeps_every_step_th(
    chelsea: RGB,
) -> None:
    data = animation(chelsea[:120, :160], 40)
    limits = ImagingSettings()
    every = [s.number for s in gif_frames(data, limits, frame_count=40)]
    assert every == list(range(40))
    fast = list(gif_frames(data, limits, frame_count=40, fast_mode=True, skip_frames_percentage=10))
    assert [s.number for s in fast] == [0, 4, 8, 12, 16, 20, 24, 28, 32, 36]
    assert all(s.pixels.shape == (120, 160, 3) for s in fast)
    assert not np.array_equal(fast[0].pixels, fast[1].pixels)  # distinct frames, in order


def test_spool_copies_the_stream_from_its_start(tmp_path: Path) -> None:
    payload = np.random.default_rng(1).bytes(MIB + 12345)
    source = io.BytesIO(payload)
    source.read(100)  # a caller that already sniffed the head
    path = spool(source, tmp_path / "videos", max_mb=2)
    assert path.parent == tmp_path / "videos"
    assert path.read_bytes() == payload


def test_spool_refuses_past_the_limit_and_leaves_no_file(tmp_path: Path) -> None:
    source = io.BytesIO(bytes(2 * MIB + 1))
    with pytest.raises(PayloadTooLarge, match="limit of 2 MB"):
        spool(source, tmp_path, max_mb=2)
    assert list(tmp_path.iterdir()) == []
