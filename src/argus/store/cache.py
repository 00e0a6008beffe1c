"""The result cache shared by every capability, addressed by content.

A key is the SHA-256 of the original image bytes, the task, the model id and version, and a
hash of the options that change the answer (canonical JSON: sorted keys, no spaces). ``get``
counts hits and refreshes ``last_seen``; ``put`` is an upsert, so two workers storing the same
result leave one row. ``prune`` applies age, count and size bounds, least recently seen first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from argus.store.db import Database, rowcount
from argus.store.tables import CacheEntry, utcnow

_KEY_COLUMNS = ("sha256", "task", "model", "model_version", "options_hash")
_DELETE_CHUNK = 500


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal data, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def options_hash(options: Mapping[str, Any] | None) -> str:
    """SHA-256 hex of the options' canonical JSON (no options hash like ``{}``)."""
    return hashlib.sha256(canonical_json(dict(options or {})).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CacheKey:
    sha256: str
    task: str
    model: str
    model_version: str
    options_hash: str


def make_key(
    *,
    sha256: str,
    task: str,
    model: str,
    model_version: str = "",
    options: Mapping[str, Any] | None = None,
) -> CacheKey:
    """The cache key for one image, task, model and the options that change the answer."""
    return CacheKey(sha256.lower(), task, model, model_version, options_hash(options))


@dataclass(frozen=True, slots=True)
class CacheStats:
    entries: int
    hits: int
    size_bytes: int


def _where(key: CacheKey) -> list[Any]:
    return [getattr(CacheEntry, name) == getattr(key, name) for name in _KEY_COLUMNS]


async def get(db: Database, *, key: CacheKey) -> CacheEntry | None:
    """The cached entry, counting the hit; None on a miss (a miss writes nothing)."""
    now = utcnow()
    async with db.session() as session, session.begin():
        row = await session.scalar(select(CacheEntry).where(*_where(key)))
        if row is None:
            return None
        await session.execute(
            update(CacheEntry)
            .where(CacheEntry.id == row.id)
            .values(hits=CacheEntry.hits + 1, last_seen=now)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(row, "hits", row.hits + 1)
        set_committed_value(row, "last_seen", now)
    return row


async def put(db: Database, *, key: CacheKey, result: Any) -> None:
    """Store ``result`` (JSON-able) under ``key``; an existing entry keeps its hits and age."""
    now = utcnow()
    values = {
        **{name: getattr(key, name) for name in _KEY_COLUMNS},
        "result": result,
        "hits": 0,
        "first_seen": now,
        "last_seen": now,
        "size_bytes": len(canonical_json(result).encode()),
    }
    changed = ("result", "size_bytes", "last_seen")
    stmt: Any
    # each dialect's upsert is imported by the database that uses it (importing all three
    # costs every server's start-up)
    if db.dialect == "mysql":
        from sqlalchemy.dialects import mysql

        stmt = mysql.insert(CacheEntry).values(values)
        stmt = stmt.on_duplicate_key_update({name: stmt.inserted[name] for name in changed})
    else:
        if db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(CacheEntry).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_KEY_COLUMNS),
            set_={name: stmt.excluded[name] for name in changed},
        )
    async with db.session() as session, session.begin():
        await session.execute(stmt)


async def lookup_by_hash(
    db: Database, *, sha256: str, task: str | None = None, touch: bool = False
) -> list[CacheEntry]:
    """Every entry for these image bytes (any model), most recently seen first.

    ``touch`` counts a hit on each entry returned (seed 000's "check cache" does).
    """
    query = select(CacheEntry).where(CacheEntry.sha256 == sha256.lower())
    if task is not None:
        query = query.where(CacheEntry.task == task)
    query = query.order_by(CacheEntry.last_seen.desc(), CacheEntry.id.desc())
    now = utcnow()
    async with db.session() as session, session.begin():
        rows = list(await session.scalars(query))
        if touch and rows:
            await session.execute(
                update(CacheEntry)
                .where(CacheEntry.id.in_([row.id for row in rows]))
                .values(hits=CacheEntry.hits + 1, last_seen=now)
                .execution_options(synchronize_session=False)
            )
            for row in rows:
                set_committed_value(row, "hits", row.hits + 1)
                set_committed_value(row, "last_seen", now)
    return rows


async def stats(db: Database, *, task: str | None = None) -> CacheStats:
    """How many entries, hits served and bytes of results the cache holds."""
    query = select(
        func.count(CacheEntry.id),
        func.coalesce(func.sum(CacheEntry.hits), 0),
        func.coalesce(func.sum(CacheEntry.size_bytes), 0),
    )
    if task is not None:
        query = query.where(CacheEntry.task == task)
    await db.settle()
    async with db.session() as session:
        entries, hits, size = (await session.execute(query)).one()
    return CacheStats(entries=int(entries), hits=int(hits), size_bytes=int(size))


async def prune(
    db: Database,
    *,
    max_age_s: float | None = None,
    max_entries: int | None = None,
    max_bytes: int | None = None,
    now: datetime | None = None,
) -> int:
    """Remove entries not seen for ``max_age_s``, then the least recently seen beyond
    ``max_entries`` or ``max_bytes`` in total; returns how many were removed."""
    removed = 0
    async with db.session() as session, session.begin():
        if max_age_s is not None:
            cutoff = (now or utcnow()) - timedelta(seconds=max_age_s)
            result = await session.execute(
                delete(CacheEntry)
                .where(CacheEntry.last_seen < cutoff)
                .execution_options(synchronize_session=False)
            )
            removed += rowcount(result)
        if max_entries is None and max_bytes is None:
            return removed
        newest_first = await session.execute(
            select(CacheEntry.id, CacheEntry.size_bytes).order_by(
                CacheEntry.last_seen.desc(), CacheEntry.id.desc()
            )
        )
        doomed: list[int] = []
        total = 0
        for count, (entry_id, size) in enumerate(newest_first, start=1):
            total += size
            over_count = max_entries is not None and count > max_entries
            over_bytes = max_bytes is not None and total > max_bytes
            if over_count or over_bytes:
                doomed.append(entry_id)
        for start in range(0, len(doomed), _DELETE_CHUNK):
            chunk = doomed[start : start + _DELETE_CHUNK]
            result = await session.execute(
                delete(CacheEntry)
                .where(CacheEntry.id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
            removed += rowcount(result)
    return removed
