"""Request log: recent rows and per-route counts and percentiles over a window."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from store_support import Run

from argus.store import request_log
from argus.store.db import Database
from argus.store.request_log import RouteStats, percentile
from argus.store.tables import RequestLog, utcnow


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, math.nan),
        ([7.0], 99, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([float(v) for v in range(1, 101)], 95, 95.05),
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    if math.isnan(expected):
        assert math.isnan(percentile(values, q))
    else:
        assert percentile(values, q) == pytest.approx(expected)


def test_recent_requests_newest_first_with_their_timings(run: Run) -> None:
    start = utcnow()

    async def body(db: Database) -> tuple[list[RequestLog], list[RequestLog]]:
        for i in range(5):
            await request_log.add(
                db,
                request_id=f"req-{i}",
                route="/api/v1/classify",
                method="post",
                status=200,
                duration_ms=10.0 + i,
                tenant="acme" if i % 2 else "globex",
                timings={"decode": 1.5, "model": 8.0 + i, "store": 0.5},
                created_at=start + timedelta(milliseconds=i),
            )
        return await request_log.recent(db, limit=3), await request_log.recent(db, tenant="acme")

    latest, acme = run(body)
    assert [r.request_id for r in latest] == ["req-4", "req-3", "req-2"]
    assert latest[0].timings == {"decode": 1.5, "model": 12.0, "store": 0.5}
    assert latest[0].method == "POST"
    assert [r.request_id for r in acme] == ["req-3", "req-1"]


def test_route_stats_over_a_window(run: Run) -> None:
    now = utcnow()

    async def body(db: Database) -> tuple[list[RouteStats], int]:
        async def add(route: str, status: int, ms: float, age_s: float) -> None:
            await request_log.add(
                db,
                request_id="r",
                route=route,
                method="GET",
                status=status,
                duration_ms=ms,
                created_at=now - timedelta(seconds=age_s),
            )

        for ms in range(1, 101):  # 1..100 ms on /a within the window
            await add("/a", 500 if ms == 100 else 200, float(ms), 10)
        await add("/b", 404, 5.0, 10)
        await add("/b", 200, 7.0, 10)
        await add("/a", 200, 10_000.0, 7200)  # outside the one-hour window
        figures = await request_log.route_stats(db, window_s=3600, now=now)
        pruned = await request_log.prune(db, max_age_s=3600, now=now)
        return figures, pruned

    figures, pruned = run(body)
    a, b = figures
    assert (a.route, a.method, a.count, a.errors, a.client_errors) == ("/a", "GET", 100, 1, 0)
    assert a.p50_ms == pytest.approx(50.5)
    assert a.p95_ms == pytest.approx(95.05)
    assert a.max_ms == 100.0
    assert a.mean_ms == pytest.approx(50.5)
    assert (b.route, b.count, b.errors, b.client_errors, b.p50_ms) == ("/b", 2, 0, 1, 6.0)
    assert pruned == 1


def test_no_requests_no_figures(run: Run) -> None:
    assert run(lambda db: request_log.route_stats(db)) == []
