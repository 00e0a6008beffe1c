"""The composition root: every long-lived part of Argus, built one way from the settings.

:class:`Services` is what a server process holds (``app.state.services``); :func:`build` makes
it without I/O beyond the data folder (no database query, no model load), :func:`start` and
:func:`stop` open and close what needs the event loop, and :func:`running` is both as one
``async with``. The part constructors below (``model_pool``, ``open_database``,
``face_pipeline``, ...) are the only place each part is made: :func:`build` calls them, a CLI
command that needs only a few parts calls the same ones, and ``argus worker`` gets its job
context from :func:`worker_context`. Parts that are expensive stay lazy inside their own object
(the pool loads a model on first use, the classifier checks its engines when asked).

This package sits above ``jobs`` and the pipelines (it registers the job kinds,
:mod:`argus.compose.kinds`) and below ``api`` and ``cli``, which only consume it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from argus.auth.first_run import AdminPassword
from argus.auth.ratelimit import RateLimiter
from argus.auth.tokens import TokenIssuer
from argus.compose.kinds import builtin_kinds
from argus.config import Settings
from argus.jobs.keeper import LeaseKeeper
from argus.jobs.runner import JobContext, JobMetrics, worker_name
from argus.jobs.service import JobService
from argus.models.hub.background import BackgroundPulls
from argus.models.pool import ModelPool
from argus.pipelines.analysis import Analyzer
from argus.pipelines.collections import CollectionStore
from argus.pipelines.faces import FacePipeline
from argus.pipelines.galleries import GalleryService
from argus.pipelines.photo_category import PhotoClassifier
from argus.pipelines.seed_features import seed_space_ready
from argus.pipelines.vector_index import IndexRegistry
from argus.runtime.memory import bound_kept_heap
from argus.store.db import Database
from argus.store.files import LocalBlobStore
from argus.store.result_cache import ResultCache
from argus.store.write_behind import WriteBehind

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- part constructors


def load_settings() -> Settings:
    """The settings from the environment (``ARGUS_*``) and ``.env``: what every command reads."""
    return Settings()


def model_pool(settings: Settings, *, pull_on_first_use: bool = False) -> ModelPool:
    """The model pool; with ``pull_on_first_use`` (the server), a model missing on first use is
    pulled in the background when ``models.pull_on_first_use`` is set and Argus is online."""
    pulls = None
    if pull_on_first_use and settings.models.pull_on_first_use and not settings.offline:
        pulls = BackgroundPulls(settings)
    return ModelPool(settings, pulls=pulls)


def database(settings: Settings) -> Database:
    """The database engine (connects on first use)."""
    return Database.from_settings(settings)


async def upgrade_if_configured(db: Database, settings: Settings) -> None:
    """Run the migrations when ``database.auto_upgrade`` says so (by default: SQLite only)."""
    auto_upgrade = settings.database.auto_upgrade
    if auto_upgrade or (auto_upgrade is None and db.dialect == "sqlite"):
        await db.upgrade()


async def open_database(settings: Settings, *, upgrade: bool = True) -> Database:
    """The database engine, migrated first when configured to be (and ``upgrade`` is on)."""
    db = database(settings)
    if upgrade:
        await upgrade_if_configured(db, settings)
    return db


def face_pipeline(pool: ModelPool, settings: Settings) -> FacePipeline:
    return FacePipeline(pool, settings.faces)


def gallery_service(db: Database, faces: FacePipeline, settings: Settings) -> GalleryService:
    """The galleries; their search indexes are empty until :meth:`GalleryService.rebuild_all`."""
    index = IndexRegistry(settings.faces.index, settings.faces.search_threads)
    return GalleryService(db, faces, index, settings.faces)


def photo_classifier(
    settings: Settings, pool: ModelPool, db: Database, results: ResultCache | None = None
) -> PhotoClassifier:
    return PhotoClassifier(settings, pool, db, results)


def analyzer(settings: Settings, pool: ModelPool) -> Analyzer:
    return Analyzer(settings, pool)


def collection_store(settings: Settings) -> CollectionStore:
    return CollectionStore(settings)


def job_service(
    settings: Settings, db: Database, pool: ModelPool, metrics: JobMetrics | None = None
) -> JobService:
    """The jobs platform with every kind Argus ships."""
    return JobService(settings, db=db, pool=pool, metrics=metrics, registry=builtin_kinds())


async def worker_context(settings: Settings) -> JobContext:
    """What an ``argus worker`` process runs jobs with (the database migrated first when
    configured to be; the lease keeper is started by the worker)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = await open_database(settings)
    return JobContext(
        settings=settings,
        db=db,
        pool=model_pool(settings),
        blobs=LocalBlobStore.from_settings(settings),
        registry=builtin_kinds(),
        worker=worker_name("celery"),
        keeper=LeaseKeeper(settings.resolved_database_url, settings.jobs.lease_s),
    )


