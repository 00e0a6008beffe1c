"""The Celery executor: jobs run by ``argus worker`` processes on any machine that shares the
database, the blob store and the broker.

The server's :class:`CeleryExecutor` only sends ``argus.run_job(job_id)`` messages; a worker's
task runs the same :func:`~argus.jobs.runner.run_job` as the local executor. No result backend:
the jobs table is the truth. Messages are acknowledged late with a prefetch of one; recovery
does not depend on them, though: every worker (and server) runs the sweep
(:mod:`argus.jobs.sweep`), which takes back jobs whose lease lapsed and resends pending jobs
whose message is old, and a redelivered message may take over a lapsed lease. The claim in the
database makes duplicates harmless. Broker settings: Redis's visibility timeout is
``jobs.visibility_timeout_s``; a worker that loses its broker keeps running its current jobs
(``worker_cancel_long_running_tasks_on_connection_loss`` off: their writes go to the database,
not the broker) and reconnects for ever; a publish that fails after a few quick retries is a 503.

Workers use Celery's ``threads`` pool. Each worker process keeps one :class:`WorkerRuntime`
(settings, database engine, model pool, blob store, kinds: a :class:`JobContext` built by the
composition root, :func:`argus.compose.services.worker_context`) and one asyncio event loop in a
background thread; task threads hand their job to that loop and wait. Models are therefore loaded
once per process and shared by every task thread (dlib and ONNX Runtime release the GIL while they
compute), and the async database engine stays on the one loop it was created on. The prefork
pool would load every model once per child and need an engine and loop per child after the
fork, for no gain. Run more worker processes (or machines) for more parallelism.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from celery import Celery
from kombu.exceptions import KombuError

from argus.config import Settings
from argus.errors import ServiceUnavailable
from argus.jobs.runner import JobContext, run_job
from argus.jobs.sweep import recover, sweep_forever
from argus.store import jobs as job_store
from argus.store.tables import JobStatus

log = logging.getLogger(__name__)

TASK_NAME = "argus.run_job"
QUEUE = "argus"
T = TypeVar("T")


def make_celery(settings: Settings) -> Any:
    """A Celery app for ``settings.jobs.broker_url`` (not set as Celery's current app)."""
    app = Celery("argus", broker=settings.jobs.broker_url, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        task_default_queue=QUEUE,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_retry=True,
        broker_connection_max_retries=None,  # a worker waits for its broker, however long
        broker_connection_timeout=5,
        broker_transport_options={"visibility_timeout": settings.jobs.visibility_timeout_s},
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
    )
    return app


class CeleryExecutor:
    """Server side: ``submit`` sends the task; start-up recovery sends pending jobs again (the
    service's sweep keeps doing it for stale ones)."""

    name = "celery"

    def __init__(self, ctx: JobContext, app: Any | None = None) -> None:
        self.ctx = ctx
        self.app = app if app is not None else make_celery(ctx.settings)

    async def start(self) -> None:
        await recover(self.ctx, self.submit)

    async def submit(self, job_id: str) -> None:
        await send_or_503(self.ctx.settings, self.app.send_task, job_id)

    async def stop(self) -> None:
        await asyncio.to_thread(self.app.close)

    def running(self) -> int:
        return 0  # jobs run in the Celery workers


async def send_or_503(settings: Settings, send_task: Callable[..., Any], job_id: str) -> None:
    """Publish ``argus.run_job(job_id)`` (in a thread); ServiceUnavailable when it fails."""
    try:
        await asyncio.to_thread(send_task, TASK_NAME, args=[job_id], queue=QUEUE)
    except (KombuError, OSError) as exc:
        raise ServiceUnavailable(
            f"the job broker at {_safe_url(settings)} cannot be reached: {exc}"
        ) from exc


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.jobs.broker_url).render_as_string(hide_password=True)
    except Exception:
        return "the configured broker"


