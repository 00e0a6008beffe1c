"""Named counters per UTC day (``usage_counters``): seed 000's downloads and location queries.

:func:`increment` adds one to today's row of a counter (an UPDATE, else an INSERT; a concurrent
INSERT of the same row loses the unique constraint and is retried as an UPDATE), so it works
the same on SQLite, MariaDB and PostgreSQL. :func:`totals` sums counters over every day or one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from argus.store.db import Database
from argus.store.tables import UsageCounter, utcnow


def day_of(moment: datetime | None = None) -> str:
    """The UTC calendar day of ``moment`` (now by default) as ``YYYY-MM-DD``."""
    return (moment or utcnow()).strftime("%Y-%m-%d")


async def _bump(db: Database, name: str, day: str, by: int) -> bool:
    query = (
        update(UsageCounter)
        .where(UsageCounter.name == name, UsageCounter.day == day)
        .values(count=UsageCounter.count + by)
    )
    async with db.session() as session, session.begin():
        result = await session.execute(query)
        return bool(getattr(result, "rowcount", 0))


async def increment(db: Database, *, name: str, by: int = 1, day: str | None = None) -> None:
    """Add ``by`` to the counter ``name`` of ``day`` (today, UTC)."""
    day = day or day_of()
    if await _bump(db, name, day, by):
        return
    try:
        async with db.session() as session, session.begin():
            session.add(UsageCounter(name=name, day=day, count=by))
    except IntegrityError:
        await _bump(db, name, day, by)


async def totals(db: Database, *, names: list[str], day: str | None = None) -> dict[str, int]:
    """Each counter's total over every day (or over ``day`` only); 0 for a counter never seen."""
    query = (
        select(UsageCounter.name, func.sum(UsageCounter.count))
        .where(UsageCounter.name.in_(names))
        .group_by(UsageCounter.name)
    )
    if day is not None:
        query = query.where(UsageCounter.day == day)
    out = dict.fromkeys(names, 0)
    async with db.session() as session:
        for name, total in await session.execute(query):
            out[str(name)] = int(total or 0)
    return out
