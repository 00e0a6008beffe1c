"""The one function that runs a job, shared by every executor.

:func:`run_job` claims the job for ``jobs.lease_s`` seconds (the claim is atomic in the
database, so two executors never hold the same job), keeps the lease alive with a heartbeat
every ``lease_s / 3`` seconds (from the context's lease keeper process when it has one, which a
model holding the GIL cannot starve; in the process otherwise), skips items that already finished
(a resumed job does not redo them), marks each remaining item running then completed or failed,
re-reads the job between items so a cancellation stops it, finishes it, counts the outcome and
calls the webhook. Every write carries the claim's attempt number, so once the lease is lost
(the heartbeat could not renew it, or someone took the job back) this runner's writes are
refused and it stops without touching the job. Each item's handler runs in a worker thread
(models block). If the executor asks it to stop (shutdown) or the task is cancelled, the job is
put back to ``pending``. Recovery of jobs whose runner died lives in :mod:`argus.jobs.sweep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from argus.config import Settings
from argus.errors import ArgusError, Interrupted, InvalidInput
from argus.jobs import webhook
from argus.jobs.keeper import LeaseKeeper
from argus.jobs.registry import ItemContext, JobInput, Registry
from argus.models.pool import ModelPool
from argus.plainwords import describe, kind
from argus.store import jobs as job_store
from argus.store.db import Database
from argus.store.files import BlobStore, split_key
from argus.store.tables import Job, JobItem, JobStatus

log = logging.getLogger(__name__)


class JobMetrics(Protocol):
    """The part of the app's metrics the runner updates."""

    jobs: Counter
    queue_depth: Gauge


@dataclass
class JobContext:
    """Everything a runner needs, built once per process (server or Celery worker)."""

    settings: Settings
    db: Database
    pool: ModelPool
    blobs: BlobStore
    registry: Registry
    metrics: JobMetrics | None = None
    worker: str = field(default_factory=lambda: worker_name("local"))
    #: Renews leases from a process of its own (see :mod:`argus.jobs.keeper`); without one the
    #: in-process heartbeat alone does, which a model call holding the GIL can starve.
    keeper: LeaseKeeper | None = None


def worker_name(executor: str) -> str:
    """``<executor>@<host>:<pid>``: who runs a job, as recorded in ``jobs.worker`` (for people
    to read: ownership is the lease, never this name)."""
    return f"{executor}@{socket.gethostname()}:{os.getpid()}"


def _never() -> bool:
    return False


def _jsonable(value: Any) -> Any:
    """The handler's output as plain JSON data (numpy scalars and arrays converted)."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    return json.loads(json.dumps(value, default=default, allow_nan=False))


class _Lost(Exception):
    """This runner's attempt no longer holds the job."""


async def run_job(
    ctx: JobContext, job_id: str, *, should_stop: Callable[[], bool] = _never
) -> str | None:
    """Run the job if it can be claimed; its final status, or None when another worker has it,
    it is not pending, this runner lost its lease midway, or it was interrupted by
    ``should_stop`` (then it is pending again)."""
    lease_s = ctx.settings.jobs.lease_s
    job = await job_store.claim(ctx.db, job_id=job_id, worker=ctx.worker, lease_s=lease_s)
    if job is None:
        log.debug("job %s not claimed (taken, finished or cancelled)", job_id)
        return None
    attempt = job.attempts
    log.info(
        "job %s (%s, %d items) attempt %d started by %s",
        job.id,
        job.kind,
        len(job.items),
        attempt,
        ctx.worker,
    )
    lost = asyncio.Event()
    heartbeat = asyncio.create_task(
        _heartbeat(ctx, job_id, attempt, lost), name=f"argus-heartbeat-{job_id}"
    )
    if ctx.keeper is not None:
        if not ctx.keeper.ready:  # the first job of this process: no item runs before it is
            await asyncio.to_thread(ctx.keeper.start)
        await asyncio.to_thread(ctx.keeper.hold, job_id, attempt)
    try:
        status = await _run_items(ctx, job, attempt, should_stop, lost)
    except _Lost:
        log.warning("job %s: attempt %d lost its lease; left to its new holder", job_id, attempt)
        return None
    except asyncio.CancelledError:
        await job_store.requeue(ctx.db, job_id=job_id, attempt=attempt)
        log.info("job %s interrupted mid-item: pending again", job_id)
        raise
    except Exception as exc:
        log.exception("job %s: runner failed", job_id)
        status = await job_store.finish(
            ctx.db,
            job_id=job_id,
            attempt=attempt,
            error=f"internal error: {kind(exc)}: {describe(exc)}",
        )
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        if ctx.keeper is not None:
            ctx.keeper.drop(job_id)
    if status is None:
        if await job_store.requeue(ctx.db, job_id=job_id, attempt=attempt):
            log.info("job %s stopped between items: pending again", job_id)
        return None
    await after_finish(ctx, job_id)
    return status


