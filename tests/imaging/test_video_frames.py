"""Video frames from real files written by OpenCV: counts, timestamps, sampling and limits."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from argus.config import VideoSettings
from argus.errors import InvalidVideo, PayloadTooLarge
from argus.imaging import iter_video_frames, probe

WIDTH, HEIGHT, FPS, FRAMES = 64, 48, 10.0, 30


def write_video(path: Path, fourcc: str, frames: int = FRAMES) -> Path:
    """A red 10x10 square moving 1 px right per frame over a black background."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, (WIDTH, HEIGHT))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc}"
    for i in range(frames):
        bgr = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        bgr[19:29, 10 + i : 20 + i] = (0, 0, 255)
        writer.write(bgr)
    writer.release()
    return path


@pytest.fixture(scope="module", params=[("mp4v", "mp4"), ("MJPG", "avi")], ids=["mp4", "avi"])
def video(request, tmp_path_factory) -> Path:
    fourcc, ext = request.param
    return write_video(tmp_path_factory.mktemp("video") / f"square.{ext}", fourcc)


@pytest.fixture
def limits() -> VideoSettings:
    return VideoSettings()


def square_x(rgb: np.ndarray) -> float:
    """Mean x of the red pixels."""
    red = (rgb[..., 0] > 128) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)
    return float(np.nonzero(red)[1].mean())


def test_probe(video) -> None:
    info = probe(video)
    assert (info.frame_count, info.fps, info.width, info.height) == (FRAMES, FPS, WIDTH, HEIGHT)
    assert info.duration_s == pytest.approx(3.0)


def test_every_frame_in_order_with_timestamps(video, limits) -> None:
    frames = list(iter_video_frames(video, limits))
    assert [f.index for f in frames] == list(range(FRAMES))
    assert [f.timestamp_s for f in frames] == pytest.approx([i / FPS for i in range(FRAMES)])
    assert frames[0].pixels.shape == (HEIGHT, WIDTH, 3)
    assert frames[0].pixels.dtype == np.uint8
    # the square is red in RGB order and moves right one pixel per frame
    xs = [square_x(f.pixels) for f in frames]
    assert xs[0] == pytest.approx(14.5, abs=1.0)
    assert xs[-1] - xs[0] == pytest.approx(FRAMES - 1, abs=1.5)


def test_step_samples_every_kth_frame(video, limits) -> None:
    frames = list(iter_video_frames(video, limits, step=7))
    assert [f.index for f in frames] == [0, 7, 14, 21, 28]
    assert [f.timestamp_s for f in frames] == pytest.approx([0.0, 0.7, 1.4, 2.1, 2.8])
    assert square_x(frames[2].pixels) == pytest.approx(14.5 + 14, abs=1.0)


def test_max_side_shrinks_frames(video, limits) -> None:
    frame = next(iter_video_frames(video, limits, max_side=32))
    assert frame.pixels.shape == (24, 32, 3)


@pytest.mark.parametrize(
    ("settings", "step", "message"),
    [
        (VideoSettings(max_video_mb=0.001), 1, "MB; the limit is 0.0 MB"),
        (VideoSettings(max_duration_s=2.0), 1, "The video is 3.0 s long; the limit is 2.0 s"),
        (VideoSettings(max_frames=20), 1, "The video has 30 frames (30 to read at step 1)"),
        (VideoSettings(max_frames=9), 3, "(10 to read at step 3); the limit is 9"),
    ],
)
def test_limits_are_413_before_any_frame(video, settings, step, message) -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        iter_video_frames(video, settings, step=step)
    assert caught.value.status == 413
    assert message in caught.value.message


def test_frame_limit_counts_frames_read_not_frames_in_the_file(video) -> None:
    frames = list(iter_video_frames(video, VideoSettings(max_frames=10), step=3))
    assert len(frames) == 10


def test_truncate_stops_quietly_at_the_frame_limit(video) -> None:
    frames = list(iter_video_frames(video, VideoSettings(max_frames=12), truncate=True))
    assert [f.index for f in frames] == list(range(12))


@pytest.fixture
def bad_file(tmp_path, video, encode_image, chelsea):
    def make(kind: str) -> Path:
        path = tmp_path / f"{kind}.mp4"
        if kind == "empty":
            path.write_bytes(b"")
        elif kind == "text":
            path.write_text("this is a shopping list, not a video\n" * 20)
        elif kind == "random":
            path.write_bytes(np.random.default_rng(3).bytes(20_000))
        elif kind == "jpeg":
            path.write_bytes(encode_image(chelsea, "JPEG"))
        elif kind == "truncated":
            data = video.read_bytes()
            path.write_bytes(data[: len(data) // 3])
        return path

    return make


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "The file is empty (0 bytes)"),
        ("text", "The file is not a video Argus can read (looks like text)"),
        ("random", "not a video Argus can read"),
        ("jpeg", "The file is a JPEG image, not a video"),
    ],
)
def test_unreadable_files_are_400(bad_file, limits, kind, message) -> None:
    path = bad_file(kind)
    for attempt in (lambda: probe(path), lambda: list(iter_video_frames(path, limits))):
        with pytest.raises(InvalidVideo) as caught:
            attempt()
        assert caught.value.status == 400
        assert message in caught.value.message


def test_a_video_cut_short_is_400_not_silently_shorter(bad_file, limits) -> None:
    path = bad_file("truncated")
    with pytest.raises(InvalidVideo, match=r"truncated or corrupt|no frame|not a video") as caught:
        list(iter_video_frames(path, limits))
    assert caught.value.status == 400
