"""Seed 004's feature scale on real faces: false-match and false-non-match rates at the seed's
0.7 and at Argus's own dlib threshold (0.908 on native features).

Faces: every face dlib's HOG finds (full size, no upsampling) in the six group photos of
face-api's npm ``demo/`` folder (fetched with ``npm pack``, sha512 pinned: see
``tests/support/photos.py``), scikit-image's astronaut and matplotlib's Grace Hopper. Each
face is cropped (1x its size around it) and run through the seed pipeline (``strict=False``,
so faces failing a quality check still count).

- **Impostor pairs**: every pair of different faces (all group photos show different women;
  the portraits are two more people). No two faces of one person are in the set.
- **Genuine pairs**: each face's crop against the same face shifted in its crop, scaled 0.7x
  and 1.5x, rotated ±10°, darkened 0.6x, brightened 1.3x, and saved as JPEG quality 25. These
  are one photo each, so the genuine rates are optimistic: two different photos of one person
  differ more than that (dlib publishes distance < 0.6, native cosine about 0.908, for them).
- **Population mean** of the seed scale: the unit descriptors of those faces and of the 25x25
  faces of scikit-image's ``lfw_subset()`` that dlib finds once enlarged (grey, blurry). Rates
  on the seed scale are measured leave-one-photo-out: a pair is scored with a mean computed
  without either of its photos; the shipped mean (``--write-mean``) uses everything.

The comparison baseline in the same run is what a dlib user does: native unit descriptors and
dlib's published rule. CPU cost per feature (p50/p99) is printed for extraction and for the
seed conversion.

Run: ``.venv/bin/python bench/face_calibration.py [--write-mean PATH] [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import skimage.data
from matplotlib import cbook
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from argus.config import Settings
from argus.errors import NoQualifiedFace
from argus.models.pool import ModelPool
from argus.models.tasks import FaceDetector
from argus.pipelines.faces import DLIB_MODEL, FacePipeline
from argus.pipelines.seed_features import SEED_THRESHOLD, embed, population_mean
from support.photos import FACE_API_PACKAGE, face_api_demo_photos

RGB = np.ndarray[Any, np.dtype[np.uint8]]
Vec = np.ndarray[Any, np.dtype[np.float32]]
NATIVE_THRESHOLD = 0.908


def _jpeg(image: RGB, quality: int) -> RGB:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _rotated(image: RGB, angle: float) -> RGB:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)


VARIANTS: dict[str, Callable[[RGB], RGB]] = {
    "scale 0.7": lambda im: cv2.resize(im, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA),
    "scale 1.5": lambda im: cv2.resize(im, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC),
    "rotate +10": lambda im: _rotated(im, 10),
    "rotate -10": lambda im: _rotated(im, -10),
    "dark 0.6": lambda im: (im * 0.6).astype(np.uint8),
    "bright 1.3": lambda im: np.clip(im * 1.3, 0, 255).astype(np.uint8),
    "jpeg q25": lambda im: _jpeg(im, 25),
}


@dataclass
class Face:
    photo: str
    index: int
    vector: Vec
    variants: dict[str, Vec]


def photos(cache: Path | None) -> dict[str, RGB]:
    out = {
        f"face-api/{p.name}": np.asarray(Image.open(p).convert("RGB"))
        for p in face_api_demo_photos(cache)
    }
    out["skimage/astronaut"] = np.ascontiguousarray(skimage.data.astronaut())
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        out["matplotlib/grace_hopper"] = np.asarray(Image.open(f).convert("RGB"))
    return out


def _crop(image: RGB, box: np.ndarray[Any, Any], margin: float, shift: float) -> RGB:
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1)
    cx, cy, half = (x1 + x2) / 2 + shift * side, (y1 + y2) / 2, side * (0.5 + margin)
    a, b = int(max(0, cx - half)), int(max(0, cy - half))
    c, d = int(min(w, cx + half)), int(min(h, cy + half))
    return np.ascontiguousarray(image[b:d, a:c])


def collect(faces: FacePipeline, images: dict[str, RGB], timings: list[float]) -> list[Face]:
    """Every HOG face of every photo with its genuine variants (failed extractions dropped)."""
    hog = faces.pool.get("dlib-hog-face", FaceDetector)
    out: list[Face] = []

    def extract(image: RGB) -> Vec | None:
        start = time.process_time()
        try:
            return faces.extract(np.ascontiguousarray(image), strict=False).vector
        except NoQualifiedFace:
            return None
        finally:
            timings.append((time.process_time() - start) * 1000)

    for name, image in images.items():
        found = hog.detect([image], upsample=0, max_side=None)[0]
        for k, box in enumerate(found.xyxy):
            crop = _crop(image, box, 1.0, 0.0)
            base = extract(crop)
            if base is None:
                continue
            variants = {"crop shifted": extract(_crop(image, box, 0.7, 0.25))}
            variants |= {v: extract(fn(crop)) for v, fn in VARIANTS.items()}
            kept = {v: x for v, x in variants.items() if x is not None}
            out.append(Face(name, k, base, kept))
        print(f"  {name}: {len(found)} faces", flush=True)
    return out


def lfw_faces(faces: FacePipeline) -> list[Vec]:
    """Unit descriptors of the lfw_subset faces dlib finds once enlarged to 160 px."""
    out = []
    for grey in skimage.data.lfw_subset()[:100]:
        g = cv2.resize((grey * 255).astype(np.uint8), (160, 160), interpolation=cv2.INTER_CUBIC)
        g = cv2.copyMakeBorder(g, 60, 60, 60, 60, cv2.BORDER_REPLICATE)
        with contextlib.suppress(NoQualifiedFace):
            out.append(faces.extract(np.stack([g] * 3, axis=-1), strict=False).vector)
    return out


def _unit(v: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True))


def scores(
    found: list[Face], to_scale: Callable[[Vec, set[str]], np.ndarray[Any, Any]]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Genuine and impostor cosines with ``to_scale(vector, photos the pair comes from)``."""
    genuine = [
        float(to_scale(f.vector, {f.photo}) @ to_scale(v, {f.photo}))
        for f in found
        for v in f.variants.values()
    ]
    impostor = [
        float(to_scale(a.vector, {a.photo, b.photo}) @ to_scale(b.vector, {a.photo, b.photo}))
        for a, b in itertools.combinations(found, 2)
    ]
    return np.asarray(genuine), np.asarray(impostor)


