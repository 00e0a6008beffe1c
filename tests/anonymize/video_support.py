"""Synthetic videos made from real photos, for the video anonymization tests.

A scene is scikit-image's coffee photo as the background with three real faces moving over it:
Eileen Collins (scikit-image's astronaut) panning left to right, Grace Hopper (matplotlib's
sample) growing as if walking closer, and a face of scikit-image's ``lfw_subset`` (Labeled Faces
in the Wild, 25x25 px, grey, shown 120 px wide) drifting right; in a few frames a face is
blurred (motion blur) or half hidden behind a grey bar, which is where a per-frame detector
misses it. Each frame comes with
its ground truth: the box of every face, in pixels. :func:`write_video` encodes frames with
PyAV (H.264 MP4 with a 440 Hz AAC tone, or other containers and codecs); :func:`read_video`
decodes one back; :func:`tone_hz` finds the loudest frequency of its audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
import skimage.data
from matplotlib import cbook
from PIL import Image

RGB = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]
SIZE = (512, 400)  # width, height: a short side of 400 px keeps dlib HOG from upsampling
FPS = 25
TONE_HZ = 440.0

# The face of each photo (dlib HOG's box on the photo itself) and the crop used as a sprite.
ASTRO_CROP = (130, 40, 320, 230)  # x1 y1 x2 y2 in the astronaut photo
ASTRO_FACE = (179, 83, 267, 171)
GRACE_CROP = (120, 90, 420, 400)
GRACE_FACE = (161, 137, 377, 353)
LFW_SIZE = 120
LFW_FACE = (14, 18, 102, 105)  # dlib HOG's box on lfw_subset()[0] shown LFW_SIZE px wide


@dataclass
class Scene:
    """Frames and, per frame, the face boxes drawn in it and which were degraded."""

    frames: list[RGB] = field(default_factory=list)
    faces: list[list[Box]] = field(default_factory=list)
    degraded: list[set[int]] = field(default_factory=list)  # indexes into faces[frame]


def _photos() -> tuple[RGB, RGB, RGB, RGB]:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        grace = np.asarray(Image.open(f).convert("RGB"))
    coffee = skimage.data.coffee()[: SIZE[1], : SIZE[0]]
    grey = (skimage.data.lfw_subset()[0] * 255).round().astype(np.uint8)
    lfw = cv2.resize(grey, (LFW_SIZE, LFW_SIZE), interpolation=cv2.INTER_CUBIC)
    lfw = np.ascontiguousarray(np.stack([lfw] * 3, axis=-1))
    astro = np.ascontiguousarray(skimage.data.astronaut())
    return astro, grace, np.ascontiguousarray(coffee), lfw


def _paste(
    canvas: RGB, photo: RGB, crop: Box, face: Box, x: int, y: int, scale: float
) -> tuple[Box, tuple[int, int, int, int]]:
    """Paste ``photo[crop]`` scaled at (x, y); the face box and the sprite's box on the canvas."""
    x1, y1, x2, y2 = (int(v) for v in crop)
    sprite = photo[y1:y2, x1:x2]
    w, h = round((x2 - x1) * scale), round((y2 - y1) * scale)
    sprite = cv2.resize(sprite, (w, h), interpolation=cv2.INTER_AREA)
    ch_max, cw_max = canvas.shape[:2]
    cw, ch = min(w, cw_max - x), min(h, ch_max - y)
    canvas[y : y + ch, x : x + cw] = sprite[:ch, :cw]
    fx1, fy1, fx2, fy2 = face
    box = (x + (fx1 - x1) * scale, y + (fy1 - y1) * scale)
    box2 = (x + (fx2 - x1) * scale, y + (fy2 - y1) * scale)
    return (box[0], box[1], box2[0], box2[1]), (x, y, x + cw, y + ch)


