"""Jobs and their items: the jobs table is the truth about long work.

A job is created with its items (``pending``), claimed by one worker at a time (``running``),
its items marked one by one, and finished: ``completed`` when any item completed (or there were
none), ``failed`` when none did — seed 002's rule — and only once every item has an outcome;
``cancel`` is the one way to stop a job early. Ownership is a lease, not a process name: a claim
sets ``lease_until`` and bumps ``attempts``, the holder's heartbeat (``renew``) extends the lease,
and once it has lapsed anyone may take the job back (``take_back``) or claim it over the lapsed
lease. The attempt number is a fencing token: item outcomes, ``finish`` and ``requeue`` given an
``attempt`` are refused unless it is still the job's current, running attempt, so a slow worker
that lost its lease cannot overwrite or end a job someone else now runs. Each fenced write starts
with a conditional ``UPDATE`` of the job row, which locks it (PostgreSQL, MariaDB) or takes
SQLite's write lock, so a claim and a fenced write never interleave. ``sent_at`` is the outbox:
``pending_unsent`` lists pending jobs whose last message is old.

Claiming is safe with many workers: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL and
MariaDB/MySQL, a conditional ``UPDATE`` (compare-and-set on ``attempts``) checked by its row
count elsewhere. Reads are tenant-scoped: pass ``tenant=None`` only from trusted code (workers,
the CLI).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from argus.store.db import Database, rowcount
from argus.store.tables import Job, JobItem, JobStatus, utcnow

UNFINISHED = (JobStatus.PENDING.value, JobStatus.RUNNING.value)
_CLAIM_CANDIDATES = 8
#: The lease of a claim when the caller names none (trusted tools and tests).
DEFAULT_LEASE_S = 30.0


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
        sent_at=now,  # the caller sends it next; if that never happens the outbox will
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


def _lapsed(now: datetime) -> ColumnElement[bool]:
    """A running job whose lease has lapsed (or that never had one: rows from before leases)."""
    return and_(
        Job.status == JobStatus.RUNNING.value,
        or_(Job.lease_until.is_(None), Job.lease_until < now),
    )


def _start_values(worker: str | None, lease_s: float, now: datetime) -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING.value,
        "started_at": now,
        "attempts": Job.attempts + 1,
        "worker": worker,
        "lease_until": now + timedelta(seconds=lease_s),
    }


async def _reset_running_items(session: AsyncSession, job_id: str) -> None:
    await session.execute(
        update(JobItem)
        .where(JobItem.job_id == job_id, JobItem.status == JobStatus.RUNNING.value)
        .values(status=JobStatus.PENDING.value, started_at=None)
        .execution_options(synchronize_session=False)
    )


async def claim(
    db: Database, *, job_id: str, worker: str | None = None, lease_s: float = DEFAULT_LEASE_S
) -> Job | None:
    """Run this job as ``worker`` for ``lease_s`` seconds; None when it cannot be claimed.

    A pending job can be claimed, and so can a running one whose lease has lapsed (its holder is
    presumed dead; its unfinished items go back to pending). The returned job's ``attempts`` is
    this claim's fencing token: pass it to every write for the job.
    """
    async with db.session() as session:
        seen = await session.scalar(select(Job.attempts).where(Job.id == job_id))
    if seen is None:
        return None
    now = utcnow()
    async with db.session() as session:
        async with session.begin():
            result = await session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.attempts == seen,
                    or_(Job.status == JobStatus.PENDING.value, _lapsed(now)),
                )
                .values(_start_values(worker, lease_s, now))
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                return None
            await _reset_running_items(session, job_id)
        job = await _load(session, job_id)
    if job is None or job.attempts != seen + 1:
        return None  # pruned, or taken over again already
    return job


async def claim_next(
    db: Database,
    *,
    worker: str | None = None,
    kinds: Sequence[str] | None = None,
    lease_s: float = DEFAULT_LEASE_S,
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
                job = await claim(db, job_id=job_id, worker=worker, lease_s=lease_s)
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
                .values(_start_values(worker, lease_s, utcnow()))
                .execution_options(synchronize_session=False)
            )
        return await _load(session, next_id)


async def renew(db: Database, *, job_id: str, attempt: int, lease_s: float) -> bool:
    """The heartbeat: extend the lease of ``attempt`` by ``lease_s`` from now.

    False when the job is no longer running under that attempt (cancelled, finished, or taken
    back after the lease lapsed): the caller has lost the job and must stop working on it.
    """
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.attempts == attempt,
                Job.status == JobStatus.RUNNING.value,
            )
            .values(lease_until=utcnow() + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )
    return rowcount(result) == 1


async def holder(db: Database, *, job_id: str) -> tuple[str, int] | None:
    """The job's status and current attempt (cheap enough to ask between items)."""
    async with db.session() as session:
        row = (
            await session.execute(select(Job.status, Job.attempts).where(Job.id == job_id))
        ).first()
    return None if row is None else (str(row[0]), int(row[1]))


