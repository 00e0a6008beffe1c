"""Helpers for browser tests: `argus serve` as a subprocess on a free port, and Chromium.

:func:`require_browser` is each test module's module-level skip (outside CI) or failure (in CI)
when Chromium, Playwright or the built pages are missing; the other helpers start things.
The server's output goes to ``<data_dir>/server.log``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path(os.environ.get("ARGUS_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def require_browser(built: tuple[Path, ...], what: str) -> None:
    """Skip the calling test module (fail it under CI) unless Debian's Chromium, the playwright
    package and every file of ``built`` (``what``, built by ``make web``) are there."""
    why: str | None = None
    if not CHROMIUM.exists():
        why = f"Debian's Chromium is not installed at {CHROMIUM} (make sysdeps installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "the playwright package is not installed (pip install playwright)"
    if why is None and not all(p.is_file() for p in built):
        why = f"{what} not built (make web)"
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run under CI: {why}", pytrace=False)
    pytest.skip(why, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def argus_server(data: Path, env: dict[str, str]) -> Iterator[str]:
    """Run ``argus serve`` with ``ARGUS_DATA_DIR=data`` plus ``env``; yields its base URL."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_AUTH__")}
    full_env = {**inherited, "ARGUS_DATA_DIR": str(data), **env}
    argus = shutil.which("argus", path=str(Path(sys.executable).parent))
    command = [argus] if argus else [sys.executable, "-m", "argus.cli.main"]
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"argus serve exited: {(data / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("argus serve did not answer within 90 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
