"""The first hour in a real browser: the API pages offline, the admin first run, a failed pull.

One `argus serve` with no admin password configured and a loopback fake model hub that holds no
repositories (so every pull fails the way a missing repo does), and Chromium with every request
to another host refused: `/docs` and `/redoc` must render the API from the server alone. Skips
like test_admin_console.py without Chromium, playwright or the built page (a failure under CI).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, argus_server, require_browser

from fakehub import FakeHub

DIST = Path(__file__).resolve().parents[2] / "src" / "argus" / "web" / "dist"
PASSWORD = "first run password"


require_browser(
    (DIST / "admin.js", DIST / "redoc.standalone.js"), "the admin console and API pages are"
)

from playwright.sync_api import Browser, Page, Route, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    fake = FakeHub().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("first-run")


@pytest.fixture(scope="module")
def server(data_dir: Path, hub: FakeHub) -> Iterator[str]:
    env = {
        "ARGUS_OFFLINE": "0",
        "ARGUS_MODELS__HUB_ENDPOINT": hub.url,
        "HF_HOME": str(data_dir / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "0",
        "HF_TOKEN": "",
        "NO_PROXY": "127.0.0.1,localhost",
        "ARGUS_LOG_LEVEL": "warning",
    }
    with argus_server(data_dir, env) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def offline_page(browser: Browser, server: str) -> Iterator[tuple[Page, list[str]]]:
    """A tab that may reach only the Argus server: any other request is refused and listed."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, base_url=server)
    elsewhere: list[str] = []

    def only_argus(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_argus)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab, elsewhere
    context.close()
    assert not errors, f"the page threw: {errors}"


def setup_token(data_dir: Path) -> str:
    log = (data_dir / "server.log").read_text()
    found = re.search(r"/admin#setup=([A-Za-z0-9_-]+)", log)
    assert found, f"no set-up link in the start-up log: {log[-2000:]}"
    return found.group(1)


def test_swagger_ui_renders_the_api_with_no_network(offline_page: tuple[Page, list[str]]) -> None:
    page, elsewhere = offline_page
    page.goto("/docs")
    classify = page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/classify$"))
    expect(classify.first).to_be_visible(timeout=30_000)
    expect(page.locator(".opblock-tag", has_text="location (seed 000)")).to_be_visible()
    assert elsewhere == []


def test_redoc_renders_the_api_with_no_network(offline_page: tuple[Page, list[str]]) -> None:
    page, elsewhere = offline_page
    page.goto("/redoc")
    expect(page.locator("h1", has_text="Argus").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/v1/classify", exact=True).first).to_be_attached()
    expect(page.locator("[role=menuitem]", has_text="location (seed 000)").first).to_be_visible()
    assert elsewhere == []


def test_the_start_up_log_says_how_to_set_the_admin_password(data_dir: Path, server: str) -> None:
    log = (data_dir / "server.log").read_text()
    assert "No admin password is set" in log
    assert f"{server}/admin#setup=" in log
    assert "argus admin set-password" in log


def test_without_the_token_the_page_explains_and_refuses(
    offline_page: tuple[Page, list[str]], server: str
) -> None:
    page, _ = offline_page
    page.goto("/admin")
    form = page.locator("#setup-form")
    expect(form).to_be_visible()
    expect(page.locator("#login-form")).to_be_hidden()
    expect(form).to_contain_text("argus admin set-password")
    expect(form).to_contain_text("log")
    page.fill("#setup-token", "not-the-token")
    page.fill("#setup-password", PASSWORD)
    page.fill("#setup-again", PASSWORD)
    page.click("#setup-submit")
    expect(page.locator("#setup-error")).to_contain_text("Wrong set-up token")
    assert httpx.get(f"{server}/api/v1/auth/setup").json()["needed"] is True


def test_the_link_from_the_log_sets_the_password_and_signs_in(
    offline_page: tuple[Page, list[str]], server: str, data_dir: Path
) -> None:
    page, _ = offline_page
    token = setup_token(data_dir)
    page.goto(f"/admin#setup={token}")
    expect(page.locator("#setup-token")).to_have_value(token)
    expect(page.locator("#setup-username")).to_have_value("admin")
    page.fill("#setup-password", PASSWORD)
    page.fill("#setup-again", PASSWORD)
    page.click("#setup-submit")
    expect(page.locator("#nav")).to_be_visible()
    expect(page.locator("#dashboard")).to_have_attribute("data-loaded", "true")
    assert "setup=" not in page.url  # the spent token left the address bar
    login = {"username": "admin", "password": PASSWORD}
    assert httpx.post(f"{server}/api/v1/auth/login", json=login).status_code == 200
    again = httpx.post(f"{server}/api/v1/auth/setup", json={"token": token, "password": "x" * 9})
    assert again.status_code == 409  # the token is spent; the password stays


def test_a_failed_pull_stops_its_bar_and_offers_a_retry(
    offline_page: tuple[Page, list[str]], hub: FakeHub, server: str, data_dir: Path
) -> None:
    page, _ = offline_page
    if httpx.get(f"{server}/api/v1/auth/setup").json()["needed"]:  # run alone (-k)
        body = {"token": setup_token(data_dir), "password": PASSWORD}
        assert httpx.post(f"{server}/api/v1/auth/setup", json=body).status_code == 200
    page.goto("/admin")
    page.fill("#login-username", "admin")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#nav")).to_be_visible()
    page.click("nav button[data-section=models]")
    row = page.locator("#models-table tr[data-model=clip-vit-b-32]")
    row.locator("button").click()
    retry = row.locator("button[data-retry]")
    expect(retry).to_be_visible(timeout=60_000)  # the fake hub holds no such repository
    expect(row).to_contain_text("failed")
    assert row.locator("progress").count() == 0  # no bar left moving
    asked = len(hub.requests)
    retry.click()
    deadline = time.monotonic() + 60
    while len(hub.requests) == asked:  # the retry really asks the hub again
        assert time.monotonic() < deadline, "the retry never reached the hub"
        time.sleep(0.2)
    expect(row.locator("button[data-retry]")).to_be_visible(timeout=60_000)
    expect(row).to_contain_text("was not found")