async def _fence(session: AsyncSession, job_id: str, attempt: int | None) -> bool:
    """Lock the job row if ``attempt`` (None: any unfinished one) may still write to it.

    The first statement of a transaction, an ``UPDATE``: it takes the row lock (PostgreSQL,
    MariaDB) or SQLite's write lock at once, so no claim can slip in before the commit.
    """
    cond = [Job.id == job_id]
    if attempt is None:
        cond.append(Job.status.in_(UNFINISHED))
    else:
        cond += [Job.attempts == attempt, Job.status == JobStatus.RUNNING.value]
    result = await session.execute(
        update(Job)
        .where(*cond)
        .values(attempts=Job.attempts)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def requeue(db: Database, *, job_id: str, attempt: int | None = None) -> bool:
    """Put a running job (and its running items) back to pending, e.g. on shutdown.

    With ``attempt``, only while that attempt still holds the job.
    """
    cond = [Job.id == job_id, Job.status == JobStatus.RUNNING.value]
    if attempt is not None:
        cond.append(Job.attempts == attempt)
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(*cond)
            .values(status=JobStatus.PENDING.value, worker=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        await _reset_running_items(session, job_id)
    return True


async def lapsed(
    db: Database, *, now: datetime | None = None, limit: int = 100
) -> list[tuple[str, int]]:
    """Running jobs whose lease has lapsed, oldest first: ``(job_id, attempt)`` pairs."""
    query = (
        select(Job.id, Job.attempts)
        .where(_lapsed(now or utcnow()))
        .order_by(Job.created_at, Job.id)
        .limit(limit)
    )
    async with db.session() as session:
        return [(str(i), int(a)) for i, a in await session.execute(query)]


async def take_back(db: Database, *, job_id: str, attempt: int) -> bool:
    """Requeue a job whose lease lapsed while ``attempt`` held it; False when it was renewed,
    finished, cancelled or taken back by someone else meanwhile."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, _lapsed(utcnow()))
            .values(status=JobStatus.PENDING.value, worker=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        await _reset_running_items(session, job_id)
    return True


async def abandon(db: Database, *, job_id: str, attempt: int, error: str, item_error: str) -> bool:
    """Fail a job whose lease lapsed while ``attempt`` held it, and its unfinished items, with
    these reasons (too many attempts); False when it is no longer in that state."""
    now = utcnow()
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, _lapsed(now))
            .values(status=JobStatus.FAILED.value, error=error, finished_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        await session.execute(
            update(JobItem)
            .where(JobItem.job_id == job_id, JobItem.status.in_(UNFINISHED))
            .values(status=JobStatus.FAILED.value, error=item_error, finished_at=now)
            .execution_options(synchronize_session=False)
        )
    return True


async def pending_unsent(
    db: Database, *, older_than_s: float, now: datetime | None = None, limit: int = 100
) -> list[str]:
    """Pending jobs whose last message was sent more than ``older_than_s`` ago (or never),
    oldest first: what the outbox sends again."""
    cutoff = (now or utcnow()) - timedelta(seconds=older_than_s)
    query = (
        select(Job.id)
        .where(
            Job.status == JobStatus.PENDING.value,
            or_(Job.sent_at.is_(None), Job.sent_at < cutoff),
        )
        .order_by(Job.created_at, Job.id)
        .limit(limit)
    )
    async with db.session() as session:
        return list(await session.scalars(query))


async def mark_sent(db: Database, *, job_id: str) -> None:
    """A message for this job was just sent."""
    async with db.session() as session, session.begin():
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )


async def mark_item_running(
    db: Database, *, job_id: str, index: int, attempt: int | None = None
) -> bool:
    """Item ``index`` has started under ``attempt``; False when it is not pending or the
    attempt no longer holds the job."""
    values: dict[str, Any] = {"status": JobStatus.RUNNING.value, "started_at": utcnow()}
    if attempt is not None:
        values["attempt"] = attempt
    async with db.session() as session, session.begin():
        if attempt is not None and not await _fence(session, job_id, attempt):
            return False
        result = await session.execute(
            update(JobItem)
            .where(
                JobItem.job_id == job_id,
                JobItem.index == index,
                JobItem.status == JobStatus.PENDING.value,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
    return rowcount(result) == 1


async def _finish_item(
    db: Database, job_id: str, index: int, attempt: int | None, values: dict[str, Any]
) -> bool:
    if attempt is not None:
        values = {**values, "attempt": attempt}
    async with db.session() as session, session.begin():
        if attempt is not None and not await _fence(session, job_id, attempt):
            return False
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


async def mark_item_completed(
    db: Database, *, job_id: str, index: int, output: Any, attempt: int | None = None
) -> bool:
    """Item ``index`` succeeded with ``output`` (JSON-able); counts towards progress.

    False when the item had already finished (or was cancelled), or when ``attempt`` no longer
    holds the job: the first outcome written is the one kept.
    """
    values = {"status": JobStatus.COMPLETED.value, "output": output, "error": None}
    return await _finish_item(db, job_id, index, attempt, values)


async def mark_item_failed(
    db: Database, *, job_id: str, index: int, error: str, attempt: int | None = None
) -> bool:
    """Item ``index`` failed, saying why; counts towards progress (fenced as above)."""
    values = {"status": JobStatus.FAILED.value, "error": error}
    return await _finish_item(db, job_id, index, attempt, values)


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
    db: Database,
    *,
    job_id: str,
    index: int,
    done: int,
    total: int | None,
    attempt: int | None = None,
) -> None:
    """A running item's own progress (frames of a video): ``output = {"progress": {done,
    total}}`` until the item finishes and its real output replaces it; only while ``attempt``
    (when given) is the item's."""
    fence = () if attempt is None else (JobItem.attempt == attempt,)
    async with db.session() as session, session.begin():
        await session.execute(
            update(JobItem)
            .where(
                JobItem.job_id == job_id,
                JobItem.index == index,
                JobItem.status == JobStatus.RUNNING.value,
                *fence,
            )
            .values(output={"progress": {"done": done, "total": total}})
            .execution_options(synchronize_session=False)
        )


