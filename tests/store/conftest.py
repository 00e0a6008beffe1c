"""Store tests run on SQLite, MariaDB and PostgreSQL.

SQLite uses a fresh file per test. The servers come from ``ARGUS_TEST_MYSQL_URL`` and
``ARGUS_TEST_POSTGRES_URL`` (defaults match ``scripts/ci-services.sh``); each is migrated from
empty once per session, and every test starts with empty tables. A server that does not answer
skips its tests, or fails them when ``CI`` is set. Tests are plain functions running one
``asyncio.run`` each: no async plugin.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from store_support import T, drop_everything, migrate, run_on

from argus.store.db import Database
from argus.store.tables import Base
from support.servers import MARIADB_DEFAULT, MARIADB_ENV, POSTGRES_DEFAULT, POSTGRES_ENV

SERVERS = {
    "mariadb": (MARIADB_ENV, MARIADB_DEFAULT),
    "postgresql": (POSTGRES_ENV, POSTGRES_DEFAULT),
}
BACKENDS = ["sqlite", *SERVERS]

_prepared: dict[str, str] = {}  # backend -> "" when ready, else why not


def _unreachable(url: str) -> str | None:
    parsed = make_url(url)
    host, port = parsed.host or "127.0.0.1", parsed.port
    if port is None:
        port = 5432 if parsed.get_backend_name().startswith("postgres") else 3306
    try:
        with socket.create_connection((host, port), timeout=2):
            pass
    except OSError as exc:
        return f"nothing answers on {host}:{port} ({exc})"

    async def check(db: Database) -> str | None:
        try:
            return await asyncio.wait_for(db.check(), timeout=10)
        except TimeoutError:
            return "no answer within 10 s"

    return run_on(url, check)


def _prepare(backend: str) -> str:
    """The server's URL, migrated from empty to head once per session; skips or fails."""
    env, default = SERVERS[backend]
    url = os.environ.get(env) or default
    if backend not in _prepared:
        why = _unreachable(url)
        if why is None:
            run_on(url, drop_everything)
            run_on(url, migrate)
        _prepared[backend] = why or ""
    why = _prepared[backend]
    if why:
        shown = make_url(url).render_as_string(hide_password=True)
        message = (
            f"{backend} test database {shown} is not reachable: {why}. "
            f"Run `sudo bash scripts/ci-services.sh` (or set {env})."
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


def _empty_tables(url: str) -> None:
    async def empty(db: Database) -> None:
        async with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))

    run_on(url, empty)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all; server databases are put back at head afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'argus.db'}"
        return
    url = _prepare(backend)
    run_on(url, drop_everything)
    yield url
    run_on(url, drop_everything)
    run_on(url, migrate)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> str:
    """A database at the newest migration with empty tables."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'argus.db'}"
        run_on(url, migrate)
        return url
    url = _prepare(backend)
    _empty_tables(url)
    return url


@pytest.fixture
def run(db_url: str) -> Callable[[Callable[[Database], Awaitable[Any]]], Any]:
    """``run(body)``: ``body(db)`` against this test's database."""

    def runner(body: Callable[[Database], Awaitable[T]]) -> T:
        return run_on(db_url, body)

    return runner
