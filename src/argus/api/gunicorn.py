"""Gunicorn for Argus: a config module and a Uvicorn worker with ``argus serve``'s header timeout.

``gunicorn -c python:argus.api.gunicorn 'argus.api.app:create_app()' --workers 2 ...`` (the
README has the whole command) loads this module as Gunicorn's configuration: the master
migrates the database once before any worker starts (workers would otherwise race to create
the tables of an empty SQLite database), and every worker is an :class:`ArgusUvicornWorker`,
whose connections use :class:`argus.api.server.HeaderTimeoutProtocol` with the timeout each
worker reads from its environment (``ARGUS_SERVER__HEADER_TIMEOUT_S``). Gunicorn's own options
set the rest (``--keep-alive``, ``--graceful-timeout``, ``--timeout``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker  # type: ignore[import-untyped]

from argus.api.server import PROTOCOL_IMPORT_PATH
from argus.config import Settings


class ArgusUvicornWorker(UvicornWorker):  # type: ignore[misc]
    """A Uvicorn worker whose connections close when their headers come too slowly."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        **UvicornWorker.CONFIG_KWARGS,
        "http": PROTOCOL_IMPORT_PATH,
    }


# Gunicorn settings read from this module (``-c python:argus.api.gunicorn``)
worker_class = "argus.api.gunicorn.ArgusUvicornWorker"


def on_starting(server: Any) -> None:
    """Gunicorn's hook in the master, before the workers: migrate once."""
    from argus.api.workers import migrate_before_workers

    migrate_before_workers(Settings())
