"""Micro-batching on this CPU: images/s of one ONNX Runtime call over a batch of 1, 4 and 8
images, one intra-op thread (as Argus runs every session), for each ONNX built-in.

If a batch of 8 gave clearly more images/s than 8 calls of one, concurrent requests would be
worth gathering into one call (with a wait of a few ms). Measured here on the sessions the
built-ins use: NudeNet 320n (320x320), PP-OCRv4 detection (a 640x640 page) and recognition
(48x320 text lines). Inputs are real photos (scikit-image) preprocessed to the model's shape;
the figures only depend on shapes, not on content.

Run: ``.venv/bin/python bench/batching.py [--seconds 3]``.
"""

from __future__ import annotations

import argparse
import time
from importlib.util import find_spec
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import skimage.data


def package_file(package: str, *parts: str) -> Path:
    spec = find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def blob(image: np.ndarray, height: int, width: int) -> np.ndarray:
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    return (resized.astype(np.float32).transpose(2, 0, 1) / 255.0)[None]


def rate(session: ort.InferenceSession, batch: np.ndarray, seconds: float) -> float:
    name = session.get_inputs()[0].name
    session.run(None, {name: batch})
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or n < 3:
        session.run(None, {name: batch})
        n += 1
    return n * len(batch) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()]
    models = {
        "nudenet-320n": (package_file("nudenet", "320n.onnx"), 320, 320),
        "ppocr-v4 det": (
            package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_det_infer.onnx"),
            640,
            640,
        ),
        "ppocr-v4 rec": (
            package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_rec_infer.onnx"),
            48,
            320,
        ),
    }
    print(
        f"{'model':16s} {'batch 1':>10s} {'batch 4':>10s} {'batch 8':>10s}   (images/s, 1 thread)"
    )
    for name, (path, height, width) in models.items():
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        figures = []
        for size in (1, 4, 8):
            batch = np.concatenate([blob(photos[i % 3], height, width) for i in range(size)])
            figures.append(rate(session, batch, args.seconds))
        gain = figures[2] / figures[0]
        print(
            f"{name:16s} {figures[0]:10.1f} {figures[1]:10.1f} {figures[2]:10.1f}   "
            f"batch 8 = x{gain:.2f} of batch 1"
        )


if __name__ == "__main__":
    main()
