"""The composition root builds one set of parts from the settings and wires them together:
every consumer of the database, the pool and the result cache gets the same instance, the jobs
platform knows every kind Argus ships, and start/stop open and close them."""

from __future__ import annotations

import asyncio

from argus.compose import services as compose
from argus.config import Settings


def test_the_parts_share_one_database_pool_and_cache(settings: Settings) -> None:
    parts = compose.build(settings)
    assert parts.settings is settings
    assert parts.jobs.ctx.db is parts.db and parts.jobs.ctx.pool is parts.pool
    assert parts.classifier.db is parts.db and parts.classifier.pool is parts.pool
    assert parts.classifier.results is parts.results
    assert parts.analyzer.pool is parts.pool
    assert parts.galleries.pipeline is parts.faces
    assert parts.jobs.registry.names() == ["anonymize", "detect", "moderate-video"]


def test_offline_settings_give_the_admin_api_its_own_pulls(settings: Settings) -> None:
    parts = compose.build(settings)  # offline: no first-use pulls in the pool
    assert parts.pool.pulls is None
    assert parts.pulls is not None


def test_running_migrates_then_closes_everything(settings: Settings) -> None:
    async def scenario() -> tuple[str | None, str | None]:
        async with compose.running(settings) as parts:
            answered = await parts.db.check()  # None: the database answers
            revision = await parts.db.current_revision()
            assert parts.db.pending_writes is not None
        assert parts.db.pending_writes is None
        return answered, revision

    answered, revision = asyncio.run(scenario())
    assert answered is None
    assert revision  # migrated on start (SQLite upgrades automatically)


def test_the_worker_context_uses_the_same_kinds(settings: Settings) -> None:
    async def scenario() -> list[str]:
        ctx = await compose.worker_context(settings)
        try:
            assert ctx.worker.startswith("celery@")
            return ctx.registry.names()
        finally:
            ctx.pool.close()
            await ctx.db.dispose()

    assert asyncio.run(scenario()) == compose.build(settings).jobs.registry.names()
