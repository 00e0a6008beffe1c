"""Batched writes: log rows and cache hits reach the table in batches, all of them on close,
readers that settle the database see everything, and the buffer stays bounded."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from sqlalchemy import func, select
from store_support import Run

from argus.store import cache, classify_log, request_log
from argus.store.db import Database
from argus.store.result_cache import ResultCache
from argus.store.tables import CacheEntry, ClassifyRequest, RequestLog
from argus.store.write_behind import WriteBehind

IMAGE = hashlib.sha256(b"coffee").hexdigest()


def _row(i: int) -> ClassifyRequest:
    return ClassifyRequest(
        request_id=f"req_{i}",
        request_type="single_cache",
        tenant="default",
        success=True,
        from_cache=i % 2 == 0,
        processing_time_ms=i,
    )


async def _count(db: Database, table: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def test_rows_wait_in_the_buffer_until_close_writes_them_all(run: Run) -> None:
    async def body(db: Database) -> tuple[int, int, int, int]:
        writes = WriteBehind(db, interval_s=3600, max_pending=1000)
        writes.start()
        for i in range(40):
            await writes.add([_row(i)])
        await asyncio.sleep(0.05)
        before = await _count(db, ClassifyRequest)
        await writes.close()
        after = await _count(db, ClassifyRequest)
        rows = await classify_log.since(db, start=classify_log.day_start())
        return before, after, len(rows), sum(r.from_cache for r in rows)

    before, after, read, cached = run(body)
    assert before == 0  # nothing written on the request path
    assert after == read == 40
    assert cached == 20


def test_a_reader_that_settles_sees_the_buffered_rows(run: Run) -> None:
    async def body(db: Database) -> tuple[int, list[str]]:
        writes = WriteBehind(db, interval_s=3600, max_pending=1000)
        db.pending_writes = writes.flush
        writes.start()
        await writes.add(
            [
                RequestLog(
                    request_id=f"r{i}", route="/x", method="GET", status=200, duration_ms=1.0
                )
                for i in range(3)
            ]
        )
        recent = await request_log.recent(db)
        figures = await request_log.route_stats(db)
        await writes.close()
        return figures[0].count, [r.request_id for r in recent]

    count, ids = run(body)
    assert count == 3
    assert sorted(ids) == ["r0", "r1", "r2"]


def test_hits_are_counted_in_one_update_per_batch(run: Run) -> None:
    async def body(db: Database) -> tuple[int, int, int]:
        key = cache.make_key(sha256=IMAGE, task="photo-category", model="m")
        await cache.put(db, key=key, result={"category": "pets", "confidence": 0.9})
        writes = WriteBehind(db, interval_s=3600, max_pending=1000)
        db.pending_writes = writes.flush
        results = ResultCache(db, writes=writes)
        for _ in range(7):
            (entry,) = await results.entries(sha256=IMAGE, task="photo-category")
            await results.hit(entry)
        async with db.session() as session:
            unflushed = await session.scalar(select(CacheEntry.hits))
        stats = await cache.stats(db, task="photo-category")  # settles first
        return int(unflushed or 0), stats.hits, results.memory_hits

    unflushed, hits, memory_hits = run(body)
    assert unflushed == 0
    assert hits == 7
    assert memory_hits == 6  # one read of the table, six answers from memory


def test_the_buffer_is_bounded_when_the_writer_falls_behind(run: Run) -> None:
    async def body(db: Database) -> tuple[int, int]:
        writes = WriteBehind(db, interval_s=3600, max_pending=10)
        writes.start()
        most = 0
        for i in range(95):
            await writes.add([_row(i)])
            most = max(most, writes.pending)
        await writes.close()
        return most, await _count(db, ClassifyRequest)

    most, written = run(body)
    assert most < 2 * 10 + 1
    assert written == 95


def test_a_new_answer_replaces_what_memory_remembered(run: Run) -> None:
    async def body(db: Database) -> tuple[list[str], list[str]]:
        results = ResultCache(db)
        first = cache.make_key(sha256=IMAGE, task="photo-category", model="local")
        await results.put(key=first, result={"category": "pets"})
        before = [e.model for e in await results.entries(sha256=IMAGE, task="photo-category")]
        second = cache.make_key(sha256=IMAGE, task="photo-category", model="llm")
        await results.put(key=second, result={"category": "food"})
        after = [e.model for e in await results.entries(sha256=IMAGE, task="photo-category")]
        return before, after

    before, after = run(body)
    assert before == ["local"]
    assert sorted(after) == ["llm", "local"]
