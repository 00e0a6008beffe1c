"""Video frames: an OpenCV (FFmpeg) reader over a video file on disk, with limits.

Uploads are spooled to disk and read from their path. :func:`probe` answers frame count, frame
rate, duration and size; :func:`iter_video_frames` yields ``(index, timestamp_s, pixels)`` with
the index counted from 0 (seed 001 numbers video frames from 1: its route adds 1), the timestamp
in seconds from the container, and RGB uint8 pixels. Limits from
:class:`~argus.config.VideoSettings`: file bytes and duration are checked before any frame is
decoded (413); ``max_frames`` caps the frames *returned* (with ``step=k`` a video may hold k times
as many), as a 413 by default or, with ``truncate=True``, by stopping quietly after the first
``max_frames`` (also at ``max_duration_s`` when the container did not declare its length).
Skipped frames are grabbed without being converted. An unreadable file is an InvalidVideo (400);
so is a stream that ends well before its declared frame count (raised after the frames read).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from argus.arrays import RGB
from argus.config import VideoSettings
from argus.config.units import bytes_to_mb, mb_to_bytes
from argus.errors import InvalidVideo, PayloadTooLarge, UnsupportedMediaType
from argus.imaging.formats import GIF, describe, sniff

_MAX_SANE_FPS = 1000.0
_MAX_SANE_FRAMES = 2**31


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video; None where it does not say (or says nonsense).

    Attributes:
        frame_count: number of frames, or None when unknown.
        fps: frames per second, or None when unknown.
        duration_s: ``frame_count / fps`` in seconds, or None when either is unknown.
        width: frame width in pixels.
        height: frame height in pixels.
    """

    frame_count: int | None
    fps: float | None
    duration_s: float | None
    width: int
    height: int


class VideoFrame(NamedTuple):
    """One decoded video frame: index from 0, time in seconds, (h, w, 3) RGB uint8 pixels."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, on purpose
    timestamp_s: float
    pixels: RGB


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Frame count, fps, duration and size of a video file; checks that a first frame decodes.

    Raises:
        InvalidVideo: empty, not a video, or no frame can be decoded (400).
    """
    file = Path(path)
    _check_content(file)
    capture = _open_capture(file)
    try:
        info = _info(capture)
        if not capture.grab():
            raise InvalidVideo("The video has no frame that can be decoded")
        return info
    finally:
        capture.release()


def iter_video_frames(
    path: str | os.PathLike[str],
    limits: VideoSettings,
    *,
    step: int = 1,
    max_side: int | None = None,
    truncate: bool = False,
) -> Iterator[VideoFrame]:
    """Every ``step``-th frame of a video file (frames 0, k, 2k, ...), RGB, in order.

    Args:
        path: the video file.
        limits: bytes, duration and frames allowed.
        step: read one frame in ``step``; the others are grabbed but not converted.
        max_side: when given, frames are shrunk (area interpolation) so the longer side fits.
        truncate: stop after ``limits.max_frames`` returned frames (and at
            ``limits.max_duration_s`` of a video of undeclared length) instead of raising 413.

    Raises (when called, before the first frame, except where noted):
        InvalidVideo: empty, not a video, or no readable frame (400).
        PayloadTooLarge: file over ``max_video_mb``; declared duration over ``max_duration_s``;
            without ``truncate``, more than ``max_frames`` frames to return (up front when the
            frame count is declared, during iteration otherwise) (413).
    """
    if step < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    file = Path(path)
    size = _check_content(file)
    max_bytes = mb_to_bytes(limits.max_video_mb)
    if size > max_bytes:
        raise PayloadTooLarge(
            f"The video is {bytes_to_mb(size):.1f} MB; the limit is {limits.max_video_mb:.1f} MB",
            bytes=size,
            limit=max_bytes,
        )
    capture = _open_capture(file)
    try:
        info = _info(capture)
        if info.duration_s is not None and info.duration_s > limits.max_duration_s:
            raise PayloadTooLarge(
                f"The video is {info.duration_s:.1f} s long; "
                f"the limit is {limits.max_duration_s:.1f} s",
                duration_s=info.duration_s,
                limit=limits.max_duration_s,
            )
        if info.frame_count is not None and not truncate:
            wanted = math.ceil(info.frame_count / step)
            if wanted > limits.max_frames:
                raise PayloadTooLarge(
                    f"The video has {info.frame_count} frames ({wanted} to read at step "
                    f"{step}); the limit is {limits.max_frames}",
                    frames=wanted,
                    limit=limits.max_frames,
                )
        if not capture.grab():
            raise InvalidVideo("The video has no frame that can be decoded")
    except BaseException:
        capture.release()
        raise
    return _frames(capture, info, limits, step, max_side, truncate)


