"""`WriteBehind`: log rows and cache hit counts written in batches, off the request path.

A request that only reads (a cached classify, a check-cache, any request's ``request_log`` row)
should not wait for a database transaction. Routes hand their rows (``ClassifyRequest``,
``RequestLog``; as ORM objects, or as plain column values with :meth:`WriteBehind.insert`, which
costs a hot path far less than building a mapped object) and cache hits (entry id, time) to
this buffer; one background task writes
everything buffered in one transaction every ``interval_s`` seconds, or as soon as
``max_pending`` rows and hits are waiting. A request that finds ``max_pending`` already waiting
writes the batch itself (back-pressure), so the buffer never holds much more than that.

Guarantees: :meth:`close` (the app's clean shutdown) writes everything; readers that must see
every row (the stats routes, the admin overview) call :meth:`Database.settle`, which flushes
first. On a crash the rows and hits not yet written are lost: at most ``max_pending`` buffered
plus the batch being written, itself at most ``max_pending`` plus what concurrent requests
added while it waited, i.e. about ``2 × max_pending`` (the last ``interval_s`` seconds at most,
when traffic is lighter). A batch that fails to write is kept for the next round as long as
fewer than ``4 × max_pending`` items wait; beyond that the oldest are dropped with a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update

from argus.store.db import Database
from argus.store.tables import Base, CacheEntry, utcnow

log = logging.getLogger(__name__)


Row = tuple[type[Base], dict[str, Any]]  # a table and one row's column values


def _values(row: Base) -> dict[str, Any]:
    """The column values set on an unsaved ORM row (unset ones get the column default)."""
    state = row.__dict__
    return {
        column.key: state[column.key]
        for column in row.__table__.columns
        if column.key in state and not (column.primary_key and state[column.key] is None)
    }


class WriteBehind:
    """A per-process buffer of rows to insert and cache hits to count, flushed in batches."""

    def __init__(self, db: Database, *, interval_s: float = 1.0, max_pending: int = 256) -> None:
        self.db = db
        self.interval_s = interval_s
        self.max_pending = max(1, max_pending)
        self._rows: list[Row] = []
        self._stamped: dict[type[Base], bool] = {}  # table -> has a ``created_at`` column
        self._hits: dict[int, tuple[int, datetime]] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.written = 0  # rows and hits written since start (for tests and metrics)
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Rows and hit counters waiting to be written."""
        return len(self._rows) + len(self._hits)

    async def add(self, rows: list[Base]) -> None:
        """Queue rows for insertion (``created_at`` is stamped now when the row has one)."""
        await self.insert([(type(row), _values(row)) for row in rows])

    async def insert(self, rows: list[Row]) -> None:
        """Queue ``(table, column values)`` rows for insertion; a column left out gets its
        default, and ``created_at`` (when the table has one and it is not given) is now."""
        now = utcnow()
        for table, values in rows:
            stamped = self._stamped.get(table)
            if stamped is None:
                stamped = self._stamped[table] = "created_at" in table.__table__.columns
            if stamped and values.get("created_at") is None:
                values["created_at"] = now
        self._rows.extend(rows)
        await self._maybe_flush()

    async def hit(self, entry_id: int, *, when: datetime | None = None) -> None:
        """Count one hit on cache entry ``entry_id`` (and move its ``last_seen`` to ``when``)."""
        count, _ = self._hits.get(entry_id, (0, None))
        self._hits[entry_id] = (count + 1, when or utcnow())
        await self._maybe_flush()

    async def _maybe_flush(self) -> None:
        if self.pending >= self.max_pending:
            if self._task is None:
                await self.flush()  # no background task: write now
            elif self.pending >= 2 * self.max_pending:
                await self.flush()  # the writer is behind: this request writes the batch
            else:
                self._wake.set()
        elif self._task is None and self.interval_s <= 0:
            await self.flush()

    def start(self) -> None:
        """Start the background writer (call from a running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="argus-write-behind")

    async def close(self) -> None:
        """Stop the background writer (after its current batch) and write what is left."""
        task, self._task = self._task, None
        if task is not None:
            self._closing = True
            self._wake.set()
            await task
        await self.flush()

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # keep the writer alive; the batch was kept for the next round
                log.exception("batched write failed; retrying in %s s", self.interval_s)

    async def flush(self) -> int:
        """Write everything buffered now in one transaction; returns how many items.

        The write runs in a task of its own: a caller cancelled meanwhile (a client that went
        away) does not cut a transaction in half.
        """
        return await asyncio.shield(asyncio.ensure_future(self._flush()))

    async def _flush(self) -> int:
        async with self._lock:
            rows, self._rows = self._rows, []
            hits, self._hits = self._hits, {}
            if not rows and not hits:
                return 0
            try:
                await self._write(rows, hits)
            except BaseException:
                self._keep(rows, hits)
                raise
            self.written += len(rows) + len(hits)
            return len(rows) + len(hits)

    def _keep(self, rows: list[Row], hits: dict[int, tuple[int, datetime]]) -> None:
        """Put a failed batch back in front of what arrived meanwhile, within the bound."""
        self._rows = rows + self._rows
        for entry_id, (count, when) in hits.items():
            newer, last = self._hits.get(entry_id, (0, when))
            self._hits[entry_id] = (count + newer, max(when, last))
        excess = self.pending - 4 * self.max_pending
        if excess > 0:
            drop = min(excess, len(self._rows))
            del self._rows[:drop]
            self.dropped += drop
            log.warning("dropped %d buffered log rows: the database is not writable", drop)

    async def _write(self, rows: list[Row], hits: dict[int, tuple[int, datetime]]) -> None:
        groups: dict[tuple[type[Base], tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
        for table, values in rows:
            groups[table, tuple(sorted(values))].append(values)
        async with self.db.session() as session, session.begin():
            for (table, _), batch in groups.items():
                await session.execute(insert(cast(Table, table.__table__)), batch)
            if hits:
                entries = cast(Table, CacheEntry.__table__)
                await session.execute(
                    update(entries)
                    .where(entries.c.id == bindparam("b_id"))
                    .values(
                        hits=entries.c.hits + bindparam("b_count"),
                        last_seen=bindparam("b_when"),
                    ),
                    [
                        {"b_id": entry_id, "b_count": count, "b_when": when}
                        for entry_id, (count, when) in hits.items()
                    ],
                )
