"""Recovery without hostnames: the periodic sweep every server and worker runs.

Every ``jobs.sweep_interval_s`` seconds :func:`sweep` does two things, on whichever process runs
it (they may all run it at once: every step is a conditional write, so exactly one of them wins):

- **lapsed leases**: a running job whose holder stopped renewing its lease (killed, frozen,
  cut off from the database) is taken back to ``pending`` and sent again; its finished items are
  kept, its unfinished ones run again under the next attempt. A job that lapsed after
  ``jobs.max_attempts`` resumes is failed instead, saying why.
- **the outbox**: a pending job whose last message is older than ``jobs.resend_after_s`` (lost
  with a broker that had no persistence, or never sent by a server that died between the row and
  the send) is sent again. A duplicate message is harmless: the claim drops it.

:func:`recover` is the same sweep run once at start-up, sending every pending job when the
executor's queue lives in memory (the local executor). Nothing here looks at host names or
process ids, so workers in containers sharing a name or pid are told apart by their leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from argus.errors import ArgusError
from argus.jobs.runner import JobContext, after_finish
from argus.store import jobs as job_store

log = logging.getLogger(__name__)

Submit = Callable[[str], Awaitable[None]]


async def _send(ctx: JobContext, submit: Submit, job_id: str) -> bool:
    try:
        await submit(job_id)
    except ArgusError as exc:
        log.error("job %s could not be sent: %s", job_id, exc.message)
        return False
    await job_store.mark_sent(ctx.db, job_id=job_id)
    return True


async def sweep(
    ctx: JobContext, submit: Submit, *, resend_after_s: float | None = None
) -> list[str]:
    """Take back lapsed jobs, fail those out of attempts, and send them and stale pending jobs
    again (pending jobs last sent more than ``resend_after_s`` ago, ``jobs.resend_after_s`` by
    default, 0 for all); the ids sent."""
    settings = ctx.settings.jobs
    max_attempts = settings.max_attempts
    sent: list[str] = []
    for job_id, attempt in await job_store.lapsed(ctx.db):
        if attempt > max_attempts:
            reason = (
                f"interrupted {attempt} times (the worker running it stopped renewing its "
                f"lease); not resumed again (jobs.max_attempts = {max_attempts} resumes)"
            )
            if await job_store.abandon(
                ctx.db,
                job_id=job_id,
                attempt=attempt,
                error=f"job {reason}",
                item_error=f"not run: job {reason}",
            ):
                log.error("job %s failed: %s", job_id, reason)
                await after_finish(ctx, job_id)
            continue
        if not await job_store.take_back(ctx.db, job_id=job_id, attempt=attempt):
            continue  # renewed, finished or taken back by another sweeper meanwhile
        log.warning("job %s: the lease of attempt %d lapsed; resuming it", job_id, attempt)
        if await _send(ctx, submit, job_id):
            sent.append(job_id)
    older_than = settings.resend_after_s if resend_after_s is None else resend_after_s
    for job_id in await job_store.pending_unsent(ctx.db, older_than_s=older_than):
        if job_id in sent:
            continue
        log.info("job %s pending with no recent message: sending it again", job_id)
        if await _send(ctx, submit, job_id):
            sent.append(job_id)
    return sent


async def recover(ctx: JobContext, submit: Submit, *, resubmit_pending: bool = True) -> list[str]:
    """The start-up sweep: lapsed jobs back in line, and every pending job sent again unless
    ``resubmit_pending`` is False (a Celery worker: the outbox covers lost messages); the ids."""
    return await sweep(ctx, submit, resend_after_s=0.0 if resubmit_pending else None)


async def sweep_forever(ctx: JobContext, submit: Submit, stopping: asyncio.Event) -> None:
    """Run :func:`sweep` every ``jobs.sweep_interval_s`` seconds until ``stopping`` is set;
    a failed round (database or broker down) is logged and the next one tries again."""
    interval = ctx.settings.jobs.sweep_interval_s
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval)
        if stopping.is_set():
            return
        try:
            await sweep(ctx, submit)
        except Exception:
            log.exception("job sweep failed; trying again in %s s", interval)
