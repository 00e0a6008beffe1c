"""The runner and crash recovery on a real SQLite database, blob store and models: resumed jobs
skip finished items, jobs with a live lease are left alone whatever their worker's name,
repeated crashes give up, two runners never share a job, a runner that lost its job neither
writes to it nor ends it, a clean shutdown puts the job back in line."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from jobs_support import dead_pid, job_context

from argus.compose.kinds import builtin_kinds
from argus.config import JobSettings, Settings
from argus.jobs.local import LocalExecutor
from argus.jobs.registry import ItemContext, JobInput, JobKind, Registry
from argus.jobs.runner import JobContext, run_job
from argus.jobs.sweep import recover, sweep
from argus.store import jobs as job_store
from argus.store.tables import Job, utcnow
from support.images import jpeg

RGB = npt.NDArray[np.uint8]
HOST = socket.gethostname()


async def _detect_job(ctx: JobContext, photos: list[tuple[str, bytes]], **kwargs: Any) -> str:
    job_id = f"job-{len(photos)}-{os.urandom(4).hex()}"
    items = [
        job_store.ItemInput(name=name, path=await ctx.blobs.put(job_id, "input", name, data))
        for name, data in photos
    ]
    job = await job_store.create(
        ctx.db, tenant="t", kind="detect", items=items, job_id=job_id, **kwargs
    )
    return job.id


async def _collect(ids: list[str], job_id: str) -> None:
    ids.append(job_id)


def test_a_crashed_job_resumes_without_redoing_finished_items(
    settings: Settings, astronaut: RGB, coffee: RGB
) -> None:
    async def body() -> None:
        async with job_context(settings) as ctx:
            photos = [
                ("a.jpg", jpeg(astronaut)),
                ("c.jpg", jpeg(coffee)),
                ("b.jpg", jpeg(astronaut)),
            ]
            job_id = await _detect_job(ctx, photos)
            # What a process killed while on item 1 leaves behind, once its lease has lapsed:
            gone = f"local@{HOST}:{dead_pid()}"
            claimed = await job_store.claim(ctx.db, job_id=job_id, worker=gone, lease_s=0.0)
            assert claimed is not None
            await job_store.mark_item_running(ctx.db, job_id=job_id, index=0)
            marker = {"detections": [], "from": "the first run"}
            await job_store.mark_item_completed(ctx.db, job_id=job_id, index=0, output=marker)
            await job_store.mark_item_running(ctx.db, job_id=job_id, index=1)
            before = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert before is not None

            submitted: list[str] = []
            assert await recover(ctx, lambda j: _collect(submitted, j)) == [job_id]
            assert submitted == [job_id]
            requeued = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert requeued is not None
            assert requeued.status == "pending"
            assert [i.status for i in requeued.items] == ["completed", "pending", "pending"]

            assert await run_job(ctx, job_id) == "completed"
            after = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert after is not None
            assert after.attempts == 2
            assert after.progress_done == 3
            assert after.items[0].output == marker, "item 0 was not run again"
            assert after.items[0].finished_at == before.items[0].finished_at
            assert [len(i.output["detections"]) for i in after.items[1:]] == [0, 1]

    asyncio.run(body())


def test_jobs_with_a_live_lease_are_left_alone_whatever_the_name(
    settings: Settings, coffee: RGB
) -> None:
    async def body() -> None:
        async with job_context(settings) as ctx:
            # A dead pid of this very host, or this process's own name (containers sharing a
            # name, pid 1 everywhere): no longer a reason to take a job whose lease is alive.
            names = [f"local@{HOST}:{dead_pid()}", ctx.worker, "celery@other.example:7"]
            running = [await _detect_job(ctx, [("c.jpg", jpeg(coffee))]) for _ in names]
            waiting = await _detect_job(ctx, [("c.jpg", jpeg(coffee))])
            for job_id, name in zip(running, names, strict=True):
                assert await job_store.claim(ctx.db, job_id=job_id, worker=name, lease_s=60)
            submitted: list[str] = []
            await recover(ctx, lambda j: _collect(submitted, j))
            assert submitted == [waiting]
            for job_id in running:
                assert await job_store.status_of(ctx.db, job_id=job_id) == "running"
                assert await run_job(ctx, job_id) is None, "nor claimed by a redelivery"

    asyncio.run(body())


def test_a_job_interrupted_again_after_max_attempts_resumes_is_failed(
    settings: Settings, coffee: RGB
) -> None:
    settings = settings.model_copy(update={"jobs": JobSettings(max_attempts=1)})

    async def body() -> None:
        async with job_context(settings) as ctx:
            job_id = await _detect_job(ctx, [("c.jpg", jpeg(coffee)), ("d.jpg", jpeg(coffee))])
            submitted: list[str] = []

            async def start_and_crash() -> list[str]:
                await job_store.claim(ctx.db, job_id=job_id, worker="w@gone:1", lease_s=0.0)
                await job_store.mark_item_running(ctx.db, job_id=job_id, index=0)
                return await recover(ctx, lambda j: _collect(submitted, j))

            assert await start_and_crash() == [job_id], "one resume is allowed"
            assert await start_and_crash() == [], "the second interruption is one too many"
            job = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert job is not None
            assert job.status == "failed"
            assert job.error is not None
            assert "interrupted 2 times" in job.error
            assert "lease" in job.error
            assert "max_attempts = 1" in job.error
            assert [i.status for i in job.items] == ["failed", "failed"]
            assert all(i.error and i.error.startswith("not run") for i in job.items)

    asyncio.run(body())


def _counting_registry(calls: list[int], gate: threading.Event | None = None) -> Registry:
    def handler(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> Any:
        calls.append(item.index)
        if gate is not None:
            assert gate.wait(30)
        return {"size": len(item.data)}

    registry = builtin_kinds()
    registry.register(JobKind("count", "Counts calls.", handler, lambda o, p: dict(o)))
    return registry


async def _count_job(ctx: JobContext, n: int) -> str:
    job_id = os.urandom(8).hex()
    items = [
        job_store.ItemInput(name=f"{i}.bin", path=await ctx.blobs.put(job_id, "input", "x", b"x"))
        for i in range(n)
    ]
    await job_store.create(ctx.db, tenant="t", kind="count", items=items, job_id=job_id)
    return job_id


def test_two_runners_never_run_the_same_job(settings: Settings) -> None:
    calls: list[int] = []

    async def body() -> None:
        registry = _counting_registry(calls)
        async with (
            job_context(settings, registry, worker="a@x:1") as a,
            job_context(settings, registry, worker="b@x:2") as b,
        ):
            job_id = await _count_job(a, 4)
            results = await asyncio.gather(*(run_job(c, job_id) for c in (a, b, a, b)))
            assert results.count("completed") == 1
            assert results.count(None) == 3
            assert sorted(calls) == [0, 1, 2, 3], "each item ran exactly once"

    asyncio.run(body())


async def _lapse(ctx: JobContext, job_id: str) -> None:
    """What a frozen worker's job looks like once its lease ran out (its heartbeat stopped)."""
    from datetime import timedelta

    from sqlalchemy import update

    async with ctx.db.session() as session, session.begin():
        await session.execute(
            update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1))
        )


