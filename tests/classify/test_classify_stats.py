"""Seed 000's stats routes: admin token required with the seed's error bodies, and figures a
person can check by hand after a few uploads. Run on SQLite and on MariaDB (the seed's own
database family) when one answers (``ARGUS_TEST_MYSQL_URL``, default as in the store tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from argus.api.app import create_app
from argus.auth.passwords import hash_password
from argus.config import AuthSettings, ClassifySettings, DatabaseSettings, Settings
from argus.store.db import Database
from argus.store.tables import CacheEntry, ClassifyRequest, UsageCounter
from support.images import encode
from support.servers import mariadb_url

RGB = Any
PASSWORD = "seed zero admin"
MARIADB_URL = mariadb_url()


def _mariadb_ready(settings: Settings) -> str | None:
    url = make_url(MARIADB_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 3306), timeout=2):
            pass
    except OSError as exc:
        return f"MariaDB is not reachable: {exc}"

    async def prepare() -> str | None:
        db = Database.from_settings(settings)
        try:
            problem = await asyncio.wait_for(db.check(), timeout=10)
            if problem:
                return problem
            await db.upgrade()
            async with db.engine.begin() as conn:
                await conn.execute(delete(ClassifyRequest))
                await conn.execute(delete(CacheEntry))
                await conn.execute(delete(UsageCounter))
            return None
        finally:
            await db.dispose()

    return asyncio.run(prepare())


@pytest.fixture(params=["sqlite", "mariadb"])
def client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    update: dict[str, Any] = {
        "auth": AuthSettings(admin_username="zywl", admin_password_hash=hash_password(PASSWORD)),
        "classify": ClassifySettings(cost_per_api_call=0.05),
    }
    if request.param == "mariadb":
        update["database_url"] = MARIADB_URL
        update["database"] = DatabaseSettings(auto_upgrade=True)
    configured = settings.model_copy(update=update)
    if request.param == "mariadb":
        why = _mariadb_ready(configured)
        if why:
            if os.environ.get("CI"):
                pytest.fail(why)
            pytest.skip(why)
    with TestClient(create_app(configured)) as c:
        yield c


def admin(client: TestClient) -> dict[str, str]:
    resp = client.post("/api/v1/auth/login", json={"username": "zywl", "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


ROUTES = [
    "/api/v1/stats/today",
    "/api/v1/stats/cache-efficiency",
    "/api/v1/stats/category-distribution",
    "/api/v1/stats/inference-method",
    "/api/v1/stats/batch-cache?days=7",
    "/api/v1/stats/batch-classify?days=7",
    "/api/v1/stats/requests",
    "/api/v1/stats/cache",
    "/api/v1/stats/image-edit?days=7",
    "/api/v1/stats/download-count",
    "/api/v1/stats/bound-users-count",
    "/api/v1/stats/member-count",
]


def test_stats_need_the_admin_token_with_the_seed_error_bodies(client: TestClient) -> None:
    for route in ROUTES:
        missing = client.get(route)
        assert missing.status_code == 403, route
        assert missing.json() == {"detail": "Not authenticated"}
        bad = client.get(route, headers={"Authorization": "Bearer e30.e30.bad"})
        assert bad.status_code == 401, route
        assert bad.json() == {"detail": "未授权：无效的认证凭证"}
        assert bad.headers["WWW-Authenticate"] == "Bearer"
    token = admin(client)
    for route in ROUTES:
        resp = client.get(route, headers=token)
        assert resp.status_code == 200, route
        assert resp.json()["success"] is True


def test_figures_after_uploads_hits_and_a_batch(
    client: TestClient, astronaut: RGB, grace_hopper: RGB
) -> None:
    photo = encode(astronaut, quality=93)
    for _ in range(3):  # one classification, two cache hits
        assert client.post("/api/v1/classify", files={"image": ("a.jpg", photo)}).status_code == 200
    check = client.post(
        "/api/v1/classify/check-cache", json={"image_hash": hashlib.sha256(photo).hexdigest()}
    )
    assert check.json()["cached"] is True
    files = [("images", ("g.jpg", encode(grace_hopper))), ("images", ("bad.jpg", b"nope"))]
    assert client.post("/api/v1/classify/batch", files=files).status_code == 200
    token = admin(client)

    def get(route: str) -> Any:
        return client.get(route, headers=token).json()["data"]

    efficiency = get("/api/v1/stats/cache-efficiency")
    assert efficiency["total_cached_images"] == 2
    assert efficiency["times_saved"] == 3  # two uploads and one check-cache served from cache
    # Offline answers cost nothing: no paid call was saved (the seed's answers all came paid).
    assert (efficiency["paid_times_saved"], efficiency["cost_saved"]) == (0, 0.0)
    assert efficiency["max_hits"] == 4
    distribution = get("/api/v1/stats/category-distribution")
    assert distribution == [
        {
            "category": "single_person",
            "count": 2,
            "avg_confidence": pytest.approx(distribution[0]["avg_confidence"]),
            "percentage": 100.0,
        }
    ]
    methods = get("/api/v1/stats/inference-method")
    assert methods["total_requests"] == 5
    assert methods["local_direct"] == 2
    assert methods["from_cache"] == 2
    today = get("/api/v1/stats/today")
    assert today["classify"] == {"total": 5, "cached": 2, "llm_inference": 0, "local_inference": 2}
    daily = get("/api/v1/stats/batch-classify")["daily"]
    assert len(daily) == 1
    assert (daily[0]["total_requests"], daily[0]["success_count"], daily[0]["fail_count"]) == (
        1,
        1,
        1,
    )
    requests = get("/api/v1/stats/requests")
    assert requests["by_category"] == {"single_person": 4}
    assert requests["cache_hit_rate"] == 0.5
    assert get("/api/v1/stats/cache")["total_cached_images"] == 2


def test_download_counts_the_public_and_the_admin_way(client: TestClient) -> None:
    public = "/api/v1/stats/download-count/increment/public"
    for kind in ("android", "android", "windows"):
        resp = client.post(public, params={"download_type": kind})  # no token: the website
        assert resp.status_code == 200
        assert resp.json() == {"success": True}
    bad = client.post(public, params={"download_type": "ios"})
    assert bad.status_code == 400
    assert bad.json() == {"detail": "download_type必须是android或windows"}
    assert client.post(public).status_code == 422
    admin_route = "/api/v1/stats/download-count/increment"
    assert client.post(admin_route, params={"download_type": "windows"}).status_code == 403
    token = admin(client)
    counted = client.post(admin_route, params={"download_type": "windows"}, headers=token)
    assert counted.json() == {"success": True, "data": {"android": 2, "windows": 2, "total": 4}}
    one = client.get("/api/v1/stats/download-count?download_type=android", headers=token)
    assert one.json() == {"success": True, "data": {"android": 2}}
    members = client.get("/api/v1/stats/member-count", headers=token).json()
    assert members == {"success": True, "data": {"member_count": 0}}
    bound = client.get("/api/v1/stats/bound-users-count", headers=token).json()
    assert bound == {"success": True, "data": {"bound_users_count": 0}}
    edits = client.get("/api/v1/stats/image-edit?days=7", headers=token).json()
    assert edits == {"success": True, "data": {"daily": []}}


def test_location_stats_count_the_cities_and_the_queries(client: TestClient) -> None:
    assert client.get("/api/v1/location/stats").status_code == 403
    beijing = {"latitude": 39.9042, "longitude": 116.4074}
    for _ in range(2):
        assert client.get("/api/v1/location/nearest-city", params=beijing).status_code == 200
    nearby = client.get("/api/v1/location/nearby-cities", params={**beijing, "limit": 3})
    assert len(nearby.json()) == 3
    stats = client.get("/api/v1/location/stats", headers=admin(client)).json()
    assert stats["total_cities"] > 1000  # GeoNames: Chinese places of 15,000+ people
    assert stats["cities_queryable"] == stats["total_cities"]
    assert stats["queryable_coverage_percent"] == 100.0
    # GeoNames has Chinese names for most of them, and hundreds have 100,000+ people
    assert stats["total_cities"] > stats["cities_with_chinese"] > stats["total_cities"] // 2
    assert stats["total_cities"] > stats["cities_above_100k"] > 300
    assert stats["chinese_coverage_percent"] == pytest.approx(
        100 * stats["cities_with_chinese"] / stats["total_cities"], abs=0.01
    )
    assert (stats["nearest_queries_today"], stats["nearby_queries_today"]) == (2, 1)
    assert stats["total_queries_today"] == stats["total_queries_all"] == 3
