"""The local executor: ``jobs.workers`` asyncio tasks inside the server process run jobs.

``submit`` puts a job id in an in-memory queue; the jobs table stays the truth, so nothing is
lost with the queue: on start the executor sends itself every pending job and takes back jobs
whose lease lapsed (:func:`argus.jobs.sweep.recover`); the service's periodic sweep does the
same for jobs of a server that died while others run on. On stop it lets running jobs finish
the item they are on for up to ``grace_s`` seconds, then cancels them; either way an unfinished
job goes back to ``pending`` and is resumed at the next start (or by another server's sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from argus.jobs.runner import JobContext, run_job
from argus.jobs.sweep import recover

log = logging.getLogger(__name__)


class LocalExecutor:
    name = "local"

    def __init__(self, ctx: JobContext, *, workers: int, grace_s: float = 5.0) -> None:
        self.ctx = ctx
        self.workers = max(1, workers)
        self.grace_s = grace_s
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._running = 0

    def running(self) -> int:
        return self._running

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._work(), name=f"argus-job-worker-{i}")
            for i in range(self.workers)
        ]
        resumed = await recover(self.ctx, self.submit)
        if resumed:
            log.info("local executor resumed %d unfinished job(s)", len(resumed))

    async def submit(self, job_id: str) -> None:
        self._queue.put_nowait(job_id)

    def _should_stop(self) -> bool:
        return self._stopping

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            if job_id is None or self._stopping:
                return
            self._running += 1
            try:
                await run_job(self.ctx, job_id, should_stop=self._should_stop)
            except Exception:
                log.exception("job %s: executor failed to run it", job_id)
            finally:
                self._running -= 1

    async def stop(self) -> None:
        """Stop taking jobs, give running ones ``grace_s`` to reach an item boundary."""
        self._stopping = True
        for _ in self._tasks:
            self._queue.put_nowait(None)  # wakes idle workers
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=self.grace_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
