"""How Uvicorn serves Argus: timeouts for slow clients and a bound on open connections.

Uvicorn closes idle keep-alive connections (``server.keep_alive_s``) but has no timeout for a
client that trickles its request line and headers a byte at a time: a thousand such connections
stay open for as long as their senders like. :func:`protocol_with_header_timeout` makes a
subclass of Uvicorn's httptools protocol that closes a connection whose headers are not complete
``header_timeout_s`` after it opened (or after its previous response). Slow bodies are the
request guard's job (:mod:`argus.api.guard`, ``server.body_timeout_s``).
:func:`uvicorn_options` gathers everything ``argus serve`` passes to Uvicorn; the README shows
the same settings for Gunicorn with Uvicorn workers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from argus.config import Settings


def protocol_with_header_timeout(header_timeout_s: float) -> type[HttpToolsProtocol]:
    """Uvicorn's httptools protocol, closing connections whose headers come too slowly."""

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_s, self._too_slow)

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

    return HeaderTimeoutProtocol


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