def test_a_runner_that_lost_its_job_neither_writes_to_it_nor_ends_it(settings: Settings) -> None:
    """The same worker name on two runners (containers sharing a host name and pid 1): the
    slow one's job is taken back after its lease lapsed; its late result is refused, it does not
    end the job, and the job completes with every item run by its new holder."""
    calls: list[int] = []
    gate = threading.Event()

    async def body() -> None:
        registry = _counting_registry(calls, gate)
        async with (
            job_context(settings, registry, worker="celery@box:1") as slow,
            job_context(settings, registry, worker="celery@box:1") as fresh,
        ):
            job_id = await _count_job(slow, 3)
            first = asyncio.create_task(run_job(slow, job_id))
            while not calls:  # the slow runner is inside item 0
                await asyncio.sleep(0.01)
            await _lapse(slow, job_id)
            submitted: list[str] = []
            assert await sweep(fresh, lambda j: _collect(submitted, j)) == [job_id]
            assert await job_store.status_of(fresh.db, job_id=job_id) == "pending"
            second = asyncio.create_task(run_job(fresh, job_id))
            gate.set()
            assert await first is None, "the slow runner neither finished nor failed the job"
            assert await second == "completed"
            job = await job_store.get(fresh.db, job_id=job_id, tenant=None)
            assert job is not None
            assert job.attempts == 2
            assert job.progress_done == 3, "each item counted once"
            assert [(i.status, i.attempt) for i in job.items] == [("completed", 2)] * 3
            assert sorted(calls) == [0, 0, 1, 2], "only the item in flight ran twice"

    asyncio.run(body())


