"""The supervisor's restart check: a SQLite file at the newest migration is recognised without
SQLAlchemy, and anything else (older, empty, missing, another database) is left to a migration.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_support import run_on

from argus.store.db import Database, head_revision
from argus.store.revision import shipped_head, sqlite_file, sqlite_file_at_head


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _migrate(url: str, revision: str = "head") -> None:
    async def up(db: Database) -> None:
        await db.upgrade(revision)

    run_on(url, up)


def test_the_shipped_head_read_from_the_files_is_alembics() -> None:
    assert shipped_head() == head_revision()


def test_a_migrated_sqlite_file_is_at_head(tmp_path: Path) -> None:
    url = _url(tmp_path / "argus.db")
    _migrate(url)
    assert sqlite_file_at_head(url)


def test_an_older_database_is_not_at_head(tmp_path: Path) -> None:
    url = _url(tmp_path / "argus.db")
    _migrate(url, "0004_usage_counters")
    assert not sqlite_file_at_head(url)


def test_an_empty_or_missing_file_is_not_at_head_and_stays_as_it_was(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert not sqlite_file_at_head(_url(missing))
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert not sqlite_file_at_head(_url(empty))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db/argus",
        "mysql://u:p@db/argus",
        "sqlite:///:memory:",
        "sqlite://",
        "sqlite:///data/argus.db?timeout=30",
    ],
)
def test_only_plain_sqlite_file_urls_are_read(url: str) -> None:
    assert sqlite_file(url) is None
    assert not sqlite_file_at_head(url)
