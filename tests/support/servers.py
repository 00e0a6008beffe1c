"""The test database servers' URLs, and waiting for an ``argus serve`` a test launched.

PostgreSQL and MariaDB are the ones ``scripts/ci-services.sh`` starts, each with its own
``argus_test`` database; ``ARGUS_TEST_POSTGRES_URL`` / ``ARGUS_TEST_MYSQL_URL`` point elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import time

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
