"""Anonymization throughput: images/s of seed 002 tasks with the local executor and with two
Celery workers, against the pipeline called in-process.

The images are photos (scikit-image samples, 1000 px wide) with a plate rendered onto each in
perspective, as JPEGs. Measured in this process:

- baseline: decode + :func:`argus.pipelines.anonymize.anonymize` + WebP encode, one image after
  the other, models already loaded;
- local executor: ``POST /api/v1/process-task/`` through the app (the server's own job
  workers), from the POST to ``completed``; one task of N images, then two tasks of N/2
  (the local executor runs ``jobs.workers`` = 2 jobs at once);
- Celery: the same through two ``argus worker --concurrency 1`` processes on a ``redis-server``
  this script starts on a free loopback port (no persistence, stopped at the end: it never
  touches a Redis it did not start). A job's items run one after the other, so one task
  uses one worker; two tasks use both. Worker start-up and model loading happen before the
  clock starts (a warm-up task runs first).

Run: ``.venv/bin/python bench/anonymize.py [--images 20] [--no-ocr]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import redis
import skimage.data
from fastapi.testclient import TestClient
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support (images)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "anonymize"))
from plates_support import street

from argus.api.app import create_app
from argus.config import AnonymizeSettings, JobSettings, Settings
from argus.imaging import decode
from argus.models.pool import ModelPool
from argus.pipelines.anonymize import AnonymizeOptions, anonymize, encode_result

TEXTS = ["А123ВС 77", "X777KM 199", "AB 1234", "M555OP 50"]


def images(n: int) -> list[bytes]:
    photos = [skimage.data.coffee(), skimage.data.chelsea(), skimage.data.astronaut()]
    out = []
    for i in range(n):
        car, _ = street(photos[i % len(photos)], TEXTS[i % len(TEXTS)])
        if i % 2:
            car = np.ascontiguousarray(cv2.flip(car, 1))  # a plate on the right, mirrored
        buf = io.BytesIO()
        Image.fromarray(car).save(buf, format="JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def baseline(settings: Settings, data: list[bytes]) -> float:
    pool = ModelPool(settings)
    try:
        options = AnonymizeOptions()
        for blob in data[:2]:  # load the models
            anonymize(pool, settings, decode(blob, settings.imaging).pixels, options)
        start = time.perf_counter()
        for blob in data:
            done = anonymize(pool, settings, decode(blob, settings.imaging).pixels, options)
            encode_result(done.image, "webp", settings.anonymize.webp_quality)
        return len(data) / (time.perf_counter() - start)
    finally:
        pool.close()


def run_tasks(client: TestClient, batches: list[list[bytes]]) -> float:
    """Images/s from the first POST until every task completed."""
    start = time.perf_counter()
    ids = []
    for b, batch in enumerate(batches):
        files = [("files", (f"car-{b}-{i}.jpg", x, "image/jpeg")) for i, x in enumerate(batch)]
        resp = client.post("/api/v1/process-task/", files=files)
        assert resp.status_code == 202, resp.text
        ids.append(resp.json()["task_id"])
    for task_id in ids:
        while True:
            body: dict[str, Any] = client.get(f"/api/v1/task-status/{task_id}").json()
            if body["status"] in ("completed", "failed"):
                assert body["status"] == "completed", body
                break
            time.sleep(0.05)
    return sum(len(b) for b in batches) / (time.perf_counter() - start)


def split(data: list[bytes]) -> list[list[bytes]]:
    return [data[: len(data) // 2], data[len(data) // 2 :]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def own_redis(root: Path) -> Iterator[str]:
    """A ``redis-server`` of this run on a free loopback port (no disk writes); its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def with_celery(
    root: Path, broker: str, anonymize_conf: AnonymizeSettings, data: list[bytes]
) -> list[float]:
    env = {
        **os.environ,
        "ARGUS_DATA_DIR": str(root),
        "ARGUS_OFFLINE": "1",
        "ARGUS_JOBS__EXECUTOR": "celery",
        "ARGUS_JOBS__BROKER_URL": broker,
        "ARGUS_ANONYMIZE__PLATE_OCR": "true" if anonymize_conf.plate_ocr else "false",
    }
    argus = str(Path(sys.executable).with_name("argus"))
    settings = Settings(
        data_dir=root,
        offline=True,
        jobs=JobSettings(executor="celery", broker_url=broker),
        anonymize=anonymize_conf,
    )
    root.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:  # migrates the database first
        logs = [(root / f"worker-{i}.log").open("wb") for i in range(2)]
        workers = [
            subprocess.Popen(
                [argus, "worker", "--concurrency", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        try:
            run_tasks(client, [data[:2], data[2:4]])  # warm-up: both workers load their models
            return [run_tasks(client, [data]), run_tasks(client, split(data))]
        finally:
            for proc in workers:
                proc.terminate()
                proc.wait(timeout=30)
            for log in logs:
                log.close()


def row(label: str, value: float, base: float) -> None:
    print(f"{label:40s} {value:6.2f} images/s  x{value / base:.2f} of the baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--no-ocr", action="store_true", help="cascade-only plate detector")
    args = parser.parse_args()
    conf = AnonymizeSettings(plate_ocr=not args.no_ocr)
    data = images(args.images)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "local", offline=True, anonymize=conf)
        base = baseline(settings, data)
        print(f"{args.images} images of 1000 px, plate OCR {'off' if args.no_ocr else 'on'}")
        print(f"{'baseline (in-process, one at a time)':40s} {base:6.2f} images/s")
        with TestClient(create_app(settings)) as client:
            run_tasks(client, [data[:2]])  # load the models
            row(f"local executor, 1 task of {len(data)}", run_tasks(client, [data]), base)
            row(
                f"local executor, 2 tasks of {len(data) // 2}", run_tasks(client, split(data)), base
            )
        try:
            with own_redis(root / "redis") as broker:
                c_one, c_two = with_celery(root / "celery", broker, conf, data)
        except (OSError, redis.RedisError) as exc:
            print(f"celery: skipped, no Redis of its own ({exc})")
            return
        row(f"2 celery workers, 1 task of {len(data)}", c_one, base)
        row(f"2 celery workers, 2 tasks of {len(data) // 2}", c_two, base)


if __name__ == "__main__":
    main()
