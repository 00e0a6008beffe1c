"""Cached versus uncached photo classification through seed 000's HTTP API.

Each photo (portraits, two people, a coffee cup, a rendered phone screenshot; distinct bytes per
round by varying the JPEG quality) is posted to ``/api/v1/classify`` twice: the first answer
comes from the local engine (faces, layout cues, OCR where the picture looks like a screen),
the second from the result cache. A ``check-cache`` by hash (the seed client's first step) is
timed too. Figures are medians in milliseconds measured in this process, with the ratio of
uncached to cached, so they stay comparable on a shared, noisy machine. Models are loaded
before timing starts. The app runs in-process (FastAPI's TestClient: the full ASGI stack,
routing, validation, database; no network socket).

Run: ``.venv/bin/python bench/classify.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import skimage.data
from fastapi.testclient import TestClient
from matplotlib import cbook
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "classify"))
from classify_support import phone_screenshot, side_by_side


def photos() -> dict[str, np.ndarray]:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        grace = np.asarray(Image.open(f).convert("RGB"))
    astronaut = skimage.data.astronaut()
    return {
        "astronaut": astronaut,
        "grace_hopper": grace,
        "two_people": side_by_side(astronaut, grace),
        "coffee": skimage.data.coffee(),
        "screenshot": phone_screenshot(),
    }


def jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def timed_ms(client: TestClient, route: str, **kwargs: Any) -> float:
    """Milliseconds of one POST that must answer 200."""
    start = time.perf_counter()
    resp = client.post(route, **kwargs)
    elapsed = (time.perf_counter() - start) * 1000.0
    assert resp.status_code == 200, resp.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="Distinct encodings per photo.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", offline=True)
        with TestClient(create_app(settings)) as client:
            warm = jpeg(skimage.data.astronaut()[::2, ::2].copy(), 70)
            client.post("/api/v1/classify", files={"image": ("w.jpg", warm)})
            client.post(
                "/api/v1/classify", files={"image": ("w.png", jpeg(phone_screenshot(), 60))}
            )
            print(
                f"{'photo':14} {'uncached ms':>12} {'cached ms':>10} {'check ms':>9} {'ratio':>7}"
            )
            all_cold: list[float] = []
            all_hot: list[float] = []
            for name, pixels in photos().items():
                cold, hot, check = [], [], []
                for r in range(args.rounds):
                    data = jpeg(pixels, 95 - r)
                    files = {"image": (f"{name}.jpg", data)}
                    cold.append(timed_ms(client, "/api/v1/classify", files=files))
                    hot.append(timed_ms(client, "/api/v1/classify", files=files))
                    body = {"image_hash": hashlib.sha256(data).hexdigest()}
                    check.append(timed_ms(client, "/api/v1/classify/check-cache", json=body))
                c, h, k = statistics.median(cold), statistics.median(hot), statistics.median(check)
                all_cold += cold
                all_hot += hot
                note = "" if c / h > 1.5 else "  (local 'other' is never cached)"
                print(f"{name:14} {c:12.1f} {h:10.1f} {k:9.1f} {c / h:6.1f}x{note}")
            c, h = statistics.median(all_cold), statistics.median(all_hot)
            print(f"{'all (median)':14} {c:12.1f} {h:10.1f} {'':9} {c / h:6.1f}x")


if __name__ == "__main__":
    main()
