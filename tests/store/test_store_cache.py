"""Result cache: content-addressed keys, hit counts, upserts, lookups by hash, pruning."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from store_support import Run

from argus.store import cache
from argus.store.cache import CacheKey, make_key
from argus.store.db import Database
from argus.store.tables import CacheEntry, utcnow

IMAGE = hashlib.sha256(b"astronaut").hexdigest()
OTHER = hashlib.sha256(b"chelsea").hexdigest()


def key(sha256: str = IMAGE, model: str = "nudenet", **options: Any) -> CacheKey:
    return make_key(
        sha256=sha256, task="moderation", model=model, model_version="3.4", options=options
    )


def test_option_order_does_not_change_the_key() -> None:
    a = make_key(sha256=IMAGE, task="t", model="m", options={"a": 1, "b": [1, 2]})
    b = make_key(sha256=IMAGE.upper(), task="t", model="m", options={"b": [1, 2], "a": 1})
    assert a == b
    assert make_key(sha256=IMAGE, task="t", model="m", options={"a": 2}) != a
    assert make_key(sha256=IMAGE, task="t", model="m") == make_key(
        sha256=IMAGE, task="t", model="m", options={}
    )
    assert len(a.options_hash) == 64


def test_a_miss_then_hits_are_counted(run: Run) -> None:
    result = {"label": "sfw", "score": 0.98, "boxes": [[1, 2, 3, 4]]}

    async def body(db: Database) -> tuple[Any, ...]:
        miss = await cache.get(db, key=key())
        await cache.put(db, key=key(), result=result)
        first = await cache.get(db, key=key())
        second = await cache.get(db, key=key())
        other_options = await cache.get(db, key=key(threshold=0.5))
        return miss, first, second, other_options, await cache.stats(db)

    miss, first, second, other_options, stats = run(body)
    assert miss is None and other_options is None
    assert first is not None and second is not None
    assert first.result == result
    assert (first.hits, second.hits) == (1, 2)
    assert second.last_seen >= first.last_seen >= first.first_seen
    assert first.size_bytes == len(cache.canonical_json(result).encode())
    assert stats == cache.CacheStats(entries=1, hits=2, size_bytes=first.size_bytes)


def test_putting_the_same_key_twice_keeps_one_row(run: Run) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        await cache.put(db, key=key(), result={"v": 1})
        await cache.get(db, key=key())
        await cache.put(db, key=key(), result={"v": 2, "longer": True})
        # Two workers storing the same result at the same moment.
        await asyncio.gather(*(cache.put(db, key=key(OTHER), result={"v": 3}) for _ in range(4)))
        async with db.session() as session:
            rows = await session.scalar(select(func.count()).select_from(CacheEntry))
        return rows, await cache.get(db, key=key())

    rows, entry = run(body)
    assert rows == 2
    assert entry is not None
    assert entry.result == {"v": 2, "longer": True}
    assert entry.hits == 2  # the upsert kept the earlier hit
    assert entry.size_bytes == len(b'{"longer":true,"v":2}')


def test_lookup_by_hash_finds_every_model(run: Run) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        await cache.put(db, key=key(model="nudenet"), result={"m": "nudenet"})
        await cache.put(db, key=key(model="vit-nsfw"), result={"m": "vit"})
        await cache.put(
            db, key=make_key(sha256=IMAGE, task="caption", model="blip"), result={"m": "blip"}
        )
        await cache.put(db, key=key(OTHER), result={"m": "other"})
        every = await cache.lookup_by_hash(db, sha256=IMAGE)
        moderation = await cache.lookup_by_hash(db, sha256=IMAGE.upper(), task="moderation")
        touched = await cache.lookup_by_hash(db, sha256=OTHER, touch=True)
        unknown = await cache.lookup_by_hash(db, sha256="0" * 64)
        return every, moderation, touched, unknown, await cache.stats(db, task="moderation")

    every, moderation, touched, unknown, stats = run(body)
    assert sorted(e.model for e in every) == ["blip", "nudenet", "vit-nsfw"]
    assert sorted(e.result["m"] for e in moderation) == ["nudenet", "vit"]
    assert [(e.result, e.hits) for e in touched] == [({"m": "other"}, 1)]
    assert unknown == []
    assert (stats.entries, stats.hits) == (3, 1)


def test_prune_removes_the_least_recently_seen(run: Run) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        for i in range(6):
            await cache.put(db, key=key(model=f"m{i}"), result={"i": i, "pad": "x" * 10})
        await cache.get(db, key=key(model="m0"))  # m0 is now the most recently seen
        by_age = await cache.prune(db, max_age_s=3600, now=utcnow() + timedelta(hours=2))
        for i in range(6):
            await cache.put(db, key=key(model=f"m{i}"), result={"i": i, "pad": "x" * 10})
        await cache.get(db, key=key(model="m0"))
        by_count = await cache.prune(db, max_entries=4)
        left = sorted(e.model for e in await cache.lookup_by_hash(db, sha256=IMAGE))
        size = (await cache.stats(db)).size_bytes
        by_bytes = await cache.prune(db, max_bytes=size // 2)
        after = sorted(e.model for e in await cache.lookup_by_hash(db, sha256=IMAGE))
        return by_age, by_count, left, by_bytes, after, await cache.prune(db)

    by_age, by_count, left, by_bytes, after, nothing = run(body)
    assert by_age == 6
    assert by_count == 2
    assert left == ["m0", "m3", "m4", "m5"]
    assert by_bytes == 2
    assert after == ["m0", "m5"]
    assert nothing == 0