async def _heartbeat(ctx: JobContext, job_id: str, attempt: int, lost: asyncio.Event) -> None:
    """Every ``lease_s / 3`` seconds until cancelled or the job is lost: renew the lease, or,
    once a keeper process renews it, only look whether the attempt still holds the job.

    With a keeper this process writes nothing on a timer: a write transaction left open while a
    model holds the GIL would keep the row (or SQLite's write lock) from the keeper's renewal.
    """
    lease_s = ctx.settings.jobs.lease_s
    while True:
        await asyncio.sleep(lease_s / 3)
        try:
            keeper_ready = ctx.keeper is not None and ctx.keeper.ready
            if not keeper_ready and await job_store.renew(
                ctx.db, job_id=job_id, attempt=attempt, lease_s=lease_s
            ):
                continue
            state = await job_store.holder(ctx.db, job_id=job_id)
        except Exception:
            log.exception("job %s: lease check failed; trying again", job_id)
            continue
        if state == (JobStatus.RUNNING.value, attempt):
            continue
        if state is None or state[0] != JobStatus.CANCELLED.value:
            lost.set()  # a cancel is seen between items, and ends the job properly
        return


async def _still_ours(ctx: JobContext, job_id: str, attempt: int, lost: asyncio.Event) -> bool:
    """True while ``attempt`` holds the job; False once it was cancelled; _Lost otherwise."""
    if lost.is_set():
        raise _Lost
    state = await job_store.holder(ctx.db, job_id=job_id)
    if state is not None and state == (JobStatus.RUNNING.value, attempt):
        return True
    if state is not None and state[0] == JobStatus.CANCELLED.value:
        return False
    raise _Lost


async def _run_items(
    ctx: JobContext,
    job: Job,
    attempt: int,
    should_stop: Callable[[], bool],
    lost: asyncio.Event,
) -> str | None:
    try:
        kind = ctx.registry.get(job.kind)
    except ArgusError as exc:
        return await job_store.finish(ctx.db, job_id=job.id, attempt=attempt, error=exc.message)
    loop = asyncio.get_running_loop()

    def save(name: str, data: bytes) -> str:  # called from the handler's thread
        future = asyncio.run_coroutine_threadsafe(ctx.blobs.put(job.id, "output", name, data), loop)
        return split_key(future.result())[2]

    item_ctx = ItemContext(settings=ctx.settings, pool=ctx.pool, job_id=job.id, save=save)
    for item in job.items:
        if item.status != JobStatus.PENDING.value:
            continue  # finished before an interruption: never redone
        if should_stop():
            return None
        if not await _still_ours(ctx, job.id, attempt, lost):
            break  # cancelled: finish() below keeps the cancelled status
        if not await job_store.mark_item_running(
            ctx.db, job_id=job.id, index=item.index, attempt=attempt
        ):
            await _still_ours(ctx, job.id, attempt, lost)
            continue
        signals = _ItemSignals(ctx, job.id, item.index, attempt, loop, should_stop)
        one = replace(item_ctx, progress=signals.progress, stopped=signals.stopped)
        if not await _run_item(ctx, job, attempt, item, kind.handler, one):
            if should_stop():
                return None  # the item is requeued with its job
            break  # cancelled: the item is cancelled already; finish() keeps the status
    status = await job_store.finish(ctx.db, job_id=job.id, attempt=attempt)
    if status is None:
        await _still_ours(ctx, job.id, attempt, lost)
        log.error("job %s: items left unfinished by attempt %d; requeued", job.id, attempt)
    return status


