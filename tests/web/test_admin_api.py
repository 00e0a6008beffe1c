"""The admin console's API (/api/v1/admin/...) and the page's serving, through the real HTTP API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from argus.api.app import create_app
from argus.auth.passwords import hash_password
from argus.config import Settings
from fakehub import pull_settings, running_hub, tiny_classifier
from support.waiting import wait_until

PASSWORD = "admin-api-test"
DIST = Path(__file__).resolve().parents[2] / "src" / "argus" / "web" / "dist" / "admin.js"


def admin_client(settings: Settings) -> TestClient:
    """A client of an app whose admin password is PASSWORD."""
    auth = settings.auth.model_copy(
        update={"admin_password_hash": SecretStr(hash_password(PASSWORD))}
    )
    return TestClient(create_app(settings.model_copy(update={"auth": auth})))


def login(client: TestClient) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/login",
        json={"username": Settings().auth.admin_username, "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with admin_client(settings) as c:
        yield c


def test_overview_counts_capability_requests_and_needs_the_admin(
    client: TestClient, encode_image: Callable[..., bytes], astronaut: Any
) -> None:
    refused = client.get("/api/v1/admin/overview")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    key = client.post(
        "/api/v1/keys", json={"tenant": "t1", "name": "k"}, headers=login(client)
    ).json()["secret"]
    assert client.get("/api/v1/admin/overview", headers={"X-API-Key": key}).status_code == 401

    admin = login(client)
    tasks = json.dumps([{"operation_id": "faces", "type": "detect_faces"}])
    photo = encode_image(astronaut)
    for _ in range(2):
        answer = client.post(
            "/analyze_image_upload/",
            files={"image_file": ("a.jpg", photo, "image/jpeg")},
            data={"tasks_json": tasks},
        )
        assert answer.status_code == 200
    body = wait_until(
        lambda: (
            (o := client.get("/api/v1/admin/overview", headers=admin).json())["requests"]["total"]
            == 2
            and o
        ),
        "two analysis requests in the overview",
    )
    assert body["requests"]["by_capability"] == {"analysis": 2}
    assert sum(d["by_capability"].get("analysis", 0) for d in body["requests"]["by_day"]) == 2
    assert len(body["requests"]["by_day"]) == 7
    assert body["requests"]["platform"] >= 2  # the logins and the key, counted apart
    route = next(r for r in body["latency"] if r["route"] == "/analyze_image_upload/")
    assert route["count"] == 2 and route["capability"] == "analysis"
    assert 0 < route["p50_ms"] <= route["p95_ms"] <= route["p99_ms"]
    assert set(body["jobs"]) >= {"pending", "running", "completed", "failed"}
    assert body["seed000"]["available"] is True
    assert body["seed000"]["requests"]["total_requests"] == 0  # no /api/v1/classify call yet


def test_admin_jobs_lists_every_tenants_jobs(
    client: TestClient, encode_image: Callable[..., bytes], coffee: Any
) -> None:
    admin = login(client)
    key = client.post("/api/v1/keys", json={"tenant": "other", "name": "k"}, headers=admin)
    started = client.post(
        "/api/v1/anonymize",
        files={"files": ("coffee.jpg", encode_image(coffee), "image/jpeg")},
        headers={"X-API-Key": key.json()["secret"]},
    )
    if started.status_code == 404:
        pytest.skip("no anonymize job API in this build")
    assert started.status_code == 202, started.text
    jobs = client.get("/api/v1/admin/jobs", headers=admin).json()
    assert [j["job_id"] for j in jobs] == [started.json()["job_id"]]
    assert client.get("/api/v1/jobs", headers=admin).json()["jobs"] == []  # tenant default's


def test_pull_is_refused_offline_and_unknown_models_are_404(client: TestClient) -> None:
    admin = login(client)
    offline = client.post("/api/v1/admin/models/arcface-w600k-r50/pull", headers=admin)
    assert offline.status_code == 403
    assert offline.json()["error"]["code"] == "downloads_disabled"
    assert "ARGUS_OFFLINE" in offline.json()["error"]["message"]
    unknown = client.post("/api/v1/admin/models/no-such-model/pull", headers=admin)
    assert unknown.status_code == 404
    never = client.get("/api/v1/admin/models/arcface-w600k-r50/pull", headers=admin)
    assert never.status_code == 404


def test_pull_runs_in_the_background_and_reports_progress(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with running_hub(monkeypatch, tmp_path) as hub:
        graph = tiny_classifier(4 * np.eye(3, 3, dtype=np.float32))
        hub.add_repo("immich-app/buffalo_l", {"recognition/model.onnx": graph})
        with admin_client(pull_settings(tmp_path, hub)) as c:
            admin = login(c)
            started = c.post("/api/v1/admin/models/arcface-w600k-r50/pull", headers=admin)
            assert started.status_code == 202, started.text
            assert started.json()["status"] in ("running", "completed")
            url = "/api/v1/admin/models/arcface-w600k-r50/pull"
            done = wait_until(
                lambda: (p := c.get(url, headers=admin).json())["status"] != "running" and p,
                "the pull to end",
            )
            assert done["status"] == "completed", done
            assert done["bytes_done"] == done["bytes_total"] == len(graph)
            model = c.get("/api/v1/models/arcface-w600k-r50", headers=admin).json()
            assert model["installed"] is True


@pytest.mark.skipif(not DIST.is_file(), reason="the admin console is not built (make web)")
def test_the_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/admin")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="login-form"' in page.text
    script = client.get("/admin/assets/admin.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/api/v1/admin/overview" in script.text
    assert client.get("/admin/assets/admin.css").status_code == 200
    assert client.get("/admin/assets/index.html").status_code == 404
    assert client.get("/admin/assets/..%2Fdist%2Fadmin.js").status_code == 404
    assert client.get("/admin/", follow_redirects=False).status_code == 308
