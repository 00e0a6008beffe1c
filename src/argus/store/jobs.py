"""Jobs and their items: the jobs table is the truth about long work.

A job is created with its items (``pending``), claimed by exactly one worker (``running``),
its items marked one by one, and finished: ``completed`` when any item completed (or there were
none), ``failed`` when none did — seed 002's rule. ``cancel`` stops it from anywhere. After a
crash, ``unfinished`` lists what was pending or running and ``requeue`` puts it back in line.

Claiming is safe with many workers: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL and
MariaDB/MySQL, a conditional ``UPDATE ... WHERE status = 'pending'`` checked by its row count on
SQLite (whose writers are serialised anyway). Reads are tenant-scoped: pass ``tenant=None`` only
from trusted code (workers, the CLI).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from argus.store.db import Database, rowcount
from argus.store.tables import Job, JobItem, JobStatus, utcnow

UNFINISHED = (JobStatus.PENDING.value, JobStatus.RUNNING.value)
_CLAIM_CANDIDATES = 8


@dataclass(frozen=True, slots=True)
class ItemInput:
    """One input of a new job: the name the client gave and where its bytes are kept."""

    name: str
    path: str | None = None


async def _load(session: AsyncSession, job_id: str, tenant: str | None = None) -> Job | None:
    query = select(Job).where(Job.id == job_id).options(selectinload(Job.items))
    if tenant is not None:
        query = query.where(Job.tenant == tenant)
    return await session.scalar(query)


async def create(
    db: Database,
    *,
    tenant: str,
    kind: str,
    items: Sequence[ItemInput] = (),
    options: Mapping[str, Any] | None = None,
    webhook_url: str | None = None,
    job_id: str | None = None,
) -> Job:
    """A new pending job with its items; returns it with ``items`` loaded."""
    now = utcnow()
    job = Job(
        id=job_id or str(uuid.uuid4()),
        tenant=tenant,
        kind=kind,
        status=JobStatus.PENDING.value,
        options=dict(options or {}),
        progress_done=0,
        progress_total=len(items),
        webhook_url=webhook_url,
        attempts=0,
        created_at=now,
        items=[
            JobItem(
                index=index,
                input_name=item.name,
                input_path=item.path,
                status=JobStatus.PENDING.value,
            )
            for index, item in enumerate(items)
        ],
    )
    async with db.session() as session, session.begin():
        session.add(job)
    return job


async def get(db: Database, *, job_id: str, tenant: str | None) -> Job | None:
    """The job with its items; None when it does not exist or belongs to another tenant."""
    async with db.session() as session:
        return await _load(session, job_id, tenant)


async def list_jobs(
    db: Database,
    *,
    tenant: str | None,
    status: str | Sequence[str] | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs newest first, without their items (``get`` one for those)."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if tenant is not None:
        query = query.where(Job.tenant == tenant)
    if isinstance(status, str):
        query = query.where(Job.status == status)
    elif status is not None:
        query = query.where(Job.status.in_(list(status)))
    if kind is not None:
        query = query.where(Job.kind == kind)
    async with db.session() as session:
        return list(await session.scalars(query))


async def count_by_status(db: Database, *, tenant: str | None = None) -> dict[str, int]:
    """How many jobs are in each status (queue depth is ``pending``)."""
    query = select(Job.status, func.count()).group_by(Job.status)
    if tenant is not None:
        query = query.where(Job.tenant == tenant)
    async with db.session() as session:
        counts = {str(status): int(n) for status, n in await session.execute(query)}
    return {s.value: counts.get(s.value, 0) for s in JobStatus}


async def unfinished(db: Database, *, kinds: Sequence[str] | None = None) -> list[Job]:
    """Pending and running jobs of every tenant, oldest first, with items: what to resume."""
    query = (
        select(Job)
        .where(Job.status.in_(UNFINISHED))
        .order_by(Job.created_at, Job.id)
        .options(selectinload(Job.items))
    )
    if kinds is not None:
        query = query.where(Job.kind.in_(list(kinds)))
    async with db.session() as session:
        return list(await session.scalars(query))


def _start_values(worker: str | None) -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING.value,
        "started_at": utcnow(),
        "attempts": Job.attempts + 1,
        "worker": worker,
    }


async def claim(db: Database, *, job_id: str, worker: str | None = None) -> Job | None:
    """Move this pending job to running for ``worker``; None when it is not pending any more."""
    async with db.session() as session:
        async with session.begin():
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.PENDING.value)
                .values(_start_values(worker))
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                return None
        return await _load(session, job_id)


async def claim_next(
    db: Database, *, worker: str | None = None, kinds: Sequence[str] | None = None
) -> Job | None:
    """The oldest pending job, now running for ``worker``; None when nothing is pending.

    Two workers calling this at once never get the same job.
    """
    query = select(Job.id).where(Job.status == JobStatus.PENDING.value)
    if kinds is not None:
        query = query.where(Job.kind.in_(list(kinds)))
    query = query.order_by(Job.created_at, Job.id)
    if db.dialect == "sqlite":
        while True:
            async with db.session() as session:
                candidates = list(await session.scalars(query.limit(_CLAIM_CANDIDATES)))
            if not candidates:
                return None
            for job_id in candidates:
                job = await claim(db, job_id=job_id, worker=worker)
                if job is not None:
                    return job
            # Every candidate was taken by someone else meanwhile: look again.
    async with db.session() as session:
        async with session.begin():
            next_id = await session.scalar(query.limit(1).with_for_update(skip_locked=True))
            if next_id is None:
                return None
            await session.execute(
                update(Job)
                .where(Job.id == next_id)
                .values(_start_values(worker))
                .execution_options(synchronize_session=False)
            )
        return await _load(session, next_id)


async def requeue(db: Database, *, job_id: str) -> bool:
    """Put a running job (and its running items) back to pending, e.g. after a crash."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
            .values(status=JobStatus.PENDING.value, worker=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        await session.execute(
            update(JobItem)
            .where(JobItem.job_id == job_id, JobItem.status == JobStatus.RUNNING.value)
            .values(status=JobStatus.PENDING.value, started_at=None)
            .execution_options(synchronize_session=False)
        )
    return True


async def mark_item_running(db: Database, *, job_id: str, index: int) -> bool:
    """Item ``index`` has started; False when it is not pending."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(JobItem)
            .where(
                JobItem.job_id == job_id,
                JobItem.index == index,
                JobItem.status == JobStatus.PENDING.value,
            )
            .values(status=JobStatus.RUNNING.value, started_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return rowcount(result) == 1


async def _finish_item(db: Database, job_id: str, index: int, values: dict[str, Any]) -> bool:
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(JobItem)
            .where(
                JobItem.job_id == job_id,
                JobItem.index == index,
                JobItem.status.in_(UNFINISHED),
            )
            .values(finished_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(progress_done=Job.progress_done + 1)
            .execution_options(synchronize_session=False)
        )
    return True


async def mark_item_completed(db: Database, *, job_id: str, index: int, output: Any) -> bool:
    """Item ``index`` succeeded with ``output`` (JSON-able); counts towards progress.

    False when the item had already finished (or was cancelled).
    """
    values = {"status": JobStatus.COMPLETED.value, "output": output, "error": None}
    return await _finish_item(db, job_id, index, values)


async def mark_item_failed(db: Database, *, job_id: str, index: int, error: str) -> bool:
    """Item ``index`` failed, saying why; counts towards progress."""
    values = {"status": JobStatus.FAILED.value, "error": error}
    return await _finish_item(db, job_id, index, values)


async def update_progress(
    db: Database, *, job_id: str, done: int, total: int | None = None
) -> None:
    """Set progress directly (for jobs whose work is not one item per input, e.g. frames)."""
    values: dict[str, Any] = {"progress_done": done}
    if total is not None:
        values["progress_total"] = total
    async with db.session() as session, session.begin():
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(values)
            .execution_options(synchronize_session=False)
        )


async def set_item_progress(
    db: Database, *, job_id: str, index: int, done: int, total: int | None
) -> None:
    """A running item's own progress (frames of a video): ``output = {"progress": {done,
    total}}`` until the item finishes and its real output replaces it."""
    async with db.session() as session, session.begin():
        await session.execute(
            update(JobItem)
            .where(
                JobItem.job_id == job_id,
                JobItem.index == index,
                JobItem.status == JobStatus.RUNNING.value,
            )
            .values(output={"progress": {"done": done, "total": total}})
            .execution_options(synchronize_session=False)
        )


async def finish(db: Database, *, job_id: str, error: str | None = None) -> str | None:
    """End a job and return its final status (None when there is no such job).

    With ``error`` the job failed as a whole. Otherwise it is ``completed`` when it has no
    items or any item completed, and ``failed`` when none did. A job already finished (for
    instance cancelled meanwhile) keeps its status.
    """
    async with db.session() as session, session.begin():
        job = await _load(session, job_id)
        if job is None:
            return None
        if job.status not in UNFINISHED:
            return job.status
        statuses = [item.status for item in job.items]
        if error is not None:
            status = JobStatus.FAILED.value
        elif not statuses or JobStatus.COMPLETED.value in statuses:
            status = JobStatus.COMPLETED.value
        else:
            status = JobStatus.FAILED.value
            errors = [item.error for item in job.items if item.error]
            failed = statuses.count(JobStatus.FAILED.value)
            error = f"{failed} of {len(statuses)} items failed"
            if errors:
                error += f"; first error: {errors[0]}"
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status.in_(UNFINISHED))
            .values(status=status, error=error, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:  # cancelled between the read and the write
            current = await session.scalar(select(Job.status).where(Job.id == job_id))
            return current
    return status


async def cancel(db: Database, *, job_id: str, tenant: str | None) -> bool:
    """Cancel a pending or running job and its unfinished items; False when there is no such
    unfinished job (in that tenant). A running worker sees it on its next ``get``."""
    now = utcnow()
    query = update(Job).where(Job.id == job_id, Job.status.in_(UNFINISHED))
    if tenant is not None:
        query = query.where(Job.tenant == tenant)
    async with db.session() as session, session.begin():
        result = await session.execute(
            query.values(status=JobStatus.CANCELLED.value, finished_at=now).execution_options(
                synchronize_session=False
            )
        )
        if rowcount(result) != 1:
            return False
        await session.execute(
            update(JobItem)
            .where(JobItem.job_id == job_id, JobItem.status.in_(UNFINISHED))
            .values(status=JobStatus.CANCELLED.value, finished_at=now)
            .execution_options(synchronize_session=False)
        )
    return True


async def prune(db: Database, *, max_age_s: float, now: datetime | None = None) -> list[str]:
    """Delete finished jobs (and their items) that ended more than ``max_age_s`` ago.

    Returns their ids so the caller can remove their files too.
    """
    cutoff = (now or utcnow()) - timedelta(seconds=max_age_s)
    async with db.session() as session, session.begin():
        ids = list(
            await session.scalars(
                select(Job.id).where(Job.status.not_in(UNFINISHED), Job.finished_at < cutoff)
            )
        )
        if ids:
            # Items first: not every database cascades (SQLite only with foreign keys on).
            await session.execute(
                delete(JobItem)
                .where(JobItem.job_id.in_(ids))
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False)
            )
    return ids


async def status_of(db: Database, *, job_id: str) -> str | None:
    """The job's status alone (cheap enough to ask between items); None when there is no job."""
    async with db.session() as session:
        return await session.scalar(select(Job.status).where(Job.id == job_id))


async def existing_ids(db: Database, *, job_ids: Sequence[str]) -> set[str]:
    """Which of ``job_ids`` have a row (of any tenant, in any status)."""
    found: set[str] = set()
    ids = list(job_ids)
    async with db.session() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found.update(await session.scalars(select(Job.id).where(Job.id.in_(chunk))))
    return found