class _ItemSignals:
    """A running item's progress writes and stop checks, called from its handler's thread;
    each reaches the database at most once per ``interval_s`` (the last frame always)."""

    def __init__(
        self,
        ctx: JobContext,
        job_id: str,
        index: int,
        attempt: int,
        loop: asyncio.AbstractEventLoop,
        should_stop: Callable[[], bool],
        interval_s: float = 0.5,
    ) -> None:
        self.ctx, self.job_id, self.index, self.loop = ctx, job_id, index, loop
        self.attempt = attempt
        self.should_stop = should_stop
        self.interval_s = interval_s
        self._written = self._checked = float("-inf")
        self._cancelled = False

    def progress(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._written < self.interval_s and (total is None or done < total):
            return
        self._written = now
        write = job_store.set_item_progress(
            self.ctx.db,
            job_id=self.job_id,
            index=self.index,
            done=done,
            total=total,
            attempt=self.attempt,
        )
        asyncio.run_coroutine_threadsafe(write, self.loop).result()

    def stopped(self) -> bool:
        if self.should_stop():
            return True
        now = time.monotonic()
        if now - self._checked >= self.interval_s:
            self._checked = now
            read = job_store.status_of(self.ctx.db, job_id=self.job_id)
            status = asyncio.run_coroutine_threadsafe(read, self.loop).result()
            self._cancelled = status != JobStatus.RUNNING.value
        return self._cancelled


async def _run_item(
    ctx: JobContext,
    job: Job,
    attempt: int,
    item: JobItem,
    handler: Callable[[ItemContext, JobInput, Mapping[str, Any]], Any],
    item_ctx: ItemContext,
) -> bool:
    """Run one item and record its outcome; False when it stopped early (Interrupted)."""
    try:
        if item.input_path is None:
            raise InvalidInput("this item has no stored input")
        data = await ctx.blobs.read(item.input_path)
        item_input = JobInput(job_id=job.id, index=item.index, name=item.input_name, data=data)

        def call() -> Any:
            return _jsonable(handler(item_ctx, item_input, job.options))

        output = await asyncio.to_thread(call)
    except Interrupted:
        log.info("job %s item %d (%s) stopped early", job.id, item.index, item.input_name)
        return False
    except ArgusError as exc:
        written = await job_store.mark_item_failed(
            ctx.db, job_id=job.id, index=item.index, error=exc.message, attempt=attempt
        )
    except Exception as exc:
        log.exception("job %s item %d (%s) failed", job.id, item.index, item.input_name)
        error = f"internal error: {kind(exc)}: {describe(exc)}"
        written = await job_store.mark_item_failed(
            ctx.db, job_id=job.id, index=item.index, error=error, attempt=attempt
        )
    else:
        written = await job_store.mark_item_completed(
            ctx.db, job_id=job.id, index=item.index, output=output, attempt=attempt
        )
    if not written:
        log.warning(
            "job %s item %d: outcome of attempt %d refused (the job moved on)",
            job.id,
            item.index,
            attempt,
        )
    return True


async def refresh_queue_depth(ctx: JobContext) -> None:
    """Set the queue-depth gauge from the jobs table (pending jobs)."""
    if ctx.metrics is None:
        return
    counts = await job_store.count_by_status(ctx.db)
    ctx.metrics.queue_depth.set(counts[JobStatus.PENDING.value])


async def after_finish(ctx: JobContext, job_id: str) -> None:
    """Count the outcome and call the webhook of a job that just ended."""
    job = await job_store.get(ctx.db, job_id=job_id, tenant=None)
    if job is None:
        return
    log.info("job %s %s (%d/%d)", job.id, job.status, job.progress_done, job.progress_total)
    if ctx.metrics is not None:
        ctx.metrics.jobs.labels(kind=job.kind, outcome=job.status).inc()
        await refresh_queue_depth(ctx)
    if job.webhook_url:
        await webhook.send(job.webhook_url, webhook.payload(job), settings=ctx.settings.jobs)
    hook = ctx.registry.get(job.kind).on_finish if job.kind in ctx.registry.names() else None
    if hook is not None:
        try:
            await hook(ctx.settings, ctx.blobs, job)
        except Exception:
            log.exception("job %s: the %s kind's on_finish hook failed", job.id, job.kind)
