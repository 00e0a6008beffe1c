"""Request ids, Prometheus metrics and per-request timing spans."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from argus import timing
from argus.api.app import create_app
from argus.config import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    a = client.get("/health").headers["X-Request-ID"]
    b = client.get("/health").headers["X-Request-ID"]
    assert a and b and a != b


def test_a_sane_client_request_id_is_echoed_and_a_hostile_one_replaced(
    client: TestClient,
) -> None:
    assert client.get("/", headers={"X-Request-ID": "trace-42"}).headers["X-Request-ID"] == (
        "trace-42"
    )
    hostile = "x" * 500 + "\r\n"
    echoed = client.get("/", headers={"X-Request-ID": hostile.strip()}).headers["X-Request-ID"]
    assert echoed != hostile.strip()
    assert len(echoed) <= 128


def test_metrics_count_requests_per_route_template(client: TestClient) -> None:
    for _ in range(3):
        client.get("/api/v1/models/nudenet-320n")
    client.get("/api/v1/models/no-such-model")
    text = client.get("/metrics").text
    assert (
        'argus_http_requests_total{method="GET",route="/api/v1/models/{name:path}",'
        'status="200"} 3.0' in text
    )
    assert 'route="/api/v1/models/{name:path}",status="404"} 1.0' in text
    assert "argus_http_request_seconds_bucket" in text


def test_spans_add_up_inside_a_collection_and_vanish_outside() -> None:
    with timing.span("decode"):
        pass  # outside a request: nothing to record into, no error
    with timing.collect() as spans:
        for _ in range(2):
            with timing.span("decode"):
                sum(range(1000))
    assert set(spans.ms) == {"decode"}
    assert spans.ms["decode"] > 0


def test_seed_000_health_shape(client: TestClient) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "healthy"
    assert body["database"] == "connected"
    assert set(body) == {"status", "timestamp", "database", "model_api"}


def test_api_requests_are_logged_with_route_status_and_timings(client: TestClient) -> None:
    import time

    from argus.store import request_log

    client.get("/api/v1/models/nudenet-320n")
    client.get("/api/v1/models/nope")
    client.get("/health")  # probes are not logged
    db = client.app.state.db  # type: ignore[attr-defined]
    rows: list[object] = []
    for _ in range(50):  # the row is written in the background after the response
        rows = client.portal.call(lambda: request_log.recent(db, limit=10))  # type: ignore[union-attr]
        if len(rows) >= 2:
            break
        time.sleep(0.05)
    seen = sorted((r.route, r.status) for r in rows)  # type: ignore[attr-defined]
    assert seen == [("/api/v1/models/{name:path}", 200), ("/api/v1/models/{name:path}", 404)]
    assert all(r.tenant == "default" for r in rows)  # type: ignore[attr-defined]


def test_the_request_timing_breakdown_counts_database_time(client: TestClient) -> None:
    """Store statements run through the request's context: they show up as the "store" step."""
    from argus.store import request_log

    db = client.app.state.db  # type: ignore[attr-defined]

    async def one_request() -> dict[str, float]:
        with timing.collect() as spans:
            await request_log.recent(db, limit=1)
        return spans.ms

    assert client.portal is not None
    ms = client.portal.call(one_request)
    assert set(ms) == {"store"}
    assert ms["store"] > 0


def test_routes_of_nested_routers_are_named_with_their_prefix(client: TestClient) -> None:
    """The stats routes live in a router included into another: they show as the full
    template in /metrics and the request log (the dashboard's latency table), not `/today`."""
    import time

    from argus.store import request_log

    client.get("/api/v1/stats/today", headers={"Authorization": "Bearer e30.e30.bad"})
    text = client.get("/metrics").text
    assert 'route="/api/v1/stats/today",status="401"} 1.0' in text
    assert 'route="/today"' not in text
    db = client.app.state.db  # type: ignore[attr-defined]
    routes: set[str] = set()
    for _ in range(50):  # the row is written in the background after the response
        rows = client.portal.call(lambda: request_log.recent(db, limit=10))  # type: ignore[union-attr]
        routes = {r.route for r in rows}
        if routes:
            break
        time.sleep(0.05)
    assert routes == {"/api/v1/stats/today"}
