"""Which migration is the newest shipped, and whether a SQLite file is already at it, read
without SQLAlchemy or Alembic.

:func:`shipped_head` reads the ``revision``/``down_revision`` lines of the migration files (no
Alembic import: about a second of start-up). :func:`sqlite_file_at_head` opens a SQLite database
file read-only with the standard library and compares its ``alembic_version`` with that head:
``argus serve --workers N``'s supervisor, which migrates before any worker starts, asks it first
and so imports no SQLAlchemy on a restart. Anything it cannot tell for sure (another database, a
URL with options, a missing file or version table, any SQLite error) answers False, and the
caller migrates through :class:`argus.store.db.Database` as before.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_REVISION_RE = re.compile(r"^(down_revision|revision)\b[^=]*=\s*['\"]([^'\"]+)['\"]", re.M)
_SQLITE_FILE_RE = re.compile(r"^sqlite(\+aiosqlite|\+pysqlite)?:///(?P<path>[^?]+)$")


def shipped_head() -> str | None:
    """The newest shipped migration read from the files' ``revision``/``down_revision`` lines
    (no Alembic import: about a second of start-up); None when that is not one clear head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION_RE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if "down_revision" in found:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///path``, no query options); None otherwise
    (another database, ``:memory:``, options)."""
    match = _SQLITE_FILE_RE.match(url)
    if match is None or match["path"] == ":memory:":
        return None
    return Path(match["path"])


def sqlite_file_at_head(url: str) -> bool:
    """True only when ``url`` is a SQLite file whose ``alembic_version`` is the shipped head."""
    path = sqlite_file(url)
    head = shipped_head()
    if path is None or head is None or not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return [row[0] for row in rows] == [head]