# --------------------------------------------------------------------------- the whole


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a server process shares between requests, built by :func:`build`."""

    settings: Settings
    db: Database
    pool: ModelPool
    writes: WriteBehind
    results: ResultCache
    tokens: TokenIssuer
    admin_password: AdminPassword
    rate_limiter: RateLimiter
    jobs: JobService
    faces: FacePipeline
    galleries: GalleryService
    classifier: PhotoClassifier
    analyzer: Analyzer
    #: Model pulls started by the admin API: the pool's first-use pulls when it has them.
    pulls: BackgroundPulls


def build(settings: Settings, *, metrics: JobMetrics | None = None) -> Services:
    """Every part, wired; nothing started (see :func:`start`)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = database(settings)
    pool = model_pool(settings, pull_on_first_use=True)
    writes = WriteBehind(
        db,
        interval_s=settings.database.write_interval_s,
        max_pending=settings.database.write_batch_max,
    )
    results = ResultCache(
        db,
        writes=writes,
        max_entries=settings.database.memory_cache_entries,
        ttl_s=settings.database.memory_cache_ttl_s,
    )
    faces = face_pipeline(pool, settings)
    return Services(
        settings=settings,
        db=db,
        pool=pool,
        writes=writes,
        results=results,
        tokens=TokenIssuer(settings),
        admin_password=AdminPassword(settings),
        rate_limiter=RateLimiter(),
        jobs=job_service(settings, db, pool, metrics),
        faces=faces,
        galleries=gallery_service(db, faces, settings),
        classifier=photo_classifier(settings, pool, db, results),
        analyzer=analyzer(settings, pool),
        pulls=pool.pulls if pool.pulls is not None else BackgroundPulls(settings),
    )


async def start(services: Services) -> None:
    """Migrate (when configured), start the write-behind and the jobs platform, and build
    every gallery's search index from the database; with ``models.heap_threshold_kb``, fix
    glibc's malloc thresholds so that unloading models gives more memory back."""
    settings, db = services.settings, services.db
    if settings.models.heap_threshold_kb > 0:
        bound_kept_heap(settings.models.heap_threshold_kb * 1024)
    await upgrade_if_configured(db, settings)
    db.pending_writes = services.writes.flush
    if settings.database.write_interval_s > 0:
        services.writes.start()
    setup_message = services.admin_password.setup_message(settings)
    if setup_message:
        log.warning(setup_message)
    await services.jobs.start()
    await services.galleries.rebuild_all()
    await asyncio.to_thread(seed_space_ready, settings.faces.model)


async def stop(services: Services) -> None:
    """Stop the jobs platform, unload the models, write every pending row, close the engine."""
    await services.jobs.stop()
    services.pool.close()
    await services.writes.close()  # every batched row and hit count reaches the database
    services.db.pending_writes = None
    await services.db.dispose()


@asynccontextmanager
async def running(
    settings: Settings, *, metrics: JobMetrics | None = None
) -> AsyncIterator[Services]:
    """:func:`build`, :func:`start`, and :func:`stop` on the way out."""
    services = build(settings, metrics=metrics)
    await start(services)
    try:
        yield services
    finally:
        await stop(services)