class WorkerRuntime:
    """One worker process's state, built on the first task by ``build`` (the composition
    root's) and kept until the worker stops.

    ``send_task`` (Celery's ``app.send_task``) queues a job again: used by the sweep for jobs
    whose lease lapsed or whose message is stale, and when a warm shutdown (``stopping``)
    interrupts a job between two items.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        send_task: Callable[..., Any],
        build: Callable[[], Awaitable[JobContext]],
    ) -> None:
        self.settings = settings
        self.send_task = send_task
        self._build = build
        self.stopping = threading.Event()
        self._sweep_stop: asyncio.Event | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ctx: JobContext | None = None
        self._ctx_lock: asyncio.Lock | None = None

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runtime's event loop and wait for its result (any thread)."""
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="argus-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            loop = self._loop
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result()

    async def context(self) -> JobContext:
        if self._ctx_lock is None:
            self._ctx_lock = asyncio.Lock()
        async with self._ctx_lock:
            if self._ctx is None:
                self._ctx = await self._build()
                assert self._ctx.keeper is not None
                if not await asyncio.to_thread(self._ctx.keeper.start):
                    log.error("lease keeper not ready: leases rely on the in-process heartbeat")
            return self._ctx

    async def run(self, job_id: str) -> str | None:
        ctx = await self.context()
        status = await run_job(ctx, job_id, should_stop=self.stopping.is_set)
        # Interrupted by a warm shutdown: put the message back for the next worker.
        if (
            status is None
            and self.stopping.is_set()
            and await job_store.status_of(ctx.db, job_id=job_id) == JobStatus.PENDING.value
        ):
            await self.send(job_id)
        return status

    async def send(self, job_id: str) -> None:
        await send_or_503(self.settings, self.send_task, job_id)

    async def start_sweeping(self) -> list[str]:
        """One sweep now (jobs whose lease lapsed while no worker ran), then one every
        ``jobs.sweep_interval_s`` seconds on this runtime's loop; the ids sent now."""
        ctx = await self.context()
        sent = await recover(ctx, self.send, resubmit_pending=False)
        self._sweep_stop = asyncio.Event()
        self._sweeper = asyncio.create_task(
            sweep_forever(ctx, self.send, self._sweep_stop), name="argus-job-sweep"
        )
        return sent

    async def _stop_sweeping(self) -> None:
        if self._sweep_stop is not None and self._sweeper is not None:
            self._sweep_stop.set()
            try:
                await asyncio.wait_for(self._sweeper, timeout=30)
            except TimeoutError:
                log.warning("job sweep did not stop within 30 s; cancelled")
            self._sweeper = None

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.call(self._stop_sweeping())
        ctx = self._ctx
        if ctx is not None:
            self.call(ctx.db.dispose())
            ctx.pool.close()
            if ctx.keeper is not None:
                ctx.keeper.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._ctx = None


def register_task(app: Any, runtime: WorkerRuntime) -> Any:
    """Register ``argus.run_job`` on ``app``, running jobs through ``runtime``."""

    def run_job_task(job_id: str) -> str | None:
        return runtime.call(runtime.run(job_id))

    return app.task(name=TASK_NAME, ignore_result=True, acks_late=True)(run_job_task)


def run_worker(
    settings: Settings,
    *,
    build: Callable[[], Awaitable[JobContext]],
    concurrency: int | None = None,
    loglevel: str = "INFO",
) -> None:
    """Start a Celery worker (threads pool) consuming Argus jobs, with the parts ``build``
    makes on the first task; returns when it stops."""
    from celery.signals import worker_shutting_down

    app = make_celery(settings)
    runtime = WorkerRuntime(settings, send_task=app.send_task, build=build)
    register_task(app, runtime)

    def on_shutdown(**_: Any) -> None:  # warm shutdown: finish the current items, then stop
        runtime.stopping.set()

    worker_shutting_down.connect(on_shutdown, weak=False)
    threads = concurrency if concurrency is not None else settings.jobs.workers
    try:
        # Before consuming: jobs whose lease lapsed go back in line, and the sweep keeps
        # running while the worker does (pending jobs have their message in the broker; the
        # sweep resends those whose message is stale).
        resumed = runtime.call(runtime.start_sweeping())
        if resumed:
            log.info("worker re-sent %d unfinished job(s)", len(resumed))
        app.worker_main(
            [
                "worker",
                "--pool=threads",
                f"--concurrency={max(1, threads)}",
                f"--loglevel={loglevel}",
                f"--hostname=argus-{os.getpid()}@{socket.gethostname()}",
                f"--queues={QUEUE}",
                "--without-gossip",
                "--without-mingle",
            ]
        )
    finally:
        runtime.close()