def rates_table(
    label: str,
    genuine: np.ndarray[Any, Any],
    impostor: np.ndarray[Any, Any],
    thresholds: list[float],
) -> None:
    print(
        f"{label}: genuine median {np.median(genuine):.3f} (min {genuine.min():.3f}), "
        f"impostor median {np.median(impostor):.3f} (p95 {np.percentile(impostor, 95):.3f}, "
        f"max {impostor.max():.3f})"
    )
    print(f"  {'threshold':>9} {'false match':>22} {'false non-match':>22}")
    for t in thresholds:
        fm, fnm = int(np.sum(impostor >= t)), int(np.sum(genuine < t))
        print(
            f"  {t:>9.3f} {fm / len(impostor):>9.1%} ({fm:>3}/{len(impostor)} pairs) "
            f"{fnm / len(genuine):>9.1%} ({fnm:>3}/{len(genuine)} pairs)"
        )


def mean_document(found: list[Face], lfw: list[Vec]) -> dict[str, Any]:
    vectors = np.vstack([f.vector for f in found] + lfw)
    return {
        "model": DLIB_MODEL,
        "dim": int(vectors.shape[1]),
        "count": int(vectors.shape[0]),
        "what": "mean of L2-normalised dlib-resnet-face descriptors (seed pipeline, strict=False)",
        "sources": {
            f"npm {FACE_API_PACKAGE} demo/sample1-6.jpg (HOG faces, full size)": sum(
                f.photo.startswith("face-api/") for f in found
            ),
            "skimage.data.astronaut()": sum(f.photo == "skimage/astronaut" for f in found),
            "matplotlib grace_hopper.jpg": sum(f.photo == "matplotlib/grace_hopper" for f in found),
            "skimage.data.lfw_subset()[:100] (enlarged to 160 px, grey)": len(lfw),
        },
        "computed_by": "bench/face_calibration.py --write-mean",
        "mean": [round(float(x), 7) for x in vectors.mean(axis=0)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="npm tarball cache dir")
    parser.add_argument("--write-mean", type=Path, default=None, help="write the mean JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), offline=True)
        pool = ModelPool(settings)
        faces = FacePipeline(pool, settings.faces)
        timings: list[float] = []
        print("collecting faces:")
        found = collect(faces, photos(args.cache), timings)
        lfw = lfw_faces(faces)
        pool.close()
    n_gen = sum(len(f.variants) for f in found)
    print(f"{len(found)} faces, {n_gen} genuine variants, {len(lfw)} lfw_subset faces for the mean")
    doc = mean_document(found, lfw)
    if args.write_mean:
        args.write_mean.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.write_mean}")

    lfw_arr = np.vstack(lfw)

    def native(v: Vec, _: set[str]) -> np.ndarray[Any, Any]:
        return v

    def held_out(v: Vec, without: set[str]) -> np.ndarray[Any, Any]:
        rest = [f.vector for f in found if f.photo not in without]
        mean = np.vstack([lfw_arr, *rest]).mean(axis=0)
        return embed(_unit(v - mean).astype(np.float32))

    shipped = population_mean(DLIB_MODEL)

    def with_shipped(v: Vec, _: set[str]) -> np.ndarray[Any, Any]:
        assert shipped is not None
        return embed(_unit(v - shipped.vector).astype(np.float32))

    sweep = [0.5, 0.6, 0.65, SEED_THRESHOLD, 0.75, 0.8]
    print()
    rates_table("native dlib (baseline)", *scores(found, native), [0.7, NATIVE_THRESHOLD, 0.93])
    print()
    rates_table("seed scale, leave-one-photo-out mean", *scores(found, held_out), sweep)
    if shipped is not None:
        print()
        rates_table(
            f"seed scale, shipped mean ({shipped.count} faces)", *scores(found, with_shipped), sweep
        )

    conv: list[float] = []
    v = found[0].vector
    for _ in range(2000):
        start = time.process_time()
        with_shipped(v, set()) if shipped is not None else held_out(v, set())
        conv.append((time.process_time() - start) * 1000)
    q = statistics.quantiles
    print()
    print(
        f"CPU ms per feature: extraction p50 {statistics.median(timings):.1f} "
        f"p99 {q(timings, n=100)[98]:.1f}; seed conversion p50 {statistics.median(conv):.3f} "
        f"p99 {q(conv, n=100)[98]:.3f} ({statistics.median(conv) / statistics.median(timings):.2%} "
        "of extraction)"
    )


if __name__ == "__main__":
    main()
