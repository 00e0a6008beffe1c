"""`Database`: one async SQLAlchemy engine, its session factory, migrations and a health check.

Plain URLs are mapped to the async drivers (``sqlite://`` to aiosqlite, ``postgresql://`` to
asyncpg, ``mysql://``/``mariadb://`` to aiomysql), so users write the URL they know. SQLite gets
WAL mode, foreign keys and a busy timeout on every connection. Alembic runs on the async engine
through ``run_sync``: no second, synchronous driver is needed. Alembic's configuration is built
here, in code, from the migrations shipped inside the package.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, CursorResult, Result, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from argus import timing
from argus.store.revision import MIGRATIONS_DIR, shipped_head
from argus.store.tables import Base

if TYPE_CHECKING:
    from alembic.config import Config

    from argus.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
}


def async_url(url: str | URL) -> URL:
    """The URL with its driver replaced by the async one Argus ships (explicit drivers are kept).

    MySQL/MariaDB connections default to ``charset=utf8mb4``.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.drivername in _ASYNC_DRIVERS:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[parsed.drivername])
    elif backend not in ("sqlite", "postgresql", "mysql", "mariadb"):
        raise ValueError(f"unsupported database {backend!r}: use sqlite, postgresql or mysql")
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def alembic_config() -> Config:
    """Alembic's configuration for Argus's migrations; no ``alembic.ini`` is involved."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped with this version of Argus."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _started(conn: Any, _cursor: Any, _stmt: Any, _params: Any, _ctx: Any, _many: Any) -> None:
    conn.info.setdefault("argus_started", []).append(time.perf_counter())


def _finished(conn: Any, _cursor: Any, _stmt: Any, _params: Any, _ctx: Any, _many: Any) -> None:
    """Each statement's time goes to the current request's "store" step (argus.timing)."""
    started: list[float] = conn.info.get("argus_started", [])
    if started:
        timing.record("store", time.perf_counter() - started.pop())


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str | URL, *, echo: bool = False, pool_size: int = 5) -> None:
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "mariadb":
            self.dialect = "mysql"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            path = self.url.database
            if not path or path == ":memory:":
                # One shared connection, or every session would see its own empty database.
                kwargs["poolclass"] = StaticPool
            else:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(pool_size=pool_size, pool_pre_ping=True, pool_recycle=3600)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(self.engine.sync_engine, "before_cursor_execute", _started)
        event.listen(self.engine.sync_engine, "after_cursor_execute", _finished)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        #: Writes deferred by this process (see :mod:`argus.store.write_behind`), run by
        #: :meth:`settle` before a read that must see them.
        self.pending_writes: Callable[[], Awaitable[Any]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(
            settings.resolved_database_url,
            echo=settings.database.echo,
            pool_size=settings.database.pool_size,
        )

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    async def settle(self) -> None:
        """Write what this process deferred (log rows, cache hits), so a read sees it all."""
        if self.pending_writes is not None:
            await self.pending_writes()

    def session(self) -> AsyncSession:
        """A new session; use it as ``async with db.session() as s, s.begin(): ...``."""
        return self.sessions()

    async def upgrade(self, revision: str = "head") -> None:
        """Run the migrations up to ``revision`` (creates every table on an empty database).

        A database already at the shipped head is left alone without importing Alembic.
        """
        if revision == "head" and await self._at_head():
            return
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_command, "upgrade", revision)

    async def downgrade(self, revision: str) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_command, "downgrade", revision)

    async def _at_head(self) -> bool:
        head = shipped_head()
        if head is None:
            return False
        try:
            async with self.engine.connect() as conn:
                rows = list(await conn.execute(text("SELECT version_num FROM alembic_version")))
        except DBAPIError:  # no version table yet: an empty database
            return False
        return [row[0] for row in rows] == [head]

    async def current_revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def schema_diff(self) -> list[Any]:
        """Differences between the live schema and ``tables.py`` (empty when they agree)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(_diff)

    async def check(self) -> str | None:
        """Health: None when a trivial query answers, else the error as text."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except DBAPIError as exc:  # the driver's own message, without SQLAlchemy's footer
            return f"{type(exc.orig).__name__}: {exc.orig}"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    async def dispose(self) -> None:
        """Close every pooled connection; call once when the process stops."""
        await self.engine.dispose()


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE run through ``session.execute``."""
    return cast(CursorResult[Any], result).rowcount


def _run_command(connection: Connection, name: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    getattr(command, name)(cfg, revision)


def _diff(connection: Connection) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))
