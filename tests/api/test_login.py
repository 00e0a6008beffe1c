"""Admin login under attack: bcrypt off the event loop, throttled, same work for unknown users."""

from __future__ import annotations

import asyncio

import bcrypt
import httpx
import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.auth.passwords import _cost, _dummy_hash, check_login
from argus.config import AuthSettings, Settings

PASSWORD = "correct horse battery staple"


def _settings(base: Settings, **auth: object) -> Settings:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=13)).decode()
    return base.model_copy(
        update={"auth": AuthSettings(admin_username="root", admin_password_hash=hashed, **auth)}
    )


def test_health_answers_while_wrong_logins_are_being_checked(settings: Settings) -> None:
    app = create_app(_settings(settings, login_max_failures=0))

    async def main() -> tuple[int, int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                logins = [
                    asyncio.create_task(
                        client.post(
                            "/api/v1/auth/login", json={"username": "root", "password": f"x{i}"}
                        )
                    )
                    for i in range(4)
                ]
                health = await client.get("/health")
                in_flight = sum(not task.done() for task in logins)
                answers = await asyncio.gather(*logins)
                assert {a.status_code for a in answers} == {401}
                return health.status_code, in_flight

    status, in_flight = asyncio.run(main())
    assert status == 200
    assert in_flight > 0  # /health did not wait for the bcrypt checks


def test_repeated_failures_are_throttled_per_address_and_user(settings: Settings) -> None:
    with TestClient(create_app(_settings(settings, login_max_failures=3))) as client:
        for _ in range(3):
            wrong = client.post("/api/v1/auth/login", json={"username": "root", "password": "no"})
            assert wrong.status_code == 401
        refused = client.post("/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        # another user name from the same address is not locked out by root's failures
        other = client.post("/api/v1/auth/login", json={"username": "admin", "password": "no"})
        assert other.status_code == 401


def test_a_right_password_clears_the_failures(settings: Settings) -> None:
    with TestClient(create_app(_settings(settings, login_max_failures=2))) as client:
        client.post("/api/v1/auth/login", json={"username": "root", "password": "no"})
        ok = client.post("/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
        assert ok.status_code == 200
        client.post("/api/v1/auth/login", json={"username": "root", "password": "no"})
        again = client.post("/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
        assert again.status_code == 200


@pytest.mark.parametrize("username", ["root", "nobody"])
def test_unknown_users_cost_a_bcrypt_check_of_the_same_work_factor(username: str) -> None:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    assert _cost(hashed) == 5
    assert _dummy_hash(5).startswith(b"$2b$05$")
    assert check_login(username, "wrong", expected_user="root", hashed=hashed) is False
    assert check_login(username, PASSWORD, expected_user="root", hashed=hashed) is (
        username == "root"
    )
    assert check_login(username, PASSWORD, expected_user="root", hashed=None) is False
