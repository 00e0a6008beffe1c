"""The one function that runs a job, shared by every executor, and crash recovery.

:func:`run_job` claims the job (the claim is atomic in the database, so two executors never run
the same job), skips items that already finished (a resumed job does not redo them), marks each
remaining item running then completed or failed, re-reads the job's status between items so a
cancellation stops it, finishes it, counts the outcome and calls the webhook. Each item's
handler runs in a worker thread (models block). If the executor asks it to stop (shutdown) or the
task is cancelled, the job is put back to ``pending`` for the next start.

:func:`recover` is what an executor does when it starts: jobs left ``running`` by a process that
no longer exists on this machine are requeued (or failed once they have been resumed
``jobs.max_attempts`` times already), and every pending job is submitted again. Claims make that
idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from argus.config import Settings
from argus.errors import ArgusError, Interrupted, InvalidInput
from argus.jobs import webhook
from argus.jobs.registry import ItemContext, JobInput, Registry
from argus.models.pool import ModelPool
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


def worker_name(executor: str) -> str:
    """``<executor>@<host>:<pid>``: who runs a job, as recorded in ``jobs.worker``."""
    return f"{executor}@{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # a zombie is dead, only not yet reaped
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def is_orphaned(worker: str | None) -> bool:
    """Whether a running job's recorded worker is a process of this machine that is gone.

    Call it only before this process claims anything: a recorded pid equal to ours is then a
    previous life of this process (e.g. pid 1 in a restarted container). Jobs of other machines
    are never judged orphaned from here.
    """
    if not worker:
        return True
    host, _, pid = worker.rpartition("@")[2].rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return int(pid) == os.getpid() or not _process_alive(int(pid))


def _never() -> bool:
    return False


def _jsonable(value: Any) -> Any:
    """The handler's output as plain JSON data (numpy scalars and arrays converted)."""

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    return json.loads(json.dumps(value, default=default, allow_nan=False))


async def run_job(
    ctx: JobContext, job_id: str, *, should_stop: Callable[[], bool] = _never
) -> str | None:
    """Run the job if it can be claimed; its final status, or None when another worker has it,
    it is not pending, or it was interrupted by ``should_stop`` (then it is pending again)."""
    job = await job_store.claim(ctx.db, job_id=job_id, worker=ctx.worker)
    if job is None:
        log.debug("job %s not claimed (taken, finished or cancelled)", job_id)
        return None
    log.info("job %s (%s, %d items) started by %s", job.id, job.kind, len(job.items), ctx.worker)
    try:
        status = await _run_items(ctx, job, should_stop)
    except asyncio.CancelledError:
        await job_store.requeue(ctx.db, job_id=job_id)
        log.info("job %s interrupted mid-item: pending again", job_id)
        raise
    except Exception as exc:
        log.exception("job %s: runner failed", job_id)
        status = await job_store.finish(
            ctx.db, job_id=job_id, error=f"internal error: {type(exc).__name__}: {exc}"
        )
    if status is None:
        await job_store.requeue(ctx.db, job_id=job_id)
        log.info("job %s stopped between items: pending again", job_id)
        return None
    await after_finish(ctx, job_id)
    return status


async def _run_items(ctx: JobContext, job: Job, should_stop: Callable[[], bool]) -> str | None:
    try:
        kind = ctx.registry.get(job.kind)
    except ArgusError as exc:
        return await job_store.finish(ctx.db, job_id=job.id, error=exc.message)
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
        if await job_store.status_of(ctx.db, job_id=job.id) != JobStatus.RUNNING.value:
            break  # cancelled: finish() below keeps the cancelled status
        if not await job_store.mark_item_running(ctx.db, job_id=job.id, index=item.index):
            continue
        signals = _ItemSignals(ctx, job.id, item.index, loop, should_stop)
        one = replace(item_ctx, progress=signals.progress, stopped=signals.stopped)
        if not await _run_item(ctx, job, item, kind.handler, one):
            if should_stop():
                return None  # the item is requeued with its job
            break  # cancelled: the item is cancelled already
    return await job_store.finish(ctx.db, job_id=job.id)


class _ItemSignals:
    """A running item's progress writes and stop checks, called from its handler's thread;
    each reaches the database at most once per ``interval_s`` (the last frame always)."""

    def __init__(
        self,
        ctx: JobContext,
        job_id: str,
        index: int,
        loop: asyncio.AbstractEventLoop,
        should_stop: Callable[[], bool],
        interval_s: float = 0.5,
    ) -> None:
        self.ctx, self.job_id, self.index, self.loop = ctx, job_id, index, loop
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
            self.ctx.db, job_id=self.job_id, index=self.index, done=done, total=total
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
        await job_store.mark_item_failed(ctx.db, job_id=job.id, index=item.index, error=exc.message)
        return True
    except Exception as exc:
        log.exception("job %s item %d (%s) failed", job.id, item.index, item.input_name)
        error = f"internal error: {type(exc).__name__}: {exc}"
        await job_store.mark_item_failed(ctx.db, job_id=job.id, index=item.index, error=error)
        return True
    await job_store.mark_item_completed(ctx.db, job_id=job.id, index=item.index, output=output)
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


async def recover(
    ctx: JobContext,
    submit: Callable[[str], Awaitable[None]],
    *,
    resubmit_pending: bool = True,
) -> list[str]:
    """Requeue or fail jobs orphaned by a crash and submit them, and every pending job too
    unless ``resubmit_pending`` is False (a Celery worker: their messages are in the broker
    already); the ids submitted."""
    max_attempts = ctx.settings.jobs.max_attempts
    submitted: list[str] = []
    for job in await job_store.unfinished(ctx.db):
        if job.status == JobStatus.PENDING.value and not resubmit_pending:
            continue
        if job.status == JobStatus.RUNNING.value:
            if not is_orphaned(job.worker):
                log.info("job %s is running on %s: left alone", job.id, job.worker)
                continue
            if job.attempts > max_attempts:
                await _give_up(ctx, job, max_attempts)
                continue
            if not await job_store.requeue(ctx.db, job_id=job.id):
                continue
            log.warning(
                "job %s was interrupted on %s after %d attempt(s): resuming",
                job.id,
                job.worker,
                job.attempts,
            )
        try:
            await submit(job.id)
        except ArgusError as exc:
            log.error("job %s could not be submitted: %s", job.id, exc.message)
            continue
        submitted.append(job.id)
    return submitted


async def _give_up(ctx: JobContext, job: Job, max_attempts: int) -> None:
    reason = (
        f"interrupted {job.attempts} times (the process running it stopped); "
        f"not resumed again (jobs.max_attempts = {max_attempts} resumes)"
    )
    for item in job.items:
        if item.status in (JobStatus.PENDING.value, JobStatus.RUNNING.value):
            await job_store.mark_item_failed(
                ctx.db, job_id=job.id, index=item.index, error=f"not run: job {reason}"
            )
    await job_store.finish(ctx.db, job_id=job.id, error=f"job {reason}")
    log.error("job %s failed: %s", job.id, reason)
    await after_finish(ctx, job.id)
