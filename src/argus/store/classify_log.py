"""Seed 000's statistics: one ``classify_requests`` row per image, and the cached answers.

Rows are written by the classify and check-cache routes; the figures below are computed in
Python from the rows of a time window so that SQLite, MariaDB and PostgreSQL agree (days are
UTC calendar days). Cache figures read the platform's ``result_cache`` rows of the
``photo-category`` task: the seed's ``hit_count`` starts at 1 when an answer is stored, Argus's
``hits`` at 0, so the seed's ``hit_count`` is ``hits + 1`` here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from argus.store.db import Database
from argus.store.tables import CacheEntry, ClassifyRequest, utcnow


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One cached photo classification: its category, confidence and seed-style hit count;
    ``paid`` when a hosted LLM gave the answer (a cache hit on it saves a paid call)."""

    category: str
    confidence: float
    hit_count: int
    paid: bool = False


async def add(db: Database, rows: list[ClassifyRequest]) -> None:
    """Record the rows of one request (one per image)."""
    if not rows:
        return
    async with db.session() as session, session.begin():
        session.add_all(rows)


async def since(
    db: Database, *, start: datetime, until: datetime | None = None
) -> list[ClassifyRequest]:
    """Every row created at or after ``start`` (and before ``until``), oldest first."""
    query = select(ClassifyRequest).where(ClassifyRequest.created_at >= start)
    if until is not None:
        query = query.where(ClassifyRequest.created_at < until)
    await db.settle()
    async with db.session() as session:
        return list(await session.scalars(query.order_by(ClassifyRequest.id)))


async def cached_answers(db: Database, *, task: str) -> list[CachedAnswer]:
    """Category, confidence and hit count of every cached answer of ``task``."""
    query = select(CacheEntry.result, CacheEntry.hits).where(CacheEntry.task == task)
    out = []
    await db.settle()
    async with db.session() as session:
        for result, hits in await session.execute(query):
            data: dict[str, Any] = result if isinstance(result, dict) else {}
            out.append(
                CachedAnswer(
                    category=str(data.get("category") or "other"),
                    confidence=float(data.get("confidence") or 0.0),
                    hit_count=int(hits) + 1,
                    paid=data.get("engine") == "llm",
                )
            )
    return out


def day_start(now: datetime | None = None, days_back: int = 0) -> datetime:
    """Midnight UTC of today (or ``days_back`` days before)."""
    now = now or utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=days_back)


def daily(rows: list[ClassifyRequest], request_type: str) -> list[dict[str, Any]]:
    """Seed 000's per-day figures for one request type, newest day first."""
    by_day: dict[str, list[ClassifyRequest]] = defaultdict(list)
    for row in rows:
        if row.request_type == request_type:
            by_day[row.created_at.date().isoformat()].append(row)
    out = []
    for day in sorted(by_day, reverse=True):
        items = by_day[day]
        requests = {r.request_id for r in items}
        cached = sum(r.from_cache for r in items)
        entry: dict[str, Any] = {
            "date": day,
            "total_requests": len(requests),
            "unique_users": len({r.user_id for r in items if r.user_id}),
            "unique_ips": len({r.ip_address for r in items if r.ip_address}),
            "total_images": len(items),
        }
        if request_type == "batch_cache":
            entry.update(cached_count=cached, miss_count=len(items) - cached)
        else:
            success = sum(r.success for r in items)
            total_ms = sum(r.processing_time_ms for r in items)
            entry.update(
                success_count=success,
                fail_count=len(items) - success,
                cached_count=cached,
                avg_processing_time_ms=round(total_ms / len(items), 2),
            )
        out.append(entry)
    return out


def method_counts(rows: list[ClassifyRequest]) -> dict[str, int]:
    """Seed 000's ``/stats/inference-method`` figures over classify rows."""
    classify = [r for r in rows if r.request_type in ("single_classify", "batch_classify")]
    methods = Counter(r.inference_method for r in classify if r.success)
    local_total = methods["local"] + methods["local_fallback"]
    return {
        "total_requests": len(classify),
        "from_cache": methods["cache"],
        "llm_success": methods["llm"],
        "local_direct": methods["local"],
        "llm_fallback": methods["llm_fallback"],
        "local_fallback_success": methods["local_fallback"],
        "local_test": 0,
        "total_fallback": methods["llm_fallback"] + methods["local_fallback"],
        "llm_fail_count": methods["local_fallback"],
        "local_total": local_total,
    }
