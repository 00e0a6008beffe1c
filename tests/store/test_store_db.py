"""Database: URL mapping, migrations from empty to head with no drift, health, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from store_support import Run, run_on

from argus.config import Settings
from argus.store import keys, request_log
from argus.store.db import Database, async_url, head_revision
from argus.store.tables import Base


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///data/argus.db", "sqlite+aiosqlite"),
        ("postgresql://u:p@db/argus", "postgresql+asyncpg"),
        ("postgres://u:p@db/argus", "postgresql+asyncpg"),
        ("mysql://u:p@db/argus", "mysql+aiomysql"),
        ("mariadb://u:p@db/argus", "mysql+aiomysql"),
        ("postgresql+asyncpg://u:p@db/argus", "postgresql+asyncpg"),
    ],
)
def test_plain_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert async_url(url).drivername == driver


def test_mysql_connections_speak_utf8mb4() -> None:
    assert async_url("mysql://u:p@db/argus").query["charset"] == "utf8mb4"
    assert async_url("mysql://u:p@db/argus?charset=latin1").query["charset"] == "latin1"


def test_unknown_database_is_refused() -> None:
    with pytest.raises(ValueError, match="oracle"):
        async_url("oracle://u:p@db/argus")


def test_default_settings_put_sqlite_under_the_data_dir(settings: Settings) -> None:
    async def body(db: Database) -> str | None:
        return db.url.database

    path = run_on(settings.resolved_database_url, body)
    assert Path(path or "") == (settings.data_dir / "argus.db").resolve()
    assert settings.data_dir.is_dir()
    assert Database.from_settings(settings).dialect == "sqlite"


def test_migrations_build_every_table_from_empty_with_no_drift(empty_url: str) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        before = await db.current_revision()
        await db.upgrade()
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        return before, await db.current_revision(), tables, await db.schema_diff()

    before, after, tables, diff = run_on(empty_url, body)
    assert before is None
    assert after == head_revision()
    assert after is not None
    assert set(Base.metadata.tables) <= tables
    assert diff == []


def test_drift_is_noticed(empty_url: str) -> None:
    """The comparison is not vacuous: an index missing from the database shows up."""

    async def body(db: Database) -> list[Any]:
        await db.upgrade()
        drop = "DROP INDEX ix_result_cache_last_seen"
        if db.dialect == "mysql":
            drop += " ON result_cache"
        async with db.engine.begin() as conn:
            await conn.execute(text(drop))
        return await db.schema_diff()

    diff = run_on(empty_url, body)
    assert [d[0] for d in diff] == ["add_index"]
    assert diff[0][1].name == "ix_result_cache_last_seen"


def test_downgrade_to_base_and_back(run: Run) -> None:
    async def body(db: Database) -> tuple[set[str], str | None, list[Any]]:
        await db.downgrade("base")
        async with db.engine.connect() as conn:
            left = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await db.upgrade()
        return left, await db.current_revision(), await db.schema_diff()

    left, revision, diff = run(body)
    assert not left & set(Base.metadata.tables)
    assert revision == head_revision()
    assert diff == []


def test_health_check_answers(run: Run) -> None:
    assert run(lambda db: db.check()) is None


def test_health_check_names_the_failure() -> None:
    error = run_on("postgresql://postgres@127.0.0.1:1/nothing", lambda db: db.check())
    assert error is not None
    assert "refused" in error.lower() or "connect" in error.lower()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        async with db.engine.connect() as conn:
            mode = await conn.scalar(text("PRAGMA journal_mode"))
            fks = await conn.scalar(text("PRAGMA foreign_keys"))
            busy = await conn.scalar(text("PRAGMA busy_timeout"))
        return mode, fks, busy

    mode, fks, busy = run_on(f"sqlite:///{tmp_path / 'x' / 'argus.db'}", body)
    assert (mode, fks) == ("wal", 1)
    assert busy >= 1000


def test_times_come_back_aware_in_utc_with_microseconds(run: Run) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=3)))

    async def body(db: Database) -> datetime:
        await request_log.add(
            db,
            request_id="r1",
            route="/x",
            method="get",
            status=200,
            duration_ms=1.5,
            created_at=moment,
        )
        (row,) = await request_log.recent(db)
        return row.created_at

    stored = run(body)
    assert stored == moment
    assert stored.tzinfo == UTC
    assert stored.microsecond == 123456


def test_naive_datetimes_are_refused(run: Run) -> None:
    async def body(db: Database) -> None:
        await request_log.add(
            db,
            request_id="r1",
            route="/x",
            method="GET",
            status=200,
            duration_ms=1.0,
            created_at=datetime(2024, 1, 1),
        )

    with pytest.raises(Exception, match="naive datetime"):
        run(body)


def test_an_in_memory_sqlite_database_is_one_database() -> None:
    """``sqlite://`` (tests, one-off tools): every session sees the same tables."""

    async def body(db: Database) -> str | None:
        await db.upgrade()
        row, secret = await keys.create(db, tenant="t", name="n")
        found = await keys.verify(db, secret=secret)
        return found.name if found is not None and found.id == row.id else None

    assert run_on("sqlite://", body) == "n"
