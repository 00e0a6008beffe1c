"""Frames to moderate: GIF and video sampling the way seed 001 numbers and skips them.

Seed 001 numbers GIF frames from 0 (Pillow's ``seek`` position) and video frames from 1 (the
decoder's position after reading the frame). With ``fast_mode`` it keeps one frame in ``step``,
``step = int(total_frames * skip_frames_percentage / 100)``, those whose *number* is a multiple
of ``step``: GIF frames 0, step, 2*step, ...; video frames step, 2*step, ... . The seed divided
by zero when that step came out 0 (a clip of fewer than 20 frames at 5 %); here the step is at
least 1, and 1 when the container does not say how many frames it has. GIF frames come from
:func:`argus.imaging.iter_frames`, video frames from :func:`argus.imaging.iter_video_frames`
over a file on disk, both reduced to ``max_side`` and checked against the imaging/video limits;
:func:`spool` puts an uploaded video on disk for them, never whole in memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from argus.arrays import RGB
from argus.config import ImagingSettings, VideoSettings
from argus.config.units import MIB, mb_to_bytes
from argus.errors import PayloadTooLarge
from argus.imaging import VideoFrame, iter_frames, iter_video_frames, probe


class Sampled(NamedTuple):
    """One frame to classify: its number as the seed reports it, and RGB pixels."""

    number: int
    pixels: RGB


def fast_step(total_frames: int | None, skip_frames_percentage: float) -> int:
    """Frames per kept frame in fast mode: ``int(total * pct / 100)``, at least 1.

    >>> fast_step(200, 5), fast_step(10, 5), fast_step(None, 5)
    (10, 1, 1)
    """
    if total_frames is None or total_frames <= 0:
        return 1
    return max(1, int(total_frames * (skip_frames_percentage / 100)))


def gif_frames(
    data: bytes,
    limits: ImagingSettings,
    *,
    frame_count: int,
    fast_mode: bool = False,
    skip_frames_percentage: float = 5,
    max_side: int | None = None,
) -> Iterator[Sampled]:
    """Frames of an animated image numbered from 0; in fast mode frames 0, step, 2*step, ...

    The limits are checked when this is called (before the first frame, 413/400/415).
    """
    step = fast_step(frame_count, skip_frames_percentage) if fast_mode else 1
    frames = iter_frames(data, limits, max_side=max_side, step=step)
    return (Sampled(f.index, f.pixels) for f in frames)


def video_frames(
    path: str | os.PathLike[str],
    limits: VideoSettings,
    *,
    fast_mode: bool = False,
    skip_frames_percentage: float = 5,
    max_side: int | None = None,
) -> Iterator[Sampled]:
    """Frames of a video file numbered from 1; in fast mode frames step, 2*step, ...

    The file and its limits are checked when this is called (InvalidVideo 400,
    PayloadTooLarge 413), before the first frame. Closing the iterator releases the decoder.
    """
    step = fast_step(probe(path).frame_count, skip_frames_percentage) if fast_mode else 1
    frames = iter_video_frames(path, limits, max_side=max_side)
    return _numbered(frames, step)


def _numbered(frames: Iterator[VideoFrame], step: int) -> Iterator[Sampled]:
    try:
        for frame in frames:
            number = frame.index + 1
            if number % step == 0:
                yield Sampled(number, frame.pixels)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # releases the capture now, not when garbage-collected


def spool(source: BinaryIO, folder: Path, max_mb: float) -> Path:
    """Copy a stream from its start to a new temporary file in ``folder``, 1 MiB at a time.

    Raises PayloadTooLarge (413) past ``max_mb``, leaving no file behind. The caller removes
    the file it gets.
    """
    limit = mb_to_bytes(max_mb)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="video-", suffix=".upload", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            source.seek(0)
            copied = 0
            while chunk := source.read(MIB):
                copied += len(chunk)
                if copied > limit:
                    raise PayloadTooLarge(f"The video is over the limit of {max_mb:g} MB")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
