"""Accuracy on the labelled real-photo set (``tests/data/real/manifest.json``), per capability:
a confusion table (rows: what a person sees; columns: what the engine answered), the accuracy,
and CPU milliseconds per photo (p50/p99), for the offline engines named on the command line.

Capabilities and engines (names are catalog models unless said otherwise):

- ``--category``: seed 000's photo category; ``local`` is the offline engine of
  :mod:`argus.pipelines.local_category` (run on the picture decoded as ``/api/v1/classify``
  decodes it). Photos labelled ``null`` (people disagree) are left out.
- ``--nsfw``: any image-classification model's verdict: nsfw when the scores of ``nsfw``,
  ``porn`` and ``hentai`` add up to at least 0.5 (``sexy``, ``drawing`` and ``neutral`` count
  as normal), e.g. ``nudenet-nsfw``.
- ``--faces``: any face detector's count, bucketed 0 / 1 / 2-3 / 4+ (plus exact-count accuracy
  and mean absolute error), e.g. ``dlib-hog-face``, ``dlib-cnn-face``, ``haar-face-frontal``.
- ``--person``: any detector: a person is present when it returns a ``person`` or a ``face``
  box, e.g. ``dlib-hog-face`` (a face means a person), ``haar-body-upper``; ``local-people``
  is the rule seed 000's local engine and seed 003's ``prominent_person`` use (a NanoDet person
  at 0.6 or more, or a weaker one with a CenterFace face inside).

Every photo is loaded from its package (face-api's demo photos by ``npm pack``, sha512 pinned).
Rerun after new models land with their names, e.g.
``--nsfw nsfwjs-mobilenet-v2 open-nsfw --faces centerface --person nanodet-coco``.

Run: ``.venv/bin/python bench/accuracy.py [--category local] [--nsfw nudenet-nsfw]
[--faces dlib-hog-face] [--person dlib-hog-face haar-body-upper] [--only ID ...]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from argus.config import Settings
from argus.imaging import decode
from argus.models.pool import ModelPool
from argus.models.tasks import Detector, ImageClassifier
from argus.pipelines.local_category import classify_local
from argus.pipelines.local_evidence import look
from argus.pipelines.photo_category import DECODE_MAX_SIDE
from support.real_photos import CATEGORIES, RealPhoto, load_manifest, pixels

RGB = np.ndarray[Any, np.dtype[np.uint8]]
NSFW_LABELS = {"nsfw", "porn", "hentai"}
FACE_BUCKETS = ("0", "1", "2-3", "4+")
Answer = Callable[[RealPhoto, RGB], str]


def face_bucket(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n <= 3 else "4+"


def category_engine(name: str, pool: ModelPool, settings: Settings) -> Answer:
    if name != "local":
        raise SystemExit(f"unknown category engine {name!r} (offline engines: local)")

    def answer(_: RealPhoto, image: RGB) -> str:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, "PNG")
        picture = decode(buf.getvalue(), settings.imaging, max_side=DECODE_MAX_SIDE)
        return classify_local(picture, pool).category

    return answer


def nsfw_engine(name: str, pool: ModelPool, _: Settings) -> Answer:
    model = pool.get(name, ImageClassifier)

    def answer(_: RealPhoto, image: RGB) -> str:
        scores: Sequence[tuple[str, float]] = model.predict([image])[0]
        bad = sum(score for label, score in scores if label.lower() in NSFW_LABELS)
        return "nsfw" if bad >= 0.5 else "normal"

    return answer


def _boxes(pool: ModelPool, name: str, image: RGB) -> list[str]:
    found = pool.get(name, Detector).predict([image])[0]
    return [str(label) for label in found.labels]


def faces_engine(name: str, pool: ModelPool, _: Settings) -> Answer:
    def answer(_: RealPhoto, image: RGB) -> str:
        return str(sum(label == "face" for label in _boxes(pool, name, image)))

    return answer


def person_engine(name: str, pool: ModelPool, _: Settings) -> Answer:
    if name == "local-people":
        return lambda _, image: "yes" if look(image, pool).people else "no"

    def answer(_: RealPhoto, image: RGB) -> str:
        labels = _boxes(pool, name, image)
        return "yes" if any(label in ("person", "face") for label in labels) else "no"

    return answer


CAPABILITIES: dict[str, tuple[Callable[[str, ModelPool, Settings], Answer], Any]] = {
    "category": (category_engine, lambda p: p.category),
    "nsfw": (nsfw_engine, lambda p: p.nsfw),
    "faces": (faces_engine, lambda p: str(p.faces)),
    "person": (person_engine, lambda p: None if p.person is None else "yes" if p.person else "no"),
}


def table(rows: list[tuple[str, str]], labels: Sequence[str]) -> None:
    """Print a confusion table: truth down, answer across."""
    width = max(8, *(len(label) for label in labels)) + 1
    print(" " * (width + 2) + "".join(f"{label[:width]:>{width}}" for label in labels))
    for truth in labels:
        counts = [sum(1 for t, a in rows if t == truth and a == label) for label in labels]
        if sum(counts) or any(t == truth for t, _ in rows):
            print(f"  {truth[:width]:<{width}}" + "".join(f"{c:>{width}}" for c in counts))


def run(
    capability: str,
    engine: str,
    photos: list[tuple[RealPhoto, RGB]],
    pool: ModelPool,
    settings: Settings,
) -> None:
    make, truth_of = CAPABILITIES[capability]
    answer = make(engine, pool, settings)
    rows: list[tuple[str, str]] = []
    cpu: list[float] = []
    misses: list[str] = []
    for photo, image in photos:
        truth = truth_of(photo)
        if truth is None:
            continue
        answer(photo, image) if not cpu else None  # first call loads the model: not timed
        start = time.process_time()
        got = answer(photo, image)
        cpu.append((time.process_time() - start) * 1000)
        rows.append((truth, got))
        if got != truth:
            misses.append(f"{photo.id} ({truth} -> {got})")
    print(f"\n== {capability} / {engine}: {len(rows)} photos")
    if capability == "faces":
        exact = sum(t == a for t, a in rows)
        mae = statistics.mean(abs(int(t) - int(a)) for t, a in rows)
        bucketed = [(face_bucket(int(t)), face_bucket(int(a))) for t, a in rows]
        table(bucketed, FACE_BUCKETS)
        right = sum(t == a for t, a in bucketed)
        print(
            f"  bucket accuracy {right}/{len(rows)} = {right / len(rows):.0%}; exact count "
            f"{exact}/{len(rows)} = {exact / len(rows):.0%}; mean absolute error {mae:.2f}"
        )
    else:
        labels = {
            "category": CATEGORIES,
            "nsfw": ("normal", "nsfw"),
            "person": ("yes", "no"),
        }[capability]
        table(rows, labels)
        right = sum(t == a for t, a in rows)
        print(f"  accuracy {right}/{len(rows)} = {right / len(rows):.0%}")
    q = statistics.quantiles(cpu, n=100) if len(cpu) > 1 else [cpu[0]] * 99
    print(f"  CPU ms per photo: p50 {statistics.median(cpu):.0f}, p99 {q[98]:.0f}")
    if misses:
        print("  wrong: " + ", ".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--category", nargs="*", default=["local"])
    parser.add_argument("--nsfw", nargs="*", default=["nudenet-nsfw"])
    parser.add_argument("--faces", nargs="*", default=["dlib-hog-face"])
    parser.add_argument("--person", nargs="*", default=["dlib-hog-face", "haar-body-upper"])
    parser.add_argument("--only", nargs="*", default=None, help="photo ids to keep")
    parser.add_argument("--cache", type=Path, default=None, help="npm tarball cache dir")
    args = parser.parse_args()

    manifest = [p for p in load_manifest() if args.only is None or p.id in args.only]
    photos = [(p, pixels(p, args.cache)) for p in manifest]
    print(f"{len(photos)} photos from tests/data/real/manifest.json")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), offline=True)
        pool = ModelPool(settings)
        try:
            for capability in CAPABILITIES:
                for engine in getattr(args, capability):
                    run(capability, engine, photos, pool, settings)
        finally:
            pool.close()


if __name__ == "__main__":
    main()
