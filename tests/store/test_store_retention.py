"""Retention bounds prune the result cache and the request log, and 0 keeps everything."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from argus.config import RetentionSettings
from argus.store import cache, request_log, retention
from argus.store.db import Database
from argus.store.tables import utcnow


def test_prune_applies_entry_and_age_bounds(tmp_path: Path) -> None:
    async def main() -> tuple[retention.Pruned, int, int, retention.Pruned]:
        db = Database(f"sqlite:///{tmp_path / 'r.db'}")
        try:
            await db.upgrade()
            for i in range(5):
                key = cache.make_key(sha256=f"{i:064x}", task="t", model="m")
                await cache.put(db, key=key, result={"i": i})
            old = utcnow() - timedelta(days=100)
            await request_log.add(
                db,
                request_id="old",
                route="/r",
                method="GET",
                status=200,
                duration_ms=1,
                created_at=old,
            )
            await request_log.add(
                db, request_id="new", route="/r", method="GET", status=200, duration_ms=1
            )
            bounds = RetentionSettings(cache_max_entries=2, request_log_days=90)
            first = await retention.prune(db, settings=bounds)
            entries = (await cache.stats(db)).entries
            rows = len(await request_log.recent(db, limit=10))
            keep_all = RetentionSettings(
                cache_max_age_days=0, cache_max_entries=0, cache_max_mb=0, request_log_days=0
            )
            second = await retention.prune(db, settings=keep_all)
            return first, entries, rows, second
        finally:
            await db.dispose()

    first, entries, rows, second = asyncio.run(main())
    assert first == retention.Pruned(cache_entries=3, request_log_rows=1)
    assert (entries, rows) == (2, 1)
    assert second == retention.Pruned(0, 0)
