"""The admin console in a real browser: Playwright driving Debian's Chromium against `argus serve`.

One server (a subprocess on a free loopback port, temp data dir, offline, keys required, an admin
password hash from the environment) and one browser serve the whole module. Screenshots of the
dashboard and the try-it page land in test-artifacts/. Without Chromium or the playwright package
the module skips, except under CI (env CI set) where that is a failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from browser_support import CHROMIUM, argus_server, require_browser

from argus.auth.passwords import hash_password
from argus.config import Settings
from support.waiting import wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DIST = Path(__file__).resolve().parents[2] / "src" / "argus" / "web" / "dist" / "admin.js"
PASSWORD = "correct horse battery staple"
ASTRONAUT_FACE = (179.0, 83.0, 267.0, 171.0)  # dlib HOG's box, checked by the analysis tests


require_browser((DIST,), "the admin console is")

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {
        "ARGUS_OFFLINE": "1",
        "ARGUS_AUTH__ADMIN_PASSWORD_HASH": hash_password(PASSWORD),
        "ARGUS_AUTH__REQUIRE_KEYS": "true",
        "ARGUS_LOG_LEVEL": "warning",
    }
    with argus_server(tmp_path_factory.mktemp("console"), env) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, base_url=server)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture(scope="module")
def admin_token(server: str) -> str:
    username = Settings().auth.admin_username
    answer = httpx.post(
        f"{server}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def log_in(page: Page, password: str = PASSWORD) -> None:
    page.goto("/admin")
    page.fill("#login-username", Settings().auth.admin_username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    if password == PASSWORD:
        expect(page.locator("#nav")).to_be_visible()


def overview(server: str, token: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{server}/api/v1/admin/overview", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_wrong_password_is_refused(page: Page) -> None:
    log_in(page, password="not the password")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    expect(page.locator("#dashboard")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('argus-admin-token')") is None


def test_dashboard_counts_match_the_api(
    page: Page, server: str, admin_token: str, encode_image: Callable[..., bytes], astronaut: Any
) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    before = overview(server, admin_token)["requests"]["total"]
    photo = encode_image(astronaut)
    tasks = json.dumps([{"operation_id": "category", "type": "classify_photo_category"}])
    for _ in range(2):
        answer = httpx.post(
            f"{server}/analyze_image_upload/",
            files={"image_file": ("astronaut.jpg", photo, "image/jpeg")},
            data={"tasks_json": tasks},
            headers=auth,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
    classified = httpx.post(
        f"{server}/api/v1/classify",
        files={"image": ("astronaut.jpg", photo, "image/jpeg")},
        headers=auth,
        timeout=60,
    )
    assert classified.status_code == 200, classified.text
    wait_until(
        lambda: overview(server, admin_token)["requests"]["total"] == before + 3,
        "the three requests in the request log",
    )
    log_in(page)
    expect(page.locator("#dashboard")).to_have_attribute("data-loaded", "true")
    served = overview(server, admin_token)
    shown = page.locator("#stat-requests")
    assert int(shown.get_attribute("data-value") or "-1") == served["requests"]["total"]
    assert served["requests"]["by_capability"]["analysis"] >= 2
    seed = httpx.get(f"{server}/api/v1/stats/requests", headers=auth).json()["data"]
    classify = int(page.locator("#stat-classify").get_attribute("data-value") or "-1")
    assert classify == seed["total_requests"] == 1
    expect(page.locator("#chart-categories")).to_be_visible()  # single_person, from the classify
    expect(page.locator("#latency-table")).to_contain_text("/analyze_image_upload/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)


def test_try_it_draws_the_astronauts_face(
    page: Page, encode_image: Callable[..., bytes], astronaut: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(encode_image(astronaut))
    log_in(page)
    page.click("nav button[data-section=tryit]")
    page.set_input_files("#tryit-file", str(photo))
    page.click("#tryit-run")
    canvas = page.locator("#tryit-canvas")
    expect(canvas).not_to_have_attribute("data-state", "empty", timeout=60_000)
    assert canvas.get_attribute("data-state") == "done", page.locator("#tryit-status").inner_text()
    boxes = json.loads(canvas.get_attribute("data-boxes") or "[]")
    faces = [b["box"] for b in boxes if b["op"] == "detect_faces"]
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0]
    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE
    overlap = max(0.0, min(x1, fx1) - max(x0, fx0)) * max(0.0, min(y1, fy1) - max(y0, fy0))
    assert overlap / ((fx1 - fx0) * (fy1 - fy0)) > 0.7
    # The box is really painted: on its left edge, mid-height, the face colour (the edge of a
    # box with fractional coordinates is anti-aliased: one of the pixels around it is solid).
    edge = [
        page.evaluate(
            """([x, y]) => Array.from(document.getElementById('tryit-canvas')
                .getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3))""",
            [x, round((y0 + y1) / 2)],
        )
        for x in (int(x0) - 1, int(x0), int(x0) + 1)
    ]
    assert any(np.allclose(rgb, [0x00, 0xE6, 0x76], atol=40) for rgb in edge), edge
    expect(page.locator("#tryit-results [data-op=detect_faces]")).to_have_attribute(
        "data-status", "success"
    )
    expect(page.locator("#tryit-results [data-op=classify_photo_category]")).to_contain_text(
        "single_person"
    )
    page.click("#tryit-anonymize")  # faces and plates, faces blurred by default
    expect(page.locator("#anon-result")).to_be_visible(timeout=60_000)
    assert page.evaluate("document.getElementById('anon-result').naturalWidth") == 512
    status = page.locator("#anon-status")
    expect(status).to_contain_text("completed")
    assert int(status.get_attribute("data-hidden") or "0") >= 1, status.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-try-it.png"), full_page=True)


def test_a_key_revoked_in_the_page_is_refused(page: Page, server: str) -> None:
    log_in(page)
    page.click("nav button[data-section=keys]")
    page.fill("#key-name", "browser-test")
    page.click("#key-create")
    expect(page.locator("#key-secret-box")).to_be_visible()
    secret = page.locator("#key-secret").inner_text().strip()
    models = f"{server}/api/v1/models"
    assert httpx.get(models, headers={"X-API-Key": secret}).status_code == 200
    assert httpx.get(models).status_code == 401  # keys are required on this server
    row = page.locator("#keys-table tbody tr", has_text="browser-test")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[data-revoke]").click()
    expect(row).to_have_attribute("data-revoked", "true")
    refused = httpx.get(models, headers={"X-API-Key": secret})
    assert refused.status_code in (401, 403)
    assert "revoked" in refused.json()["error"]["message"]


def test_models_page_lists_the_catalog_and_refuses_pulls_offline(page: Page) -> None:
    log_in(page)
    page.click("nav button[data-section=models]")
    face = page.locator("#models-table tr[data-model=dlib-hog-face]")
    expect(face).to_contain_text("yes")
    not_installed = page.locator("#models-table tbody tr", has=page.locator("button")).first
    not_installed.locator("button").click()
    expect(page.locator("#models-error")).to_contain_text("Downloads are disabled")
