"""Helpers for browser tests: `argus serve` as a subprocess on a free port, and Chromium.

The module-level skip logic lives with each test module (see test_admin_console.py); these
helpers only start things. The server's output goes to ``<data_dir>/server.log``.
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
