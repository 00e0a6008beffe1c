"""Micro-batching on this CPU: images/s of one ONNX Runtime call over a batch of 1, 4 and 8
images, one intra-op thread (as Argus runs every session), for each ONNX built-in.

If a batch of 8 gave clearly more images/s than 8 calls of one, concurrent requests would be
worth gathering into one call (with a wait of a few ms). Measured here on the sessions the
built-ins use: NudeNet 320n (320x320), PP-OCRv4 detection (a 640x640 page) and recognition
(48x320 text lines), and the converted built-ins in the model cache (``make models``): dlib's
face ResNet (150 px chips), nsfwjs (224), EfficientNet-Lite0 (224), CenterFace (a 640x480 photo)
and face-api's age/gender net (112); NanoDet's graph takes one image per call. Inputs are real
photos (scikit-image) resized to the model's shape; the figures only depend on shapes, not on
content.

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

from argus.config.platform import default_converted_dir


def package_file(package: str, *parts: str) -> Path:
    spec = find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def blob(image: np.ndarray, height: int, width: int, channels_last: bool = False) -> np.ndarray:
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    scaled = resized.astype(np.float32) / 255.0
    return (scaled if channels_last else scaled.transpose(2, 0, 1))[None]


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
    converted = default_converted_dir()
    models = {
        "nudenet-320n": (package_file("nudenet", "320n.onnx"), 320, 320, False),
        "ppocr-v4 det": (
            package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_det_infer.onnx"),
            640,
            640,
            False,
        ),
        "ppocr-v4 rec": (
            package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_rec_infer.onnx"),
            48,
            320,
            False,
        ),
        "dlib-resnet-face": (
            converted / "dlib-resnet-face" / "dlib_resnet_v1.onnx",
            150,
            150,
            True,
        ),
        "nsfwjs": (converted / "nsfwjs-mobilenet-v2" / "nsfwjs-mobilenet-v2.onnx", 224, 224, True),
        "efficientnet-l0": (converted / "efficientnet-lite0" / "model.onnx", 224, 224, False),
        "centerface": (converted / "centerface" / "centerface.onnx", 480, 640, False),
        "age-gender": (converted / "faceapi-age-gender" / "age-gender.onnx", 112, 112, False),
    }
    print(
        f"{'model':16s} {'batch 1':>10s} {'batch 4':>10s} {'batch 8':>10s}   (images/s, 1 thread)"
    )
    for name, (path, height, width, channels_last) in models.items():
        if not path.exists():
            print(f"{name:16s} not installed (make models)")
            continue
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        figures = []
        for size in (1, 4, 8):
            batch = np.concatenate(
                [blob(photos[i % 3], height, width, channels_last) for i in range(size)]
            )
            figures.append(rate(session, batch, args.seconds))
        gain = figures[2] / figures[0]
        print(
            f"{name:16s} {figures[0]:10.1f} {figures[1]:10.1f} {figures[2]:10.1f}   "
            f"batch 8 = x{gain:.2f} of batch 1"
        )


if __name__ == "__main__":
    main()
