"""`argus serve --workers N`: N Uvicorn worker processes on one port, sharing the database.

One Python process runs model work on one core at a time (dlib holds the GIL, OpenCV and the
ONNX sessions are single-threaded by default), so a server uses both cores of a 2-core machine
only as two processes. A supervisor (:mod:`argus.api.supervisor`, over Uvicorn's) starts them,
each on its own listening socket, and starts a fresh one in the slot of a worker that died or
retired to give its memory back (:mod:`argus.api.recycle`); each builds its own app, model pool
and caches from the same settings, which reach it through the environment. The database is
migrated once here, before any worker starts, so that workers do not race to create the tables
of an empty SQLite database (which WAL mode then shares safely).

The supervisor only reads the settings, migrates and runs Uvicorn's supervisor: it imports
neither the app nor the composition root, and on a restart (a SQLite file already at the newest
migration) not even SQLAlchemy. Each worker is spawned: it re-imports ``argus``'s command line
(light, :mod:`argus.cli.main`) and builds the app through :func:`worker_app`.

What is per process, and so per worker: API-key rate limits (a key may get up to N times its
limit), the in-memory result cache (other workers' new answers are seen after
``database.memory_cache_ttl_s``), the inference order set at run time through
``/api/v1/config/inference``, model pull progress, and ``/metrics``. Jobs are safe: each
worker's local executor claims a job atomically in the database, so one runs it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the supervisor process imports neither the app nor FastAPI
    import socket

    import uvicorn
    from fastapi import FastAPI

    from argus.config import Settings

HEALTHCHECK_TIMEOUT_S = 60
log = logging.getLogger("uvicorn.error")


async def _migrate(settings: Settings) -> None:
    from argus.store.db import Database

    db = Database.from_settings(settings)
    try:
        auto_upgrade = settings.database.auto_upgrade
        if auto_upgrade or (auto_upgrade is None and db.dialect == "sqlite"):
            await db.upgrade()
    finally:
        await db.dispose()


def migrate_before_workers(settings: Settings) -> None:
    """Create the data dir and migrate the database once, before any worker process starts.

    A SQLite file already at the newest migration (a restart) is seen without importing
    SQLAlchemy: the supervisor stays small and the workers start sooner. Otherwise a forked
    child migrates, where the system can fork: SQLAlchemy, Alembic and the database driver
    would stay in the supervisor for as long as it runs (83 MB resident after a first launch
    against 48 MB after a restart, measured). SystemExit when the migration fails."""
    import multiprocessing

    from argus.store.revision import sqlite_file_at_head

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if sqlite_file_at_head(settings.resolved_database_url):
        return
    if "fork" not in multiprocessing.get_all_start_methods():
        asyncio.run(_migrate(settings))
        return
    child = multiprocessing.get_context("fork").Process(
        target=_migrate_now, args=(settings,), name="argus-migrate"
    )
    child.start()
    child.join()
    if child.exitcode != 0:  # the child printed its traceback
        raise SystemExit(f"migrating the database failed (exit status {child.exitcode})")


def _migrate_now(settings: Settings) -> None:
    asyncio.run(_migrate(settings))


def worker_app() -> FastAPI:
    """The app of one worker process (Uvicorn's factory): settings from the environment."""
    from argus.api import gcpause

    gcpause.pause()  # until the app's lifespan has started the services
    from argus.api.app import create_app
    from argus.compose.services import load_settings

    settings = load_settings()
    # a spawned process starts with logging unset: Argus's own records as `argus serve` logs them
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    return create_app(settings)


def run_workers(settings: Settings) -> None:
    """Migrate, then serve with ``settings.workers`` processes until interrupted."""
    import uvicorn

    from argus.api import gcpause
    from argus.api.server import PROTOCOL_IMPORT_PATH, uvicorn_options

    migrate_before_workers(settings)
    gcpause.resume()  # paused by `argus serve` while it started; the workers pause their own
    # the workers build their settings from the environment: pass on what the CLI changed
    os.environ["ARGUS_HOST"] = settings.host
    os.environ["ARGUS_PORT"] = str(settings.port)
    os.environ["ARGUS_WORKERS"] = str(settings.workers)
    config = uvicorn.Config(
        "argus.api.workers:worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        # a busy machine can take longer than Uvicorn's 5 s to start a worker or answer its
        # ping; a worker that misses it is killed and restarted, over and over
        timeout_worker_healthcheck=HEALTHCHECK_TIMEOUT_S,
        # spawned workers import the header-timeout protocol by name; its timeout, as the rest
        # of their settings, comes from the environment
        **{**uvicorn_options(settings), "http": PROTOCOL_IMPORT_PATH},
    )
    from argus.api import reuseport
    from argus.api.supervisor import SlotSupervisor

    if reuseport.available():
        slots = _socket_group(config)
    else:  # Uvicorn's one socket, shared by every worker
        slots = [config.bind_socket()] * config.workers
    SlotSupervisor(config, slots).run()


def _socket_group(config: uvicorn.Config) -> list[socket.socket]:
    """A ``SO_REUSEPORT`` listening socket per worker (the kernel spreads connections over the
    workers: see :mod:`argus.api.reuseport`)."""
    from uvicorn.config import STARTUP_FAILURE

    from argus.api import reuseport

    try:
        group = reuseport.listen_group(config.host, config.port, config.workers, config.backlog)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        raise SystemExit(STARTUP_FAILURE) from None
    log.info(
        "Argus listening on http://%s:%d (%d workers, a socket each)",
        config.host,
        group[0].getsockname()[1],
        config.workers,
    )
    return group
