"""The test database servers' URLs, and launching (and waiting for) an ``argus serve``.

PostgreSQL and MariaDB are the ones ``scripts/ci-services.sh`` starts, each with its own
``argus_test`` database; ``ARGUS_TEST_POSTGRES_URL`` / ``ARGUS_TEST_MYSQL_URL`` point elsewhere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

POSTGRES_ENV = "ARGUS_TEST_POSTGRES_URL"
MARIADB_ENV = "ARGUS_TEST_MYSQL_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/argus_test"
MARIADB_DEFAULT = "mysql://argus:argus@127.0.0.1:3306/argus_test"


def postgres_url() -> str:
    return os.environ.get(POSTGRES_ENV) or POSTGRES_DEFAULT


def mariadb_url() -> str:
    return os.environ.get(MARIADB_ENV) or MARIADB_DEFAULT


def wait_for_health(proc: subprocess.Popen[bytes], base: str, timeout_s: float = 120) -> None:
    """Return once ``base``/health answers; fail if the server exits or takes ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(f"{base}/health", timeout=2)
            return
        except httpx.TransportError:
            assert proc.poll() is None, "the server exited before it answered"
            assert time.monotonic() < deadline, f"server did not start within {timeout_s:g} s"
            time.sleep(0.2)


def free_port() -> int:
    """A loopback port free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve_workers(
    data_dir: Path, workers: int = 2, **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    """``argus serve --workers N`` on a free loopback port, offline, on ``data_dir``, with the
    extra ``ARGUS_*`` variables in ``env``; the process and its base URL (not yet answering)."""
    port = free_port()
    environ = {
        **os.environ,
        "ARGUS_PORT": str(port),
        "ARGUS_DATA_DIR": str(data_dir),
        "ARGUS_OFFLINE": "1",
        **env,
    }
    argus = str(Path(sys.executable).with_name("argus"))
    proc = subprocess.Popen(
        [argus, "serve", "--workers", str(workers)], env=environ, stdout=subprocess.DEVNULL
    )
    return proc, f"http://127.0.0.1:{port}"
