"""API keys, tenants, admin login and rate limits through the real HTTP API and CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from argus.api.app import create_app
from argus.auth.passwords import hash_password
from argus.cli.main import app as cli
from argus.config import AuthSettings, Settings

PASSWORD = "correct horse battery staple"


def _settings(base: Settings, **auth: object) -> Settings:
    return base.model_copy(
        update={
            "auth": AuthSettings(
                admin_username="root", admin_password_hash=hash_password(PASSWORD), **auth
            )
        }
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(settings, require_keys=True))) as c:
        yield c


def _admin(client: TestClient) -> dict[str, str]:
    resp = client.post("/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86400
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_wrong_password_gets_the_seed_401(client: TestClient) -> None:
    resp = client.post("/api/v1/auth/login", json={"username": "root", "password": "nope"})
    assert resp.status_code == 401
    assert resp.json() == {"detail": "用户名或密码错误"}
    resp = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
    assert resp.status_code == 401


def test_keys_are_required_off_loopback_and_work_once_created(client: TestClient) -> None:
    resp = client.get("/api/v1/models")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"] == "Bearer"

    created = client.post(
        "/api/v1/keys", json={"tenant": "acme", "name": "ci"}, headers=_admin(client)
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert client.get("/api/v1/models", headers={"X-API-Key": secret}).status_code == 200
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/models", headers=bearer).status_code == 200
    assert client.get("/api/v1/models", headers={"X-API-Key": secret + "x"}).status_code == 401


def test_a_revoked_key_is_refused(client: TestClient) -> None:
    admin = _admin(client)
    created = client.post("/api/v1/keys", json={"tenant": "acme", "name": "temp"}, headers=admin)
    key_id, secret = created.json()["id"], created.json()["secret"]
    assert client.get("/api/v1/models", headers={"X-API-Key": secret}).status_code == 200
    assert client.delete(f"/api/v1/keys/{key_id}", headers=admin).status_code == 204
    assert client.get("/api/v1/models", headers={"X-API-Key": secret}).status_code == 401
    listed = client.get("/api/v1/keys", headers=admin).json()
    assert [k["revoked_at"] is not None for k in listed if k["id"] == key_id] == [True]
    assert all("secret" not in k for k in listed)


def test_key_management_needs_the_admin_and_logout_ends_the_token(client: TestClient) -> None:
    assert client.get("/api/v1/keys").status_code == 401
    admin = _admin(client)
    assert client.get("/api/v1/keys", headers=admin).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=admin).json() == {"message": "登出成功"}
    assert client.get("/api/v1/keys", headers=admin).status_code == 401


def test_rate_limit_answers_429_with_retry_after(client: TestClient) -> None:
    created = client.post(
        "/api/v1/keys",
        json={"tenant": "acme", "name": "slow", "rate_limit_per_min": 3},
        headers=_admin(client),
    )
    headers = {"X-API-Key": created.json()["secret"]}
    codes = [client.get("/api/v1/models", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/models", headers=headers)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_loopback_server_needs_no_key_by_default(settings: Settings) -> None:
    with TestClient(create_app(_settings(settings))) as c:
        assert c.get("/api/v1/models").status_code == 200


def test_non_loopback_server_requires_keys_by_default(settings: Settings) -> None:
    open_host = _settings(settings).model_copy(update={"host": "0.0.0.0"})
    with TestClient(create_app(open_host)) as c:
        assert c.get("/api/v1/models").status_code == 401


def test_cli_creates_lists_and_revokes_keys(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "--tenant", "acme", "--name", "laptop"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("argus_")
    listing = runner.invoke(cli, ["keys", "list"])
    assert "laptop" in listing.output
    assert secret not in listing.output
    with TestClient(create_app(_settings(settings, require_keys=True))) as c:
        assert c.get("/api/v1/models", headers={"X-API-Key": secret}).status_code == 200
        assert runner.invoke(cli, ["keys", "revoke", "1"]).exit_code == 0
        assert c.get("/api/v1/models", headers={"X-API-Key": secret}).status_code == 401


def test_set_password_prints_a_hash_that_logs_in(settings: Settings) -> None:
    result = CliRunner().invoke(
        cli, ["admin", "set-password", "--password-stdin"], input="s3cret!\n"
    )
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    name, _, quoted = line.partition("=")
    assert name == "ARGUS_AUTH__ADMIN_PASSWORD_HASH"
    configured = settings.model_copy(
        update={"auth": AuthSettings(admin_username="admin", admin_password_hash=quoted.strip("'"))}
    )
    with TestClient(create_app(configured)) as c:
        ok = c.post("/api/v1/auth/login", json={"username": "admin", "password": "s3cret!"})
        assert ok.status_code == 200


def test_first_run_sets_the_password_once_and_a_restart_keeps_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """No password configured: the log gives a set-up token; the first set-up with it works,
    is kept in the data dir (owner-only), and the next server start needs no set-up."""
    bare = settings.model_copy(update={"auth": AuthSettings()})
    with caplog.at_level("WARNING"), TestClient(create_app(bare)) as c:
        assert c.get("/api/v1/auth/setup").json() == {"needed": True, "username": "admin"}
        (line,) = [r.getMessage() for r in caplog.records if "No admin password" in r.message]
        token = line.split("#setup=")[1].split()[0]
        refused = c.post("/api/v1/auth/login", json={"username": "admin", "password": "x"})
        assert refused.status_code == 401
        wrong = c.post("/api/v1/auth/setup", json={"token": "guess", "password": "long enough"})
        assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "forbidden")
        short = c.post("/api/v1/auth/setup", json={"token": token, "password": "short"})
        assert short.status_code == 422
        done = c.post("/api/v1/auth/setup", json={"token": token, "password": "long enough"})
        assert done.status_code == 200, done.text
        auth = {"Authorization": f"Bearer {done.json()['access_token']}"}
        assert c.get("/api/v1/keys", headers=auth).status_code == 200
        again = c.post("/api/v1/auth/setup", json={"token": token, "password": "other one!"})
        assert again.status_code == 409
    stored = bare.data_dir / "admin-password-hash"
    assert stored.stat().st_mode & 0o777 == 0o600
    caplog.clear()
    with caplog.at_level("WARNING"), TestClient(create_app(bare)) as c:
        assert c.get("/api/v1/auth/setup").json()["needed"] is False
        login = {"username": "admin", "password": "long enough"}
        assert c.post("/api/v1/auth/login", json=login).status_code == 200
    assert not any("No admin password" in r.message for r in caplog.records)


def test_two_server_processes_on_one_data_dir_take_one_first_run_password(
    settings: Settings,
) -> None:
    """Each process prints its own token; the first set-up wins and the other process follows."""
    from argus.auth.first_run import AdminPassword
    from argus.auth.passwords import verify_password
    from argus.errors import AlreadySet

    bare = settings.model_copy(update={"auth": AuthSettings()})
    one, two = AdminPassword(bare), AdminPassword(bare)
    assert one.setup_token and two.setup_token and one.setup_token != two.setup_token
    one.set(one.setup_token, "first password")
    assert two.setup_needed is False
    with pytest.raises(AlreadySet):
        two.set("any", "second password")
    assert two.hash is not None and verify_password("first password", two.hash)


def test_metrics_need_a_key_when_keys_are_required(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    created = client.post(
        "/api/v1/keys", json={"tenant": "ops", "name": "scraper"}, headers=_admin(client)
    )
    key = created.json()["secret"]
    resp = client.get("/metrics", headers={"X-API-Key": key})
    assert resp.status_code == 200
    assert "argus" in resp.text
