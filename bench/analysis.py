"""Seed 003's task list: one six-task request versus the same six tasks as six requests.

Run: ``.venv/bin/python bench/analysis.py [--rounds N]``. In-process (FastAPI TestClient, the
real app with built-in models, SQLite in a temporary folder), on scikit-image's astronaut as a
JPEG. The six tasks: person box, face box, all faces with landmarks, the dlib face embedding,
NSFW detections, plates. Models are warmed first; the figure is the median of N rounds and the
ratio is six-single-requests / one-six-task-request (above 1: the task graph wins, by decoding
once, sharing the face detection and running independent models side by side).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from typing import Any

import skimage.data
from fastapi.testclient import TestClient
from PIL import Image

from argus.api.app import create_app
from argus.config import Settings

TASKS: list[dict[str, Any]] = [
    {"operation_id": "person", "type": "detect_bounding_box"},
    {"operation_id": "face", "type": "detect_bounding_box", "params": {"target": "prominent_face"}},
    {"operation_id": "faces", "type": "detect_faces"},
    {"operation_id": "face_vector", "type": "embed_face"},
    {"operation_id": "nsfw", "type": "detect_nsfw"},
    {"operation_id": "plates", "type": "detect_plates"},
]


def post(client: TestClient, data: bytes, tasks: list[dict[str, Any]]) -> None:
    r = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("astronaut.jpg", data, "image/jpeg")},
        data={"tasks_json": json.dumps(tasks)},
    )
    r.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, offline=True)
        with TestClient(create_app(settings)) as client:
            post(client, data, TASKS)  # warm every model
            together, apart = [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                post(client, data, TASKS)
                together.append(time.perf_counter() - start)
                start = time.perf_counter()
                for task in TASKS:
                    post(client, data, [task])
                apart.append(time.perf_counter() - start)
    one, six = statistics.median(together), statistics.median(apart)
    print(f"one request, six tasks : {one * 1000:8.1f} ms (median of {args.rounds})")
    print(f"six requests, one task : {six * 1000:8.1f} ms")
    print(f"ratio (six / one)      : {six / one:8.2f}x")


if __name__ == "__main__":
    main()
