"""Moderation throughput: images/s through the HTTP API vs in-process, video frames/s.

Figures are measured in this process, each next to a baseline measured the same way:

- images: the built-in ``nudenet-nsfw`` classifier (what seed 001's default model name gets on
  a fresh install) on the four sample photos as JPEGs: calling the model in-process on decoded
  pixels (the baseline), decode + model in-process, and ``POST /api/image-classification`` to a
  real Uvicorn server on loopback (one client, sequential requests); ratios against the
  baseline;
- video: a 10 s, 25 fps, 640x480 MP4 of the photos through ``/api/video-classification``'s
  pipeline looking for a label it never finds (every frame is searched): video frames covered
  per second without ``fast_mode`` (baseline) and with it at the seed's 5 %.

Run: ``.venv/bin/python bench/moderation.py [--seconds S]``.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import skimage.data
import uvicorn
from matplotlib import cbook
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings
from argus.imaging import decode
from argus.models.pool import ModelPool
from argus.models.tasks import ImageClassifier
from argus.pipelines.moderation import Moderator, Query

RGB = np.ndarray[Any, Any]


def photos() -> list[RGB]:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = np.asarray(Image.open(f).convert("RGB"))
    return [skimage.data.astronaut(), hopper, skimage.data.chelsea(), skimage.data.coffee()]


def jpeg(image: RGB) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def rate(fn: Callable[[int], object], seconds: float, min_calls: int = 5) -> tuple[float, float]:
    """``(calls per wall second, process CPU ms per call)`` of ``fn(i)`` over about ``seconds``.

    CPU time counts every thread of this process (the in-process server too) and hardly moves
    when other processes load the machine; wall-clock rates do.
    """
    fn(0)
    calls, start, cpu = 0, time.perf_counter(), time.process_time()
    while calls < min_calls or time.perf_counter() - start < seconds:
        fn(calls)
        calls += 1
    wall = time.perf_counter() - start
    return calls / wall, (time.process_time() - cpu) * 1000.0 / calls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_images(settings: Settings, seconds: float, rounds: int = 3) -> None:
    files = [jpeg(p) for p in photos()]
    pool = ModelPool(settings)
    model = pool.get("nudenet-nsfw", ImageClassifier)
    side = settings.moderation.frame_side_px
    decoded = [decode(f, settings.imaging, max_side=side).pixels for f in files]

    def in_process(i: int) -> None:
        model.predict([decoded[i % 4]])

    def decode_and_predict(i: int) -> None:
        model.predict([decode(files[i % 4], settings.imaging, max_side=side).pixels])

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    best = {"base": (0.0, 1e9), "decode": (0.0, 1e9), "http": (0.0, 1e9)}

    def keep(key: str, measured: tuple[float, float]) -> None:
        per_s, cpu_ms = best[key]
        best[key] = (max(per_s, measured[0]), min(cpu_ms, measured[1]))

    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:

            def post(i: int) -> None:
                resp = client.post(
                    "/api/image-classification",
                    files={"file": ("p.jpg", files[i % 4], "image/jpeg")},
                )
                resp.raise_for_status()

            # interleaved rounds, best of each: other load on the machine hits all three alike
            for _ in range(rounds):
                keep("base", rate(in_process, seconds / rounds))
                keep("decode", rate(decode_and_predict, seconds / rounds))
                keep("http", rate(post, seconds / rounds))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        pool.close()
    base = best["base"]
    print(f"built-in nudenet-nsfw, one image at a time (best of {rounds} interleaved rounds)")
    print("                                      images/s  ratio   CPU ms/image  ratio")
    for key, what in (
        ("base", "in-process model.predict (baseline)"),
        ("decode", "in-process decode + predict"),
        ("http", "HTTP POST /api/image-classification"),
    ):
        per_s, cpu_ms = best[key]
        print(
            f"  {what:36s} {per_s:7.1f}  {per_s / base[0]:5.2f}x  {cpu_ms:11.1f}  "
            f"{cpu_ms / base[1]:5.2f}x"
        )


def bench_video(settings: Settings, folder: Path) -> None:
    path = folder / "photos.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (640, 480))
    frames = [cv2.resize(cv2.cvtColor(p, cv2.COLOR_RGB2BGR), (640, 480)) for p in photos()]
    total = 250
    for i in range(total):
        writer.write(frames[(i // 25) % 4])
    writer.release()
    pool = ModelPool(settings)
    results: dict[bool, tuple[float, float]] = {}
    for fast in (False, True):
        moderator = Moderator(pool, settings)
        query = Query(labels=("no-such-label",), fast_mode=fast, skip_frames_percentage=5)
        moderator.query_video(path, ["Falconsai/nsfw_image_detection"], query)  # warm-up
        start, cpu = time.perf_counter(), time.process_time()
        moderator.query_video(path, ["Falconsai/nsfw_image_detection"], query)
        wall, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        results[fast] = (total / wall, total / cpu_s)
    pool.close()
    print(f"video, {total} frames 640x480 mp4v, built-in model, whole clip searched")
    print("                                      frames/s  ratio   frames/CPU s  ratio")
    base = results[False]
    for fast, what in ((False, "every frame (baseline)"), (True, "fast_mode, 5 % (1 in 12)")):
        per_s, per_cpu = results[fast]
        print(
            f"  {what:36s} {per_s:7.1f}  {per_s / base[0]:5.2f}x  {per_cpu:11.1f}  "
            f"{per_cpu / base[1]:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="time per image figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", offline=True)
        bench_images(settings, args.seconds)
        bench_video(settings, Path(tmp))


if __name__ == "__main__":
    main()
