"""`JobService`: what the server holds on ``app.state.jobs`` — the executor chosen by
``jobs.executor``, the blob store, the kinds registry, the job sweep and the periodic clean-up.

:meth:`JobService.create` validates a kind's options, stores the inputs in the blob store,
records the job and submits it; the HTTP route returns 202 only after all of that, and a
submission the executor refuses (the broker is down: 503) leaves neither a row nor a file. The
sweep (:mod:`argus.jobs.sweep`) runs every ``jobs.sweep_interval_s`` seconds. The clean-up task
removes finished jobs (rows and files) older than ``blobs.ttl_h`` every
``blobs.cleanup_interval_s`` seconds. :meth:`JobService.health` names a broker that does not
answer (Celery mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from argus.config import Settings
from argus.config.units import bytes_to_mb
from argus.errors import ArgusError, JobFinished, NotFound, PayloadTooLarge
from argus.jobs import webhook
from argus.jobs.broker import BrokerCheck
from argus.jobs.keeper import LeaseKeeper
from argus.jobs.local import LocalExecutor
from argus.jobs.registry import Registry
from argus.jobs.runner import JobContext, JobMetrics, refresh_queue_depth, worker_name
from argus.jobs.sweep import sweep_forever
from argus.models.pool import ModelPool
from argus.store import jobs as job_store
from argus.store.db import Database
from argus.store.files import BlobStore, LocalBlobStore, cleanup_expired, safe_name
from argus.store.tables import Job

log = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs submitted jobs somewhere; both executors implement it."""

    name: str

    async def start(self) -> None: ...

    async def submit(self, job_id: str) -> None: ...

    async def stop(self) -> None: ...

    def running(self) -> int:
        """Jobs this process is running now."""
        ...


class Upload(Protocol):
    """One input file of a new job as the client sent it (FastAPI's ``UploadFile`` is one)."""

    @property
    def filename(self) -> str | None: ...

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class BytesUpload:
    """An :class:`Upload` already in memory (tests, the CLI)."""

    filename: str | None
    data: bytes

    async def read(self, size: int = -1) -> bytes:
        return self.data if size < 0 else self.data[:size]


def make_executor(ctx: JobContext) -> Executor:
    """The executor ``jobs.executor`` names (Celery is imported only when chosen)."""
    if ctx.settings.jobs.executor == "celery":
        from argus.jobs.celery_app import CeleryExecutor

        return CeleryExecutor(ctx)
    return LocalExecutor(ctx, workers=ctx.settings.jobs.workers)


