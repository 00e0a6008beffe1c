"""`ResultCache`: the result cache as one process sees it — an in-memory LRU over the table.

A repeated image should cost a dictionary lookup, not a transaction. :meth:`ResultCache.entries`
answers from a bounded least-recently-used map of ``(task, sha256) -> entries`` filled from
``result_cache`` on a miss (misses are not remembered: a new answer stored by another process is
found on the next request). Hits are counted through :class:`~argus.store.write_behind.
WriteBehind` when there is one (batched ``hits + n, last_seen``), else at once.

Invalidation follows the table's writers: :meth:`put` (this process's new answer) drops the
image's map entry; the retention pruner calls :meth:`forget_all`. Other processes sharing the
database change the table behind this map only by adding an answer for another model or by
pruning; those are seen after ``ttl_s`` seconds at most (each map entry is re-read from the table
when it is older).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from argus.store import cache
from argus.store.db import Database
from argus.store.tables import CacheEntry, utcnow
from argus.store.write_behind import WriteBehind


@dataclass(frozen=True, slots=True)
class Entry:
    """One cached answer: its row id, the model that answered and the stored result."""

    id: int
    model: str
    result: dict[str, Any]


class ResultCache:
    """Cache entries of one process: LRU of ``max_entries`` images, each kept ``ttl_s`` s."""

    def __init__(
        self,
        db: Database,
        *,
        writes: WriteBehind | None = None,
        max_entries: int = 10_000,
        ttl_s: float = 60.0,
    ) -> None:
        self.db = db
        self.writes = writes
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._memory: OrderedDict[tuple[str, str], tuple[float, tuple[Entry, ...]]] = OrderedDict()
        self.memory_hits = 0

    def __len__(self) -> int:
        return len(self._memory)

    async def entries(self, *, sha256: str, task: str) -> tuple[Entry, ...]:
        """Every cached answer for these image bytes and task, most recently seen first."""
        key = (task, sha256.lower())
        now = time.monotonic()
        found = self._memory.get(key)
        if found is not None and now - found[0] <= self.ttl_s:
            self._memory.move_to_end(key)
            self.memory_hits += 1
            return found[1]
        rows = await cache.lookup_by_hash(self.db, sha256=sha256, task=task)
        entries = tuple(
            Entry(row.id, row.model, row.result if isinstance(row.result, dict) else {})
            for row in rows
        )
        if entries and self.max_entries > 0:
            self._memory[key] = (now, entries)
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_entries:
                self._memory.popitem(last=False)
        else:
            self._memory.pop(key, None)
        return entries

    async def hit(self, entry: Entry) -> None:
        """Count a hit on ``entry`` (batched when this process defers its writes)."""
        if self.writes is not None:
            await self.writes.hit(entry.id)
            return
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(CacheEntry)
                .where(CacheEntry.id == entry.id)
                .values(hits=CacheEntry.hits + 1, last_seen=utcnow())
                .execution_options(synchronize_session=False)
            )

    async def put(self, *, key: cache.CacheKey, result: Any) -> None:
        """Store an answer (see :func:`argus.store.cache.put`) and forget the image's entries."""
        await cache.put(self.db, key=key, result=result)
        self._memory.pop((key.task, key.sha256), None)

    def forget_all(self) -> None:
        """Drop every remembered entry (after the table was pruned)."""
        self._memory.clear()