def _smear(region: RGB, sigma: float, motion_px: int) -> RGB:
    if motion_px <= 1:
        return np.asarray(cv2.GaussianBlur(region, (0, 0), sigma), np.uint8)
    kernel = np.zeros((motion_px, motion_px), np.float32)
    kernel[motion_px // 2, :] = 1 / motion_px
    return np.asarray(cv2.filter2D(region, -1, kernel), np.uint8)


def scene(
    frames: int = 50,
    blur: tuple[int, ...] = (14, 15),
    hide: tuple[int, ...] = (30, 31),
    grace_blur: tuple[int, ...] = (22, 23),
    lfw_hide: tuple[int, ...] = (40, 41),
    blur_sigma: float = 4.0,
    motion_px: int = 0,
) -> Scene:
    """The scene described in the module docstring, ``frames`` long; degraded faces are blurred
    with ``blur_sigma`` px (4: dlib HOG misses them), or, with ``motion_px``, smeared
    horizontally over that many pixels as by a fast pan (35: CenterFace misses them too)."""
    astro, grace, background, lfw = _photos()
    out = Scene()
    for i in range(frames):
        t = i / max(1, frames - 1)
        canvas = background.copy()
        faces: list[Box] = []
        degraded: set[int] = set()
        face, (sx1, sy1, sx2, sy2) = _paste(
            canvas, astro, ASTRO_CROP, ASTRO_FACE, int(10 + 280 * t), 8, 1.0
        )
        faces.append(face)
        if i in blur:
            canvas[sy1:sy2, sx1:sx2] = _smear(canvas[sy1:sy2, sx1:sx2], blur_sigma, motion_px)
            degraded.add(0)
        if i in hide:  # a grey bar over the lower half of the face
            fx1, fy1, fx2, fy2 = (int(v) for v in face)
            canvas[(fy1 + fy2) // 2 : fy2 + 6, fx1 - 6 : fx2 + 6] = 128
            degraded.add(0)
        face, (gx1, gy1, gx2, gy2) = _paste(
            canvas, grace, GRACE_CROP, GRACE_FACE, int(330 - 60 * t), 215, 0.42 + 0.12 * t
        )
        faces.append(face)
        if i in grace_blur:
            canvas[gy1:gy2, gx1:gx2] = _smear(canvas[gy1:gy2, gx1:gx2], blur_sigma, motion_px)
            degraded.add(1)
        whole = (0, 0, LFW_SIZE, LFW_SIZE)
        face, _ = _paste(canvas, lfw, whole, LFW_FACE, int(12 + 50 * t), 250, 1.0)
        faces.append(face)
        if i in lfw_hide:
            fx1, fy1, fx2, fy2 = (int(v) for v in face)
            canvas[(fy1 + fy2) // 2 : fy2 + 6, fx1 - 6 : fx2 + 6] = 128
            degraded.add(2)
        out.frames.append(canvas)
        out.faces.append(faces)
        out.degraded.append(degraded)
    return out


def write_video(
    path: Path,
    frames: list[RGB],
    *,
    fps: int = FPS,
    container: str = "mp4",
    codec: str = "libx264",
    audio: str | None = "aac",
    audio_s: float | None = None,
) -> None:
    """Encode ``frames`` (RGB) at ``fps`` with a 440 Hz sine tone as long as the video."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        if codec == "libx264":
            video.options = {"crf": "12"}
        sound = out.add_stream(audio, rate=48000) if audio else None
        for i, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        if sound is not None:
            rate = 48000
            n = round(rate * (audio_s if audio_s is not None else len(frames) / fps))
            tone = (0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(n) / rate)).astype(np.float32)
            step = 960
            for start in range(0, n, step):
                chunk = tone[None, start : start + step]
                sample = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                sample.sample_rate, sample.pts = rate, start
                for packet in sound.encode(sample):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)


@dataclass
class Decoded:
    frames: list[RGB]
    fps: Fraction | None
    duration_s: float
    video_codec: str
    audio_codec: str | None
    audio_s: float | None


def read_video(path: Path) -> Decoded:
    """Every frame (RGB) and the streams' facts of a video file."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(v)]
        audio_s = float(a.duration * a.time_base) if a is not None and a.duration else None
        return Decoded(
            frames=frames,
            fps=Fraction(v.average_rate) if v.average_rate else None,
            duration_s=float(v.duration * v.time_base) if v.duration else 0.0,
            video_codec=v.codec_context.name,
            audio_codec=a.codec_context.name if a is not None else None,
            audio_s=audio_s,
        )


def tone_hz(path: Path) -> float:
    """The loudest frequency of the first audio stream (Hz)."""
    with av.open(str(path)) as c:
        chunks = [f.to_ndarray().astype(np.float64).mean(axis=0) for f in c.decode(audio=0)]
        rate = c.streams.audio[0].codec_context.sample_rate
    samples = np.concatenate(chunks)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def face_change(before: RGB, after: RGB, box: Box, inset: float = 0.15) -> float:
    """Mean absolute difference (0-255) over the inner part of a face box."""
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * inset, (y2 - y1) * inset
    h, w = before.shape[:2]
    xa, ya = max(0, int(x1 + dx)), max(0, int(y1 + dy))
    xb, yb = min(w, int(x2 - dx)), min(h, int(y2 - dy))
    a = before[ya:yb, xa:xb].astype(np.int16)
    b = after[ya:yb, xa:xb].astype(np.int16)
    return float(np.abs(a - b).mean())


def far_from(
    faces: list[Box], shape: tuple[int, int], margin: float = 0.6
) -> npt.NDArray[np.bool_]:
    """Pixels farther than ``margin`` face sizes from every face box."""
    h, w = shape
    mask = np.ones((h, w), bool)
    for x1, y1, x2, y2 in faces:
        m = margin * max(x2 - x1, y2 - y1)
        mask[max(0, int(y1 - m)) : int(y2 + m), max(0, int(x1 - m)) : int(x2 + m)] = False
    return mask
