"""How Uvicorn serves Argus: timeouts for slow clients and a bound on open connections.

Uvicorn closes idle keep-alive connections (``server.keep_alive_s``) but has no timeout for a
client that trickles its request line and headers a byte at a time: a thousand such connections
stay open for as long as their senders like. :class:`HeaderTimeoutProtocol`, a subclass of
Uvicorn's httptools protocol, closes a connection whose headers are not complete
``header_timeout_s`` after it opened (or after its previous response); every worker process of
``argus serve --workers N`` and of Gunicorn (:mod:`argus.api.gunicorn`) uses it. Slow bodies
are the request guard's job (:mod:`argus.api.guard`, ``server.body_timeout_s``).
:func:`uvicorn_options` gathers everything ``argus serve`` passes to Uvicorn; the README shows
the same settings for Gunicorn with Uvicorn workers.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from argus.config import Settings

# how spawned worker processes find the protocol (``uvicorn.Config(http=...)`` imports it)
PROTOCOL_IMPORT_PATH = "argus.api.server:HeaderTimeoutProtocol"


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol, closing connections whose headers come too slowly.

    A module-level class, so that Uvicorn's ``--workers`` (spawned processes, which import the
    protocol by name) and Gunicorn's workers use it too. The timeout is
    ``header_timeout_s`` when a subclass sets it (:func:`protocol_with_header_timeout`), else
    ``server.header_timeout_s`` of the settings the process reads from its environment.
    """

    header_timeout_s: ClassVar[float | None] = None
    _header_timer: asyncio.TimerHandle | None = None

    def _timeout(self) -> float:
        configured = type(self).header_timeout_s
        return configured if configured is not None else _environment_header_timeout()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self._timeout(), self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # the next request's headers are timed from its first byte (keep-alive idles are
        # Uvicorn's timeout_keep_alive)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


@cache
def _environment_header_timeout() -> float:
    return Settings().server.header_timeout_s


def protocol_with_header_timeout(header_timeout_s: float) -> type[HeaderTimeoutProtocol]:
    """:class:`HeaderTimeoutProtocol` with a given timeout (for a server in this process)."""
    return type(
        "HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout_s": header_timeout_s}
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` from the server settings."""
    server = settings.server
    return {
        "http": protocol_with_header_timeout(server.header_timeout_s),
        "timeout_keep_alive": server.keep_alive_s,
        "limit_concurrency": server.max_connections or None,
        "backlog": 2048,
        "timeout_graceful_shutdown": server.graceful_shutdown_s,
    }
