"""The store: every table and every query of Argus (SQLAlchemy 2 async, Alembic migrations).

`Database` (db.py) owns the engine; one module per entity holds that entity's queries as
functions with keyword-only arguments that take the `Database`: ``keys``, ``cache``,
``request_log``, ``jobs``. Nothing outside this package writes SQL.
"""

from __future__ import annotations

from argus.store.db import Database, async_url, head_revision

__all__ = ["Database", "async_url", "head_revision"]
