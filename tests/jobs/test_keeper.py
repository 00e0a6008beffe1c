"""The lease keeper process keeps a job's lease while its parent cannot run a line of Python
(as under a model call holding the GIL), lets it lapse once dropped, and exits with its parent's
pipe."""

from __future__ import annotations

import asyncio
import time

from jobs_support import job_context

from argus.config import Settings
from argus.jobs.keeper import LeaseKeeper
from argus.store import jobs as job_store
from support.waiting import wait_until


def test_the_keeper_renews_while_the_parent_is_stuck_and_stops_when_told(
    settings: Settings,
) -> None:
    lease_s = 1.5

    async def body() -> None:
        async with job_context(settings) as ctx:
            job = await job_store.create(ctx.db, tenant="t", kind="detect")
            keeper = LeaseKeeper(settings.resolved_database_url, lease_s)
            try:
                assert keeper.start(), "the keeper says it is ready"
                assert await job_store.claim(ctx.db, job_id=job.id, lease_s=lease_s)
                keeper.hold(job.id, 1)
                time.sleep(3 * lease_s)  # this whole process stuck: no heartbeat of its own
                assert await job_store.lapsed(ctx.db) == [], "the keeper renewed the lease"
                keeper.drop(job.id)
                await asyncio.sleep(2 * lease_s)
                assert await job_store.lapsed(ctx.db) == [(job.id, 1)], "dropped: it lapses"
            finally:
                keeper.close()

    asyncio.run(body())


def test_the_keeper_exits_when_its_parent_s_pipe_closes(settings: Settings) -> None:
    keeper = LeaseKeeper(settings.resolved_database_url, 1.0)
    assert keeper.start()
    proc = keeper._proc
    assert proc is not None and proc.stdin is not None
    proc.stdin.close()  # what the kernel does when the parent is killed
    wait_until(lambda: proc.poll() is not None, "the keeper to exit", timeout_s=30)
    assert proc.returncode == 0
    keeper.close()
