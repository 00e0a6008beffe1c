"""Helpers shared by the store tests: run a coroutine on a database, wipe a database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import MetaData

from argus.store.db import Database

T = TypeVar("T")

#: What the ``run`` fixture is: ``run(body)`` runs ``body(db)`` on the test's database.
Run = Callable[[Callable[[Database], Awaitable[Any]]], Any]


async def drop_everything(db: Database) -> None:
    """Drop every table in the database, Alembic's version table included."""

    def drop(connection: Any) -> None:
        meta = MetaData()
        meta.reflect(connection)
        meta.drop_all(connection)

    async with db.engine.begin() as conn:
        await conn.run_sync(drop)


async def migrate(db: Database) -> None:
    await db.upgrade()


def run_on(url: str, body: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``body(db)`` in a fresh event loop with its own engine, disposed afterwards."""

    async def main() -> T:
        db = Database(url)
        try:
            return await body(db)
        finally:
            await db.dispose()

    return asyncio.run(main())
