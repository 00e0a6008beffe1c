"""`create_app(settings)`: the HTTP app over the parts the composition root builds.

The lifespan builds and starts :class:`argus.compose.services.Services` and keeps it on
``app.state.services`` (routes reach it through the aliases of :mod:`argus.api.deps`); the app
itself adds only what is HTTP's: metrics, admission, the login throttle, health probes and the
background model preload, eviction and retention loops. No module-level mutable state, so tests
can build as many independent apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI

from argus import __version__
from argus.api import gcpause
from argus.api.admission import Admission
from argus.api.allow import method_not_allowed
from argus.api.errors import install_error_handlers
from argus.api.guard import RequestGuard
from argus.api.health import HealthMonitor
from argus.api.metrics import Metrics
from argus.api.middleware import RequestContextMiddleware
from argus.api.openapi import document_answers
from argus.api.recycle import Recycler
from argus.api.routes import (
    admin,
    analysis,
    auth,
    classify,
    classify_config,
    collections,
    docs,
    jobs,
    keys,
    location,
    meta,
    models,
    stats,
)
from argus.api.routes import anonymize as anonymize_routes
from argus.api.routes import faces as faces_routes
from argus.api.routes import moderation as moderation_routes
from argus.auth.throttle import LoginThrottle
from argus.runtime import load

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.models.pool import ModelPool
    from argus.store.db import Database
    from argus.store.result_cache import ResultCache

log = logging.getLogger(__name__)


async def _evict_loop(
    pool: ModelPool,
    interval_s: float,
    recycler: Recycler | None,
    busy: Callable[[], bool],
) -> None:
    """Unload idle models every ``interval_s``; with none loaded, let ``recycler`` retire this
    worker when it stayed large (:mod:`argus.api.recycle`)."""
    while True:
        await asyncio.sleep(interval_s)
        unloaded = await asyncio.to_thread(pool.evict)
        if unloaded:
            log.info("unloaded idle models: %s", ", ".join(unloaded))
        # every round, not only the one that unloaded: the worker may have been busy then
        if recycler is not None and recycler.retire_if_due(
            models_loaded=pool.any_loaded(), busy=busy
        ):
            return


def _recycler(settings: Settings) -> Recycler | None:
    """This worker's, when it is one of ``argus serve --workers N`` (a supervisor replaces it)."""
    if settings.workers < 2:
        return None
    return Recycler.at_start(settings.server.recycle_above)


async def _preload(pool: ModelPool) -> None:
    try:
        await asyncio.to_thread(pool.preload)
    except Exception:  # a model that fails to load says so again when a request needs it
        log.exception("preloading models failed")


async def _retention_loop(db: Database, settings: Settings, results: ResultCache) -> None:
    from argus.store import retention

    interval = settings.retention.interval_s
    while interval > 0:
        try:
            pruned = await retention.prune(db, settings=settings.retention)
            if pruned.cache_entries:
                results.forget_all()
            if pruned.cache_entries or pruned.request_log_rows:
                log.info("pruned %s", pruned)
        except Exception:  # keep the loop alive; the next round tries again
            log.exception("pruning failed; trying again in %s s", interval)
        await asyncio.sleep(interval)


def _data_dir_missing(settings: Settings) -> str | None:
    return None if settings.data_dir.is_dir() else f"{settings.data_dir} does not exist"


def create_app(settings: Settings | None = None) -> FastAPI:
    # the composition root (the pipelines, the model pool, the jobs) is imported here, not by
    # the routes: a process that only imports the app (or parses ``argus``'s command line) does
    # not pay for it
    from argus.compose import services as compose

    settings = settings or compose.load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = compose.build(settings, metrics=app.state.metrics)
        await compose.start(services)
        app.state.services = services
        # the parts tests and the middleware read by name
        app.state.db = services.db
        app.state.writes = services.writes
        app.state.pool = services.pool
        app.state.jobs = services.jobs
        app.state.blobs = services.jobs.blobs
        app.state.galleries = services.galleries
        app.state.analyzer = services.analyzer
        pool, db = services.pool, services.db
        # preloading runs in the background: the server answers (/health first) meanwhile,
        # and a request for a model still loading waits for it in the pool
        preloader = asyncio.create_task(_preload(pool))
        health = HealthMonitor(
            interval_s=settings.server.health_interval_s, timeout_s=settings.server.check_timeout_s
        )
        health.add_instant("data_dir", lambda: _data_dir_missing(settings))
        health.add("database", db.check)

        async def broker() -> str | None:
            return (await services.jobs.health()).get("broker")  # Celery mode only

        health.add("broker", broker)
        app.state.health = health
        await health.start()
        classifier = services.classifier

        def busy() -> bool:  # a request, model call or job in flight here, or a changed order
            changed = classifier.engine_order != list(classifier.config.engines)
            return changed or load.LOAD.here() > 0 or services.jobs.executor.running() > 0

        evictor = asyncio.create_task(
            _evict_loop(pool, settings.models.evict_interval_s, _recycler(settings), busy)
        )
        pruner = asyncio.create_task(_retention_loop(db, settings, services.results))
        gcpause.resume()  # paused by `argus serve` while it started (a no-op otherwise)
        try:
            yield
        finally:
            await health.stop()
            for task in (preloader, evictor, pruner):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            pending: set[asyncio.Task[None]] = app.state.pending_writes
            if pending:  # request-log rows still being written
                await asyncio.gather(*pending, return_exceptions=True)
            await compose.stop(services)

    app = FastAPI(
        title="Argus",
        version=__version__,
        summary="Self-hosted image understanding: classification, moderation, anonymization, "
        "analysis and faces, offline first.",
        lifespan=lifespan,
        docs_url=None,  # served offline by routes/docs.py
        redoc_url=None,
    )
    metrics = Metrics()
    app.state.metrics = metrics
    app.state.pending_writes = set()
    app.state.settings = settings
    app.state.admission = Admission.from_settings(settings.server)
    app.state.login_throttle = LoginThrottle(
        settings.auth.login_max_failures, settings.auth.login_window_s
    )
    # The guard sits inside the request-context middleware (which starts no body read of its
    # own), so its refusals are logged and counted like any answer.
    app.add_middleware(RequestGuard)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    install_error_handlers(app)
    # Routes are tried in order, router by router (each one a few microseconds): the light
    # cached answers first, then the routes every model request comes through (the seeds'
    # uploads; moderation tenth of sixteen cost 0.08 ms per request), then the rest.
    app.include_router(classify.router)
    app.include_router(moderation_routes.router)
    app.include_router(analysis.router)
    app.include_router(faces_routes.router)
    app.include_router(meta.router)
    app.include_router(docs.router)
    app.include_router(models.router)
    app.include_router(auth.router)
    app.include_router(keys.router)
    app.include_router(jobs.router)
    app.include_router(collections.router)
    app.include_router(stats.router)
    app.include_router(location.router)
    app.include_router(classify_config.router)
    app.include_router(anonymize_routes.router)
    app.include_router(admin.router)
    app.openapi = document_answers(app, settings)  # type: ignore[method-assign]
    app.add_exception_handler(405, method_not_allowed)
    return app