class JobService:
    def __init__(
        self,
        settings: Settings,
        *,
        db: Database,
        pool: ModelPool,
        registry: Registry,
        metrics: JobMetrics | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.settings = settings
        self.ctx = JobContext(
            settings=settings,
            db=db,
            pool=pool,
            blobs=blobs if blobs is not None else LocalBlobStore.from_settings(settings),
            registry=registry,
            metrics=metrics,
            worker=worker_name(settings.jobs.executor),
            keeper=LeaseKeeper(settings.resolved_database_url, settings.jobs.lease_s),
        )
        self.executor = make_executor(self.ctx)
        self.broker = BrokerCheck(settings) if settings.jobs.executor == "celery" else None
        self._cleaner: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def blobs(self) -> BlobStore:
        return self.ctx.blobs

    @property
    def registry(self) -> Registry:
        return self.ctx.registry

    async def start(self) -> None:
        """Start the executor (which resumes unfinished jobs), the sweep and the clean-up."""
        self._stopping.clear()
        await self.executor.start()
        await refresh_queue_depth(self.ctx)
        self._sweeper = asyncio.create_task(
            sweep_forever(self.ctx, self.executor.submit, self._stopping), name="argus-job-sweep"
        )
        if self.settings.blobs.cleanup_interval_s > 0:
            self._cleaner = asyncio.create_task(self._cleanup_loop(), name="argus-blob-cleanup")
        log.info("jobs: %s executor started", self.executor.name)

    async def stop(self) -> None:
        self._stopping.set()
        if self._sweeper is not None:
            try:  # a sleeping sweep wakes up and returns; a running one finishes its round
                await asyncio.wait_for(self._sweeper, timeout=30)
            except TimeoutError:
                log.warning("job sweep did not stop within 30 s; cancelled")
            self._sweeper = None
        if self._cleaner is not None:
            # Not cancelled mid-query (that would drop a database connection on the floor):
            # a running clean-up finishes, a sleeping one wakes up and returns.
            try:
                await asyncio.wait_for(self._cleaner, timeout=30)
            except TimeoutError:
                log.warning("blob clean-up did not stop within 30 s; cancelled")
            self._cleaner = None
        await self.executor.stop()
        if self.ctx.keeper is not None:
            await asyncio.to_thread(self.ctx.keeper.close)

    async def create(
        self,
        *,
        tenant: str,
        kind: str,
        uploads: Sequence[Upload],
        options: Mapping[str, Any] | None = None,
        webhook_url: str | None = None,
        max_bytes: int | None = None,
    ) -> Job:
        """Validate, store the inputs (one at a time; PayloadTooLarge past ``max_bytes``),
        record the job and submit it. Nothing is kept when any step fails, the submit included
        (ServiceUnavailable when the broker is down: the client still has its files)."""
        job_kind = self.registry.get(kind)
        checked = await asyncio.to_thread(job_kind.validate, dict(options or {}), self.ctx.pool)
        if webhook_url:
            await webhook.check(webhook_url, self.settings.jobs)
        job_id = str(uuid.uuid4())
        items: list[job_store.ItemInput] = []
        try:
            for upload in uploads:
                data = (
                    await upload.read() if max_bytes is None else await upload.read(max_bytes + 1)
                )
                if max_bytes is not None and len(data) > max_bytes:
                    raise PayloadTooLarge(
                        f"{safe_name(upload.filename)}: more than {max_bytes} bytes "
                        f"({bytes_to_mb(max_bytes):g} MiB)"
                    )
                key = await self.blobs.put(job_id, "input", upload.filename, data)
                items.append(job_store.ItemInput(name=safe_name(upload.filename), path=key))
            job = await job_store.create(
                self.ctx.db,
                tenant=tenant,
                kind=job_kind.name,
                items=items,
                options=checked,
                webhook_url=webhook_url,
                job_id=job_id,
            )
        except BaseException:
            await self.blobs.delete_job(job_id)
            raise
        try:
            await self.executor.submit(job.id)
        except BaseException as exc:
            # Refused: nothing stays behind. (Had the message gone out after all, its worker
            # finds no job and drops it.)
            await job_store.delete_job(self.ctx.db, job_id=job.id)
            await self.blobs.delete_job(job_id)
            if isinstance(exc, ArgusError):
                log.warning("job submission refused, nothing kept: %s", exc.message)
            raise
        await refresh_queue_depth(self.ctx)
        return job

    async def health(self) -> dict[str, str]:
        """Failing job components by name: ``broker`` when Celery's broker does not answer."""
        if self.broker is None:
            return {}
        error = await self.broker.error()
        return {} if error is None else {"broker": error}

    async def cancel(self, *, job_id: str, tenant: str | None) -> Job:
        """Cancel an unfinished job; NotFound (another tenant's too) or JobFinished."""
        if not await job_store.cancel(self.ctx.db, job_id=job_id, tenant=tenant):
            job = await job_store.get(self.ctx.db, job_id=job_id, tenant=tenant)
            if job is None:
                raise NotFound(f"no job {job_id!r}")
            raise JobFinished(f"job {job_id} already ended ({job.status}); nothing to cancel")
        job = await job_store.get(self.ctx.db, job_id=job_id, tenant=tenant)
        if job is None:  # pruned in between
            raise NotFound(f"no job {job_id!r}")
        await refresh_queue_depth(self.ctx)
        return job

    async def cleanup(self, now: datetime | None = None) -> list[str]:
        """Remove the jobs expired at ``now`` (default: the current time), rows and files;
        their ids."""
        return await cleanup_expired(
            self.ctx.db, self.blobs, ttl_s=self.settings.blobs.ttl_h * 3600.0, now=now
        )

    async def _cleanup_loop(self) -> None:
        interval = self.settings.blobs.cleanup_interval_s
        while not self._stopping.is_set():
            try:
                await self.cleanup()
            except Exception:
                log.exception("blob clean-up failed; trying again in %s s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=interval)
