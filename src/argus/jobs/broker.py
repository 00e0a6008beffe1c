"""Whether the Celery broker answers: the ``broker`` component of ``/health`` in Celery mode.

A server in Celery mode can take no job while its broker is down (submissions answer 503), so
health must say so. :class:`BrokerCheck` opens one connection with a short timeout (Redis or
RabbitMQ, through Kombu, in a thread: it blocks) and keeps the answer for ``ttl_s`` seconds so
frequent probes do not open a connection each.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from argus.config import Settings
from argus.plainwords import describe, kind


def broker_error(url: str, *, timeout_s: float = 2.0) -> str | None:
    """None when the broker at ``url`` accepts a connection, else why not (blocking)."""
    from kombu import connection

    connect: Any = connection.Connection
    transport_options = {"socket_connect_timeout": timeout_s, "socket_timeout": timeout_s}
    try:
        with connect(url, connect_timeout=timeout_s, transport_options=transport_options) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout_s)
            conn.default_channel  # noqa: B018 (Redis: a channel pings the server)
    except Exception as exc:
        return f"the job broker cannot be reached: {kind(exc)}: {describe(exc)}"
    return None


class BrokerCheck:
    """The broker's state for health routes, measured at most once per ``ttl_s`` seconds."""

    def __init__(self, settings: Settings, *, timeout_s: float = 2.0, ttl_s: float = 2.0) -> None:
        self.url = settings.jobs.broker_url
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self._at = float("-inf")
        self._error: str | None = None
        self._lock = asyncio.Lock()

    async def error(self) -> str | None:
        """None when the broker answered lately, else why it did not."""
        async with self._lock:
            if time.monotonic() - self._at >= self.ttl_s:
                self._error = await asyncio.to_thread(
                    broker_error, self.url, timeout_s=self.timeout_s
                )
                self._at = time.monotonic()
            return self._error