async def finish(
    db: Database, *, job_id: str, error: str | None = None, attempt: int | None = None
) -> str | None:
    """End a job and return its final status; None when there is no such job, when
    ``attempt`` no longer holds it, or when an item is still unfinished and there is no
    ``error`` (the job is left as it was: only ``cancel`` ends a job early).

    With ``error`` the job failed as a whole. Otherwise it is ``completed`` when it has no
    items or any item completed, and ``failed`` when none did. A job already finished (for
    instance cancelled meanwhile) keeps its status.
    """
    async with db.session() as session, session.begin():
        if not await _fence(session, job_id, attempt):
            current = await session.scalar(select(Job.status).where(Job.id == job_id))
            return current if current is not None and current not in UNFINISHED else None
        items = list(
            await session.execute(
                select(JobItem.status, JobItem.error)
                .where(JobItem.job_id == job_id)
                .order_by(JobItem.index)
            )
        )
        statuses = [str(status) for status, _ in items]
        if error is not None:
            status = JobStatus.FAILED.value
        elif any(s in UNFINISHED for s in statuses):
            return None
        elif not statuses or JobStatus.COMPLETED.value in statuses:
            status = JobStatus.COMPLETED.value
        else:
            status = JobStatus.FAILED.value
            errors = [e for _, e in items if e]
            failed = statuses.count(JobStatus.FAILED.value)
            error = f"{failed} of {len(statuses)} items failed"
            if errors:
                error += f"; first error: {errors[0]}"
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=status, error=error, finished_at=utcnow(), lease_until=None)
            .execution_options(synchronize_session=False)
        )
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
            query.values(
                status=JobStatus.CANCELLED.value, finished_at=now, lease_until=None
            ).execution_options(synchronize_session=False)
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


async def delete_job(db: Database, *, job_id: str) -> bool:
    """Remove a job and its items at once (a submission the executor refused); False when
    there was no such job."""
    async with db.session() as session, session.begin():
        await session.execute(
            delete(JobItem)
            .where(JobItem.job_id == job_id)
            .execution_options(synchronize_session=False)
        )
        result = await session.execute(
            delete(Job).where(Job.id == job_id).execution_options(synchronize_session=False)
        )
    return rowcount(result) == 1


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
