"""Celery executor: the server only sends `argus.run_job`; a real `argus worker` process on a
`redis-server` the test starts for itself runs the job. Without `redis-server` installed the
test is skipped (fails under CI=1). A server whose broker is down says so in `/health` and
refuses submissions with a 503 that leaves nothing behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from jobs_support import Process, RedisServer, argus_env, read_job

from argus.api.app import create_app
from argus.config import JobSettings, Settings
from support.images import jpeg
from support.waiting import wait_until


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (never one the test did not start)."""
    if shutil.which("redis-server") is None:
        reason = "redis-server is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: run scripts/ci-services.sh")
        pytest.skip(reason)
    server = RedisServer(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def broker(redis_server: RedisServer) -> str:
    return redis_server.url


def _celery_settings(data_dir: Path, broker_url: str) -> Settings:
    return Settings(
        data_dir=data_dir, offline=True, jobs=JobSettings(executor="celery", broker_url=broker_url)
    )


def test_a_real_celery_worker_runs_the_job(
    broker: str,
    tmp_path: Path,
    astronaut: npt.NDArray[np.uint8],
    coffee: npt.NDArray[np.uint8],
) -> None:
    data_dir = tmp_path / "data"
    with TestClient(create_app(_celery_settings(data_dir, broker))) as client:
        # Submitted before any worker exists: the message waits in Redis.
        resp = client.post(
            "/api/v1/jobs",
            data={"kind": "detect"},
            files=[
                ("files", ("astronaut.jpg", jpeg(astronaut), "image/jpeg")),
                ("files", ("coffee.jpg", jpeg(coffee), "image/jpeg")),
            ],
        )
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]
        assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "pending"

        worker = Process(
            ["worker", "--concurrency", "2"],
            argus_env(data_dir, ARGUS_JOBS__EXECUTOR="celery", ARGUS_JOBS__BROKER_URL=broker),
            tmp_path / "worker.log",
        )
        try:

            def finished() -> dict[str, Any] | None:
                assert worker.alive(), f"argus worker exited:\n{worker.output()}"
                body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
                return None if body["status"] in ("pending", "running") else body

            body = wait_until(finished, "the worker to finish the job", timeout_s=60)
        finally:
            worker.stop()

    assert body["status"] == "completed", body
    outputs = [item["output"] for item in body["items"]]
    assert [len(o["detections"]) for o in outputs] == [1, 0]
    job = read_job(data_dir, job_id)
    assert job is not None
    assert job.worker is not None
    assert job.worker.startswith("celery@"), "run by the worker process, not the server"


@pytest.mark.slow
def test_a_warm_worker_shutdown_hands_the_job_to_the_next_worker(
    broker: str, tmp_path: Path, astronaut: npt.NDArray[np.uint8]
) -> None:
    data_dir = tmp_path / "data"
    env = argus_env(data_dir, ARGUS_JOBS__EXECUTOR="celery", ARGUS_JOBS__BROKER_URL=broker)
    items = 4  # dlib-cnn-face: ~2 s each
    with TestClient(create_app(_celery_settings(data_dir, broker))) as client:
        resp = client.post(
            "/api/v1/jobs",
            data={"kind": "detect", "options": '{"model": "dlib-cnn-face"}'},
            files=[("files", (f"{i}.jpg", jpeg(astronaut), "image/jpeg")) for i in range(items)],
        )
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]

        def progress() -> int:
            done: int = client.get(f"/api/v1/jobs/{job_id}").json()["progress"]["done"]
            return done

        first = Process(["worker", "--concurrency", "1"], env, tmp_path / "worker-1.log")
        try:
            wait_until(lambda: progress() >= 1, "the first item", timeout_s=60, every_s=0.05)
            first.proc.terminate()  # SIGTERM: Celery's warm shutdown
            first.proc.wait(timeout=30)
        finally:
            first.stop()
        stopped = read_job(data_dir, job_id)
        assert stopped is not None
        assert stopped.status == "pending", first.output()
        done_before = {i.index: i.finished_at for i in stopped.items if i.status == "completed"}
        assert 1 <= len(done_before) < items

        def completed() -> dict[str, Any] | None:
            body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
            return body if body["status"] == "completed" else None

        second = Process(["worker", "--concurrency", "1"], env, tmp_path / "worker-2.log")
        try:
            body = wait_until(completed, "the second worker to finish the job", timeout_s=60)
        finally:
            second.stop()

    assert [len(item["output"]["detections"]) for item in body["items"]] == [1] * items
    job = read_job(data_dir, job_id)
    assert job is not None
    assert job.attempts == 2
    for index, finished_at in done_before.items():
        assert job.items[index].finished_at == finished_at, "not redone by the second worker"


def test_unreachable_broker_is_a_503_that_keeps_nothing_and_health_says_so(
    tmp_path: Path, astronaut: npt.NDArray[np.uint8]
) -> None:
    settings = _celery_settings(tmp_path / "data", "redis://127.0.0.1:1/0")
    with TestClient(create_app(settings)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "broker" in health.json()["failing"]
        resp = client.post(
            "/api/v1/jobs",
            data={"kind": "detect"},
            files=[("files", ("astronaut.jpg", jpeg(astronaut), "image/jpeg"))],
        )
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "service_unavailable"
        assert "broker" in resp.json()["error"]["message"]
        assert client.get("/api/v1/jobs").json()["jobs"] == [], "no job row left behind"
        left = list(settings.blobs_dir.rglob("*")) if settings.blobs_dir.exists() else []
        assert [p for p in left if p.is_file()] == [], "no input left on disk"


def test_health_is_ok_while_the_broker_answers(broker: str, tmp_path: Path) -> None:
    with TestClient(create_app(_celery_settings(tmp_path / "data", broker))) as client:
        assert client.get("/health").json() == {"status": "ok"}
