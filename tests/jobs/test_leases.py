"""Jobs across machines survive any worker's death: a real `argus serve` in Celery mode, real
`argus worker` processes each under a host name of its own (and pid 1, as in containers), a
`redis-server` of the test's own, and the database (SQLite; PostgreSQL when it answers).

Leases are 6 s and every process sweeps each second, so recovery takes seconds here. What is
checked is what a user sees: every item has its one result, results written before a crash are
kept as they were, a live worker's job is never taken from it, and queued jobs run once Redis
is back, with nothing restarted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from jobs_support import Process, RedisServer, argus_env, can_unshare, free_port, start_server
from sqlalchemy import delete

from argus.store import jobs as job_store
from argus.store.db import Database
from argus.store.tables import Job, JobItem
from support.images import jpeg
from support.servers import postgres_url
from support.waiting import wait_until

CNN = json.dumps({"model": "dlib-cnn-face"})  # ~2 s per photo here: long enough to kill mid-job
UNFINISHED = ("pending", "running")


def _database_url(backend: str, data_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{(data_dir / 'argus.db').resolve()}"
    url = postgres_url()

    async def prepare() -> str | None:
        db = Database(url)
        try:
            problem = await asyncio.wait_for(db.check(), timeout=10)
            if problem is None:
                await db.upgrade()
                async with db.engine.begin() as conn:
                    await conn.execute(delete(JobItem))
                    await conn.execute(delete(Job))
            return problem
        except (OSError, TimeoutError) as exc:
            return str(exc)
        finally:
            await db.dispose()

    problem = asyncio.run(prepare())
    if problem is not None:
        message = f"PostgreSQL at {url} is not reachable: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@dataclass
class Cluster:
    """One server and any number of workers sharing a data dir, a database and a broker."""

    tmp_path: Path
    redis: RedisServer
    database_url: str
    port: int = field(default_factory=free_port)
    processes: list[Process] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.tmp_path / "data"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return argus_env(
            self.data_dir,
            ARGUS_DATABASE_URL=self.database_url,
            ARGUS_DATABASE__AUTO_UPGRADE="true",
            ARGUS_JOBS__EXECUTOR="celery",
            ARGUS_JOBS__BROKER_URL=self.redis.url,
            ARGUS_JOBS__LEASE_S="6",
            ARGUS_JOBS__SWEEP_INTERVAL_S="1",
            ARGUS_JOBS__RESEND_AFTER_S="3",
        )

    def serve(self) -> Process:
        env = {k: v for k, v in self.env().items() if k.startswith("ARGUS_JOBS__")}
        env |= {"ARGUS_DATABASE_URL": self.database_url, "ARGUS_DATABASE__AUTO_UPGRADE": "true"}
        server = start_server(self.data_dir, self.port, self.tmp_path / "serve.log", **env)
        self.processes.append(server)
        return server

    def worker(self, hostname: str, log_name: str | None = None) -> Process:
        """An `argus worker --concurrency 1` as pid 1 under ``hostname``, once it consumes."""
        log = self.tmp_path / f"worker-{log_name or hostname}.log"
        worker = Process(["worker", "--concurrency", "1"], self.env(), log, hostname=hostname)
        self.processes.append(worker)

        def ready() -> bool:
            assert worker.alive(), f"argus worker {hostname} exited:\n{worker.output()}"
            return " ready." in worker.output()

        wait_until(ready, f"worker {hostname} consuming", timeout_s=90)
        return worker

    def submit(self, photos: list[bytes], options: str = CNN) -> str:
        resp = httpx.post(
            f"{self.base}/api/v1/jobs",
            data={"kind": "detect", "options": options},
            files=[("files", (f"{i}.jpg", p, "image/jpeg")) for i, p in enumerate(photos)],
            timeout=30,
        )
        assert resp.status_code == 202, resp.text
        job_id: str = resp.json()["job_id"]
        return job_id

    def status(self, job_id: str) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.base}/api/v1/jobs/{job_id}", timeout=10).json()
        return body

    def job(self, job_id: str) -> Job:
        async def read() -> Job | None:
            db = Database(self.database_url)
            try:
                return await job_store.get(db, job_id=job_id, tenant=None)
            finally:
                await db.dispose()

        job = asyncio.run(read())
        assert job is not None
        return job

    def wait_finished(self, job_ids: list[str], timeout_s: float = 180) -> None:
        def done() -> bool:
            return all(self.status(j)["status"] not in UNFINISHED for j in job_ids)

        try:
            wait_until(done, "the jobs to finish", timeout_s=timeout_s, every_s=0.2)
        except AssertionError:
            logs = "\n\n".join(f"{p.log_path.name}:\n{p.output()}" for p in self.processes)
            raise AssertionError(f"jobs unfinished: {job_ids}\n{logs}") from None

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    if shutil.which("redis-server") is None or not can_unshare():
        reason = "needs redis-server and `unshare` (root) to give workers host names"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    (tmp_path / "data").mkdir()
    url = _database_url(str(request.param), tmp_path / "data")
    redis = RedisServer(tmp_path / "redis")
    cluster = Cluster(tmp_path, redis, url)
    try:
        cluster.serve()
        yield cluster
    finally:
        cluster.stop()
        redis.stop()


def _assert_every_item_has_its_face(job: Job, count: int) -> None:
    assert job.status == "completed", job.error
    assert job.progress_done == count == len(job.items), "each item counted once"
    for item in job.items:
        assert item.status == "completed", (item.index, item.error)
        assert len(item.output["detections"]) == 1, item.output


@pytest.mark.slow
def test_a_killed_worker_s_job_is_finished_by_the_other_worker(
    cluster: Cluster, astronaut: npt.NDArray[np.uint8]
) -> None:
    workers = {"alpha": cluster.worker("alpha"), "beta": cluster.worker("beta")}
    job_id = cluster.submit([jpeg(astronaut)] * 4)
    wait_until(
        lambda: cluster.status(job_id)["progress"]["done"] >= 1, "the first item", timeout_s=120
    )
    before = cluster.job(job_id)
    holder = (before.worker or "").split("@")[1].split(":")[0]
    workers[holder].kill()
    kept = {i.index: i for i in cluster.job(job_id).items if i.status == "completed"}
    assert 1 <= len(kept) < 4

    cluster.wait_finished([job_id])
    after = cluster.job(job_id)
    _assert_every_item_has_its_face(after, 4)
    assert after.attempts == 2, "taken over once, by the live worker"
    (other,) = set(workers) - {holder}
    assert after.worker is not None and f"@{other}:" in after.worker
    for item in after.items:
        if item.index in kept:  # written once, before the crash, and kept as it was
            assert (item.attempt, item.finished_at) == (1, kept[item.index].finished_at)
            assert item.output == kept[item.index].output
        else:
            assert item.attempt == 2


@pytest.mark.slow
def test_with_both_workers_killed_a_new_worker_under_a_new_name_finishes_the_orphans(
    cluster: Cluster, astronaut: npt.NDArray[np.uint8]
) -> None:
    workers = [cluster.worker("alpha"), cluster.worker("beta")]
    job_ids = [cluster.submit([jpeg(astronaut)] * 3) for _ in range(2)]
    wait_until(
        lambda: all(cluster.status(j)["status"] == "running" for j in job_ids),
        "both jobs running",
        timeout_s=120,
    )
    for worker in workers:
        worker.kill()
    assert all(cluster.job(j).status in UNFINISHED for j in job_ids)

    cluster.worker("gamma")
    cluster.wait_finished(job_ids)
    for job_id in job_ids:
        job = cluster.job(job_id)
        _assert_every_item_has_its_face(job, 3)
        assert job.worker is not None and "@gamma:" in job.worker


@pytest.mark.slow
def test_a_worker_under_a_live_worker_s_name_leaves_its_job_alone(
    cluster: Cluster, astronaut: npt.NDArray[np.uint8]
) -> None:
    cluster.worker("alpha", "alpha-1")
    job_id = cluster.submit([jpeg(astronaut)] * 4)
    wait_until(
        lambda: cluster.status(job_id)["progress"]["done"] >= 1, "the first item", timeout_s=120
    )
    # The same host name and the same pid (1): the very same worker name.
    twin = cluster.worker("alpha", "alpha-2")
    cluster.wait_finished([job_id])
    job = cluster.job(job_id)
    _assert_every_item_has_its_face(job, 4)
    assert job.attempts == 1, "never taken from the live worker"
    assert all(item.attempt == 1 for item in job.items)
    assert twin.alive()


@pytest.mark.slow
def test_jobs_queued_when_redis_dies_run_once_it_is_back_with_nothing_restarted(
    cluster: Cluster, astronaut: npt.NDArray[np.uint8], coffee: npt.NDArray[np.uint8]
) -> None:
    server = cluster.processes[0]
    worker = cluster.worker("alpha")
    busy = cluster.submit([jpeg(astronaut)] * 3)  # keeps the one worker thread busy
    wait_until(lambda: cluster.status(busy)["status"] == "running", "the worker busy")
    queued = [cluster.submit([jpeg(coffee)], options="{}") for _ in range(2)]
    assert all(cluster.status(j)["status"] == "pending" for j in queued)

    cluster.redis.kill()  # no persistence: the queued messages are gone with it

    def unhealthy() -> dict[str, Any] | None:
        resp = httpx.get(f"{cluster.base}/health", timeout=10)
        return resp.json() if resp.status_code == 503 else None

    assert "broker" in wait_until(unhealthy, "/health to name the broker", timeout_s=30)["failing"]
    refused = httpx.post(
        f"{cluster.base}/api/v1/jobs",
        data={"kind": "detect"},
        files=[("files", ("refused.jpg", jpeg(coffee), "image/jpeg"))],
        timeout=60,
    )
    assert refused.status_code == 503, refused.text
    listed = httpx.get(f"{cluster.base}/api/v1/jobs?limit=50", timeout=10).json()["jobs"]
    assert sorted(j["job_id"] for j in listed) == sorted([busy, *queued]), "no refused row"
    assert not list(cluster.data_dir.glob("blobs/*/input/refused.jpg")), "no refused file"

    cluster.redis.start()
    cluster.wait_finished([busy, *queued])
    _assert_every_item_has_its_face(cluster.job(busy), 3)
    for job_id in queued:
        job = cluster.job(job_id)
        assert job.status == "completed" and len(job.items) == 1
        assert job.items[0].output["detections"] == [], "no face on the coffee cup"
    assert server.alive() and worker.alive(), "nothing was restarted"
    wait_until(
        lambda: httpx.get(f"{cluster.base}/health", timeout=10).status_code == 200,
        "/health ok again",
        timeout_s=30,
    )
