"""Media and models for the moderation tests: PNGs, GIFs and videos made here, and a tiny ONNX
classifier pulled from the loopback fake hub whose scores a test can compute by hand."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings
from argus.models import hub as models_hub
from fakehub import RGB_LABELS, classifier_repo, pull_settings, running_hub

RGB = npt.NDArray[np.uint8]
TINY = "argus-test/rgb-classifier"
SEED_MODEL = "Falconsai/nsfw_image_detection"
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def solid(color: Sequence[int], h: int = 48, w: int = 64) -> RGB:
    image = np.empty((h, w, 3), np.uint8)
    image[...] = color
    return image


def gif(frames: Sequence[RGB], size: tuple[int, int] | None = None) -> bytes:
    """An animated GIF of the frames (resized to ``size`` (w, h) when given), 100 ms each."""
    pictures = [Image.fromarray(f) for f in frames]
    if size is not None:
        pictures = [p.resize(size) for p in pictures]
    buf = io.BytesIO()
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], duration=100)
    return buf.getvalue()


def video(path: Path, frames: Sequence[RGB], fourcc: str = "mp4v", fps: float = 10.0) -> bytes:
    """A video file of the RGB frames (all resized to the first one's size); its bytes."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path.suffix}"
    for frame in frames:
        bgr = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR)
        writer.write(cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA))
    writer.release()
    return path.read_bytes()


def tiny_scores(color: Sequence[int]) -> dict[str, float]:
    """What the tiny classifier answers for a solid colour: softmax(4 * normalized mean)."""
    x = (np.asarray(color, np.float64) / 255.0 - 0.5) / 0.5
    logits = 4.0 * x
    e = np.exp(logits - logits.max())
    p = e / e.sum()
    return {label: float(v) for label, v in zip(RGB_LABELS, p, strict=True)}


def pull_tiny(tmp_path: Path) -> Path:
    """Pull the tiny RGB classifier from a fake hub into a fresh data dir; the data dir."""
    with pytest.MonkeyPatch.context() as mp, running_hub(mp, tmp_path) as fake:
        fake.add_repo(TINY, classifier_repo())
        online = pull_settings(tmp_path, fake)
        models_hub.pull(TINY, online)
        return online.data_dir


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def upload(data: bytes, name: str = "file.png", mime: str = "image/png") -> dict[str, object]:
    return {"file": (name, data, mime)}
