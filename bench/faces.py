"""Face galleries: identify latency for 1k, 10k and 100k vectors (FAISS vs brute force), the
cost of rebuilding an index, and feature extraction images/s.

Every figure comes with its baseline measured the same way in this process:

- search: median milliseconds per query of the 5 nearest faces, FAISS ``IndexFlatIP`` against
  brute-force numpy (the baseline), for random unit vectors of 128 (dlib) and 512 (ArcFace)
  dimensions; both are exact, so they return the same faces;
- build: seconds to build each index from N vectors (what a start-up rebuild costs);
- extraction: images/s through the whole face pipeline (detect, landmarks, checks, 128-d
  dlib feature) on the astronaut (upscaled path) and Grace Hopper, at 1 and 2 worker threads.

Run: ``.venv/bin/python bench/faces.py [--sizes 1000 10000 100000] [--queries 200]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
from matplotlib import cbook
from PIL import Image

from argus.config import Settings
from argus.models.arcface import l2_normalise
from argus.models.pool import ModelPool
from argus.pipelines.faces import FacePipeline
from argus.pipelines.vector_index import FaissIndex, NumpyIndex, VectorIndex


def median_ms(index: VectorIndex, queries: np.ndarray[Any, Any], k: int = 5) -> float:
    index.search(queries[0], k)  # warm-up
    times = []
    for q in queries:
        start = time.perf_counter()
        index.search(q, k)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_search(sizes: list[int], dims: list[int], n_queries: int, threads: int) -> None:
    import faiss

    faiss.omp_set_num_threads(threads)  # as IndexRegistry does with faces.search_threads
    print(f"FAISS OpenMP threads: {threads}")
    rng = np.random.default_rng(0)
    print(
        f"{'dim':>4} {'vectors':>8} {'numpy ms':>9} {'faiss ms':>9} {'speed-up':>9} "
        f"{'numpy build s':>14} {'faiss build s':>14}"
    )
    for dim in dims:
        queries = l2_normalise(rng.standard_normal((n_queries, dim)))
        for n in sizes:
            vectors = l2_normalise(rng.standard_normal((n, dim)))
            ids = list(range(n))
            built: dict[str, tuple[VectorIndex, float]] = {}
            for name, cls in (("numpy", NumpyIndex), ("faiss", FaissIndex)):
                start = time.perf_counter()
                index: VectorIndex = cls(dim)
                index.add(ids, vectors)
                built[name] = (index, time.perf_counter() - start)
            base = median_ms(built["numpy"][0], queries)
            fast = median_ms(built["faiss"][0], queries)
            same = all(
                list(built["numpy"][0].search(q, 5)[0]) == list(built["faiss"][0].search(q, 5)[0])
                for q in queries[:20]
            )
            print(
                f"{dim:>4} {n:>8} {base:>9.3f} {fast:>9.3f} {base / fast:>8.2f}x "
                f"{built['numpy'][1]:>14.3f} {built['faiss'][1]:>14.3f}"
                + ("" if same else "  (DIFFERENT RESULTS)")
            )


def bench_extraction(seconds: float) -> None:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = np.asarray(Image.open(f).convert("RGB"))
    photos = {"astronaut (88 px face, upscaled)": skimage.data.astronaut(), "grace_hopper": hopper}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), offline=True)
        pool = ModelPool(settings)
        faces = FacePipeline(pool, settings.faces)
        for name, image in photos.items():
            faces.extract(image)  # load the models
            rates = []
            for workers in (1, 2):
                done = 0
                start = time.perf_counter()
                with ThreadPoolExecutor(workers) as ex:
                    while time.perf_counter() - start < seconds:
                        list(ex.map(faces.extract, [image] * workers * 2))
                        done += workers * 2
                rates.append(done / (time.perf_counter() - start))
            print(
                f"extraction {name}: {rates[0]:.1f} images/s at 1 thread, {rates[1]:.1f} at 2 "
                f"({rates[1] / rates[0]:.2f}x)"
            )
        pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="FAISS OpenMP threads")
    parser.add_argument("--seconds", type=float, default=5.0, help="per extraction figure")
    args = parser.parse_args()
    bench_search(args.sizes, args.dims, args.queries, args.threads)
    bench_extraction(args.seconds)


if __name__ == "__main__":
    main()