def _frames(
    capture: Any,
    info: VideoInfo,
    limits: VideoSettings,
    step: int,
    max_side: int | None,
    truncate: bool,
) -> Iterator[VideoFrame]:
    """Frames from a capture whose frame 0 is already grabbed."""
    returned = 0
    index = 0
    last_time = -1.0
    try:
        while True:
            timestamp = _timestamp(capture, index, info.fps, last_time)
            last_time = timestamp
            if info.duration_s is None and timestamp > limits.max_duration_s:
                if truncate:
                    return
                raise PayloadTooLarge(
                    f"The video is longer than the limit of {limits.max_duration_s:.1f} s",
                    limit=limits.max_duration_s,
                )
            if index % step == 0:
                if returned >= limits.max_frames:
                    if truncate:
                        return
                    raise PayloadTooLarge(
                        f"The video has more than {limits.max_frames} frames to read "
                        f"at step {step}; the limit is {limits.max_frames}",
                        limit=limits.max_frames,
                    )
                ok, bgr = capture.retrieve()
                if not ok or bgr is None:
                    return
                yield VideoFrame(index, timestamp, _to_rgb(bgr, max_side))
                returned += 1
            if not capture.grab():
                _check_complete(index + 1, info.frame_count)
                return
            index += 1
    finally:
        capture.release()


def _check_complete(seen: int, declared: int | None) -> None:
    """Refuse a stream that ended well before the frame count its container declares.

    Containers often estimate their frame count, so a shortfall of up to 10% is accepted.
    """
    if declared is not None and seen < 0.9 * declared - 1:
        raise InvalidVideo(
            f"The video is truncated or corrupt: only {seen} of its {declared} frames could be read"
        )


def _check_content(file: Path) -> int:
    """Size in bytes of a non-empty file that does not look like a still image."""
    size = file.stat().st_size
    if size == 0:
        raise InvalidVideo("The file is empty (0 bytes)")
    with file.open("rb") as handle:
        head = handle.read(4096)
    try:
        fmt = sniff(head)
    except UnsupportedMediaType:
        return size  # not an image: let the video decoder decide
    if fmt is not GIF:  # FFmpeg reads animated GIFs as videos; stills are not videos
        raise InvalidVideo(f"The file is a {fmt.label} image, not a video")
    return size


def _open_capture(file: Path) -> Any:
    import cv2  # OpenCV only when a video is read: start-up does not pay for it

    # FFmpeg only: OpenCV's image-sequence backend would treat "%d" in a file name as a pattern
    capture = cv2.VideoCapture(str(file), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        with file.open("rb") as handle:
            looks = describe(handle.read(4096))
        raise InvalidVideo(f"The file is not a video Argus can read (looks like {looks})")
    return capture


def _info(capture: Any) -> VideoInfo:
    import cv2

    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    fps = capture.get(cv2.CAP_PROP_FPS)
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    frame_count = int(count) if math.isfinite(count) and 0 < count < _MAX_SANE_FRAMES else None
    rate = float(fps) if math.isfinite(fps) and 0 < fps <= _MAX_SANE_FPS else None
    if width < 1 or height < 1:
        raise InvalidVideo("The video declares no frame size; it is corrupt or not a video")
    duration = frame_count / rate if frame_count is not None and rate is not None else None
    return VideoInfo(frame_count, rate, duration, width, height)


def _timestamp(capture: Any, index: int, fps: float | None, last: float) -> float:
    """Presentation time of the frame just grabbed: the container's, else ``index / fps``."""
    import cv2

    msec = capture.get(cv2.CAP_PROP_POS_MSEC)
    if math.isfinite(msec) and msec >= 0 and msec / 1000.0 > last:
        return float(msec) / 1000.0
    if fps is not None:
        return max(index / fps, last)
    return max(last, 0.0)


def _to_rgb(bgr: Any, max_side: int | None) -> RGB:
    import cv2

    frame = np.asarray(bgr)
    if frame.ndim == 2:
        rgb = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    elif frame.shape[2] == 4:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    if max_side is not None and max(height, width) > max_side:
        factor = max_side / max(height, width)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    pixels: RGB = np.ascontiguousarray(rgb, dtype=np.uint8)
    pixels.setflags(write=False)
    return pixels
