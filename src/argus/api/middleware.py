"""Request ids, timing breakdown, access log line and HTTP metrics for every request.

Each request gets an id (the client's ``X-Request-ID`` when it is a sane token, else a new one),
echoed in the response header. One log line per request gives method, route, status, total time
and the breakdown collected by :mod:`argus.timing` (decode, each model, store).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from argus import timing
from argus.api.metrics import Metrics
from argus.store import request_log

log = logging.getLogger("argus.access")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Routes not worth a database row: probes, scrapes, docs, and paths that match nothing.
UNLOGGED_ROUTES = frozenset(
    {"/metrics", "/health", "/ready", "/docs", "/openapi.json", "<unmatched>"}
)


def route_template(request: Request) -> str:
    """The matched route's path template (``/api/v1/models/{name}``): bounded label values.

    The router records the matched route in the scope, which this middleware shares.
    """
    matched = request.scope.get("route")
    if matched is not None and hasattr(matched, "path"):
        return str(matched.path)
    return "<unmatched>"


class RequestContextMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: object, metrics: Metrics) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.metrics = metrics

    def _log_row(
        self, request: Request, route: str, status: int, ms: float, spans: dict[str, float]
    ) -> None:
        """Write the request-log row in the background: the response does not wait for it."""
        db = getattr(request.app.state, "db", None)
        if db is None or route in UNLOGGED_ROUTES:
            return
        task = asyncio.create_task(
            request_log.add(
                db,
                request_id=request.state.request_id,
                route=route,
                method=request.method,
                status=status,
                duration_ms=ms,
                tenant=getattr(request.state, "tenant", None),
                timings=spans,
            )
        )
        pending: set[asyncio.Task[None]] = request.app.state.pending_writes
        pending.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            pending.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.warning("request log write failed: %s", finished.exception())

        task.add_done_callback(done)

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        request.state.request_id = request_id
        start = time.perf_counter()
        with timing.collect() as spans:
            response = await call_next(request)
        elapsed = time.perf_counter() - start
        route = route_template(request)
        if route != "/metrics":
            self.metrics.requests.labels(route, request.method, str(response.status_code)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            self.metrics.observe_timings(spans.ms)
        response.headers[REQUEST_ID_HEADER] = request_id
        self._log_row(request, route, response.status_code, elapsed * 1000, spans.rounded())
        log.info(
            "%s %s %s %d %.1fms %s",
            request_id,
            request.method,
            route,
            response.status_code,
            elapsed * 1000,
            spans.rounded(),
        )
        return response