def test_the_heartbeat_keeps_the_lease_of_a_long_item(settings: Settings) -> None:
    settings = settings.model_copy(update={"jobs": JobSettings(lease_s=2.0)})

    def slow(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> Any:
        time.sleep(5.0)  # well past the 2 s lease: only the heartbeat keeps the job
        return {"index": item.index}

    registry = builtin_kinds()
    registry.register(JobKind("count", "Slow.", slow, lambda o, p: dict(o)))

    async def body() -> None:
        async with job_context(settings, registry) as ctx:
            job_id = await _count_job(ctx, 1)
            running = asyncio.create_task(run_job(ctx, job_id))
            submitted: list[str] = []
            while not running.done():  # another server sweeping all the while
                await sweep(ctx, lambda j: _collect(submitted, j))
                await asyncio.sleep(0.1)
            assert running.result() == "completed"
            assert submitted == [], "never taken back"
            job = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert job is not None
            assert job.attempts == 1

    asyncio.run(body())


def test_stop_between_items_puts_the_job_back_and_it_resumes(settings: Settings) -> None:
    calls: list[int] = []

    async def body() -> None:
        async with job_context(settings, _counting_registry(calls)) as ctx:
            job_id = await _count_job(ctx, 3)
            assert await run_job(ctx, job_id, should_stop=lambda: len(calls) >= 1) is None
            job = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert job is not None
            assert job.status == "pending"
            assert [i.status for i in job.items] == ["completed", "pending", "pending"]
            assert await run_job(ctx, job_id) == "completed"
            assert calls == [0, 1, 2]

    asyncio.run(body())


def test_local_executor_shutdown_mid_item_leaves_the_job_to_resume(settings: Settings) -> None:
    calls: list[int] = []
    gate = threading.Event()

    async def body() -> None:
        async with job_context(settings, _counting_registry(calls, gate)) as ctx:
            job_id = await _count_job(ctx, 2)
            executor = LocalExecutor(ctx, workers=2, grace_s=0.2)
            await executor.start()
            await executor.submit(job_id)
            while not calls:  # the first item is running
                await asyncio.sleep(0.01)
            await executor.stop()  # the item does not end within the grace period
            job = await job_store.get(ctx.db, job_id=job_id, tenant=None)
            assert job is not None
            assert job.status == "pending"
            assert [i.status for i in job.items] == ["pending", "pending"]
            gate.set()

            restarted = LocalExecutor(ctx, workers=1)
            await restarted.start()  # resumes it
            while await job_store.status_of(ctx.db, job_id=job_id) != "completed":
                await asyncio.sleep(0.01)
            await restarted.stop()
            assert calls == [0, 0, 1], "only the interrupted item ran twice"

    asyncio.run(body())


def test_unknown_kind_and_unreachable_webhook_end_the_job_cleanly(
    settings: Settings, coffee: RGB
) -> None:
    async def body() -> None:
        async with job_context(settings, Registry()) as ctx:
            job = await job_store.create(ctx.db, tenant="t", kind="vanished")
            assert await run_job(ctx, job.id) == "failed"
            failed = await job_store.get(ctx.db, job_id=job.id, tenant=None)
            assert failed is not None
            assert failed.error is not None
            assert "unknown job kind 'vanished'" in failed.error
        async with job_context(settings) as ctx:
            job_id = await _detect_job(
                ctx, [("c.jpg", jpeg(coffee))], webhook_url="http://127.0.0.1:1/hook"
            )
            assert await run_job(ctx, job_id) == "completed"

    asyncio.run(body())


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_finished_jobs_are_not_claimed(settings: Settings, status: str) -> None:
    calls: list[int] = []

    async def body() -> None:
        async with job_context(settings, _counting_registry(calls)) as ctx:
            job_id = await _count_job(ctx, 1)
            if status == "cancelled":
                await job_store.cancel(ctx.db, job_id=job_id, tenant=None)
            else:
                await run_job(ctx, job_id)
            assert await run_job(ctx, job_id) is None
            assert calls == ([0] if status == "completed" else [])

    asyncio.run(body())
