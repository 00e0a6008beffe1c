"""The sweep's outbox on a real SQLite database: pending jobs whose message is old are sent
again, fresh ones are not, and a send the broker refused is tried again at the next round."""

from __future__ import annotations

import asyncio

from jobs_support import job_context

from argus.config import JobSettings, Settings
from argus.errors import ServiceUnavailable
from argus.jobs.sweep import sweep
from argus.store import jobs as job_store


def test_the_outbox_resends_pending_jobs_with_no_recent_message(settings: Settings) -> None:
    settings = settings.model_copy(update={"jobs": JobSettings(resend_after_s=60)})
    sent: list[str] = []
    broker_up = False

    async def submit(job_id: str) -> None:
        if not broker_up:
            raise ServiceUnavailable("the job broker cannot be reached")
        sent.append(job_id)

    async def body() -> None:
        nonlocal broker_up
        async with job_context(settings) as ctx:
            job = await job_store.create(ctx.db, tenant="t", kind="detect")
            assert await sweep(ctx, submit) == [], "just sent when created"
            # Its message was lost (Redis restarted without persistence): a minute later...
            assert await sweep(ctx, submit, resend_after_s=0) == [], "broker still down"
            assert sent == []
            broker_up = True
            assert await sweep(ctx, submit, resend_after_s=0) == [job.id]
            assert sent == [job.id]
            assert await sweep(ctx, submit) == [], "sent again just now: not resent"
            await job_store.cancel(ctx.db, job_id=job.id, tenant=None)
            assert await sweep(ctx, submit, resend_after_s=0) == [], "only pending jobs"

    asyncio.run(body())
