"""The request log: one row per HTTP request, recent rows, and per-route figures for a window.

Percentiles are computed here in Python from the durations in the window, so SQLite, MariaDB
and PostgreSQL give the same figures (nearest-rank with linear interpolation).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from argus.store.db import Database, rowcount
from argus.store.tables import RequestLog, utcnow


@dataclass(frozen=True, slots=True)
class RouteStats:
    """Figures for one route and method over a time window; durations in milliseconds."""

    route: str
    method: str
    count: int
    errors: int  # responses with status >= 500
    client_errors: int  # responses with status 400-499
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ascending values, interpolating between ranks."""
    if not sorted_values:
        return math.nan
    if len(sorted_values) == 1:
        return float(sorted_values[0])
    rank = (len(sorted_values) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = rank - low
    return float(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction)


async def add(
    db: Database,
    *,
    request_id: str,
    route: str,
    method: str,
    status: int,
    duration_ms: float,
    tenant: str | None = None,
    timings: Mapping[str, Any] | None = None,
    created_at: datetime | None = None,
) -> None:
    """Record one request; ``timings`` is its breakdown, e.g. ``{"decode": 3.1, "model": ...}``."""
    row = RequestLog(
        request_id=request_id,
        tenant=tenant,
        route=route,
        method=method.upper(),
        status=status,
        duration_ms=duration_ms,
        timings=dict(timings) if timings is not None else None,
        created_at=created_at or utcnow(),
    )
    async with db.session() as session, session.begin():
        session.add(row)


async def recent(
    db: Database,
    *,
    limit: int = 100,
    tenant: str | None = None,
    route: str | None = None,
) -> list[RequestLog]:
    """The latest requests, newest first."""
    query = select(RequestLog).order_by(RequestLog.created_at.desc(), RequestLog.id.desc())
    if tenant is not None:
        query = query.where(RequestLog.tenant == tenant)
    if route is not None:
        query = query.where(RequestLog.route == route)
    await db.settle()
    async with db.session() as session:
        return list(await session.scalars(query.limit(limit)))


async def route_stats(
    db: Database,
    *,
    window_s: float = 3600.0,
    now: datetime | None = None,
    tenant: str | None = None,
) -> list[RouteStats]:
    """Per route and method over the last ``window_s`` seconds, busiest route first."""
    until = now or utcnow()
    since = until - timedelta(seconds=window_s)
    query = select(
        RequestLog.route, RequestLog.method, RequestLog.status, RequestLog.duration_ms
    ).where(RequestLog.created_at >= since, RequestLog.created_at <= until)
    if tenant is not None:
        query = query.where(RequestLog.tenant == tenant)
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    errors: dict[tuple[str, str], int] = defaultdict(int)
    client_errors: dict[tuple[str, str], int] = defaultdict(int)
    await db.settle()
    async with db.session() as session:
        for route, method, status, duration in await session.execute(query):
            durations[route, method].append(float(duration))
            if status >= 500:
                errors[route, method] += 1
            elif status >= 400:
                client_errors[route, method] += 1
    figures = []
    for (route, method), values in durations.items():
        values.sort()
        figures.append(
            RouteStats(
                route=route,
                method=method,
                count=len(values),
                errors=errors[route, method],
                client_errors=client_errors[route, method],
                mean_ms=sum(values) / len(values),
                p50_ms=percentile(values, 50),
                p95_ms=percentile(values, 95),
                p99_ms=percentile(values, 99),
                max_ms=values[-1],
            )
        )
    figures.sort(key=lambda s: (-s.count, s.route, s.method))
    return figures


async def prune(db: Database, *, max_age_s: float, now: datetime | None = None) -> int:
    """Delete requests older than ``max_age_s``; returns how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=max_age_s)
    async with db.session() as session, session.begin():
        result = await session.execute(
            delete(RequestLog)
            .where(RequestLog.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    return rowcount(result)


async def daily_counts(
    db: Database, *, days: int = 7, now: datetime | None = None
) -> dict[str, dict[str, int]]:
    """Requests per UTC day (``YYYY-MM-DD``, oldest first) and route over the last ``days``."""
    until = now or utcnow()
    start = (until - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    query = select(RequestLog.route, RequestLog.created_at).where(
        RequestLog.created_at >= start, RequestLog.created_at <= until
    )
    counts: dict[str, dict[str, int]] = {
        (start + timedelta(days=i)).strftime("%Y-%m-%d"): {} for i in range(days)
    }
    await db.settle()
    async with db.session() as session:
        for route, created_at in await session.execute(query):
            per_route = counts.setdefault(created_at.strftime("%Y-%m-%d"), {})
            per_route[route] = per_route.get(route, 0) + 1
    return counts
