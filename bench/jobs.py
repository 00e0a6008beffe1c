"""Jobs across workers: scaling from one Celery worker to two, and recovery from a killed one.

Everything runs for real on loopback: a `redis-server` of its own on a free port, `argus serve`
in Celery mode, `argus worker --concurrency 1` processes (each under a host name of its own when
run as root), SQLite under a temporary data dir. Figures printed:

- baseline: the same detector called in this process on the same photos (what a user would run
  instead), CPU ms and wall ms per item;
- scaling: ``--tasks`` jobs of ``--photos`` photos each, submitted at once, with 1 then 2 workers:
  wall time for all, jobs/s, the 2-vs-1 ratio, p50/p99 of a job's submit-to-completion time, and
  the ratio of the per-item wall time to the in-process baseline (the cost of the job path);
- recovery: one job of dlib-cnn-face photos on 2 workers; its holder is killed (SIGKILL) after
  its first item; time from the kill until the other worker has taken the job over and until it
  completes, next to the configured bound ``lease_s + sweep_interval_s``.

Run: ``.venv/bin/python bench/jobs.py [--tasks 4] [--photos 6] [--lease-s 6] [--sweep-s 1]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import skimage.data
from PIL import Image

from argus.config import Settings
from argus.imaging.decode import decode
from argus.models.pool import ModelPool
from argus.models.tasks import Detector

ARGUS = str(Path(sys.executable).with_name("argus"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(
    what: str, check: Callable[[], Any], timeout_s: float = 300, every_s: float = 0.05
) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(every_s)


def jpeg(image: np.ndarray[Any, Any]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def photos() -> list[bytes]:
    return [
        jpeg(p) for p in (skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea())
    ]


class Cluster:
    def __init__(self, root: Path, lease_s: float, sweep_s: float) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        redis_port = free_port()
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(root),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        self.env = {
            **os.environ,
            "ARGUS_DATA_DIR": str(root / "data"),
            "ARGUS_OFFLINE": "1",
            "ARGUS_LOG_LEVEL": "warning",
            "ARGUS_JOBS__EXECUTOR": "celery",
            "ARGUS_JOBS__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "ARGUS_JOBS__LEASE_S": str(lease_s),
            "ARGUS_JOBS__SWEEP_INTERVAL_S": str(sweep_s),
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        server = self._spawn(["serve", "--port", str(self.port)], "serve")

        def healthy() -> bool:
            assert server.poll() is None, "argus serve exited"
            try:
                return httpx.get(f"{self.base}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for("argus serve", healthy)

    def _spawn(
        self, args: list[str], name: str, hostname: str | None = None
    ) -> subprocess.Popen[bytes]:
        argv = [ARGUS, *args]
        if hostname is not None and os.geteuid() == 0:
            argv = ["unshare", "--uts", "--pid", "--fork", "--kill-child", "sh", "-c"]
            argv += ['hostname "$0" && exec "$@"', hostname, ARGUS, *args]
        log = (self.root / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        proc = self._spawn(
            ["worker", "--concurrency", "1", "--loglevel", "INFO"], f"worker-{name}", name
        )
        log = self.root / f"worker-{name}.log"
        wait_for(f"worker {name}", lambda: " ready." in log.read_text(errors="replace"))
        return proc

    def submit(self, files: list[bytes], options: dict[str, Any]) -> str:
        resp = httpx.post(
            f"{self.base}/api/v1/jobs",
            data={"kind": "detect", "options": json.dumps(options)},
            files=[("files", (f"{i}.jpg", f, "image/jpeg")) for i, f in enumerate(files)],
            timeout=60,
        )
        resp.raise_for_status()
        job_id: str = resp.json()["job_id"]
        return job_id

    def job(self, job_id: str) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.base}/api/v1/jobs/{job_id}", timeout=10).json()
        return body

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.redis.terminate()
        self.redis.wait(timeout=10)


def baseline(files: list[bytes], model: str, n: int) -> tuple[float, float]:
    """In-process wall and CPU ms per item for the detector the jobs use (model loaded first)."""
    settings = Settings(offline=True)
    pool = ModelPool(settings)
    try:
        detector = pool.get(model, Detector)
        detector.predict_one(decode(files[0], settings.imaging).pixels)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for i in range(n):
            detector.predict_one(decode(files[i % len(files)], settings.imaging).pixels)
        return (time.perf_counter() - wall0) * 1000 / n, (time.process_time() - cpu0) * 1000 / n
    finally:
        pool.close()


def scaling(
    cluster: Cluster, files: list[bytes], tasks: int, per_task: int
) -> tuple[float, list[float]]:
    started = time.monotonic()
    submitted = {}
    for t in range(tasks):
        batch = [files[(t + i) % len(files)] for i in range(per_task)]
        submitted[cluster.submit(batch, {})] = time.monotonic()
    latencies: dict[str, float] = {}

    def all_done() -> bool:
        for job_id, t0 in submitted.items():
            if job_id not in latencies and cluster.job(job_id)["status"] == "completed":
                latencies[job_id] = time.monotonic() - t0
        return len(latencies) == len(submitted)

    wait_for("the jobs", all_done, timeout_s=600)
    return time.monotonic() - started, sorted(latencies.values())


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--photos", type=int, default=6, help="photos per task")
    parser.add_argument("--lease-s", type=float, default=6.0)
    parser.add_argument("--sweep-s", type=float, default=1.0)
    args = parser.parse_args()
    files = photos()
    items = args.tasks * args.photos
    wall_ms, cpu_ms = baseline(files, "dlib-hog-face", items)
    print(f"baseline in-process dlib-hog-face: {wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU per item")

    results: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="argus-bench-jobs-") as tmp:
        cluster = Cluster(Path(tmp), args.lease_s, args.sweep_s)
        try:
            workers = [cluster.worker("alpha")]
            scaling(cluster, files, 1, 1)  # warm: the model loads in the first worker
            for n in (1, 2):
                if n == 2:
                    workers.append(cluster.worker("beta"))
                    scaling(cluster, files, 2, 1)  # warm the second worker too
                total, lat = scaling(cluster, files, args.tasks, args.photos)
                results[n] = total
                print(
                    f"{n} worker(s): {args.tasks} tasks x {args.photos} photos in {total:.2f} s "
                    f"({args.tasks / total:.2f} jobs/s, {total * 1000 / items:.1f} ms wall "
                    f"per item = {total * 1000 / items / wall_ms:.2f}x in-process); "
                    f"job latency p50 {pct(lat, 0.5):.2f} s, p99 {pct(lat, 0.99):.2f} s"
                )
            print(f"scaling 2 vs 1 worker: {results[1] / results[2]:.2f}x faster")

            job_id = cluster.submit([files[0]] * 4, {"model": "dlib-cnn-face"})
            wait_for("the first CNN item", lambda: cluster.job(job_id)["progress"]["done"] >= 1)
            holder = cluster.job(job_id)
            logs = {n: cluster.root / f"worker-{n}.log" for n in ("alpha", "beta")}
            started = f"{job_id} (detect, 4 items) attempt 1 started"
            owner = next(n for n, log in logs.items() if started in log.read_text(errors="replace"))
            victim = workers[0] if owner == "alpha" else workers[1]
            other = logs["beta" if owner == "alpha" else "alpha"]
            resumed = f"{job_id} (detect, 4 items) attempt 2 started"
            killed = time.monotonic()
            victim.send_signal(signal.SIGKILL)
            wait_for(
                "the take-over",
                lambda: resumed in other.read_text(errors="replace"),
                timeout_s=300,
            )
            taken = time.monotonic() - killed
            wait_for(
                "completion", lambda: cluster.job(job_id)["status"] == "completed", timeout_s=300
            )
            done = time.monotonic() - killed
            final = cluster.job(job_id)
            assert final["progress"] == {"done": 4, "total": 4}, final
            print(
                f"recovery: killed at {holder['progress']['done']}/4; "
                f"taken over after {taken:.2f} s, completed {done:.2f} s after the kill "
                f"(bound lease + sweep = {args.lease_s + args.sweep_s:.1f} s); "
                f"items kept {final['progress']['done']}/4"
            )
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
