"""Stop work whose client has gone: watch the connection while a route's pipeline runs.

:func:`cancel_on_disconnect` starts a task waiting for the server's next message about the
request, which once the body is read can only be the client's disconnect; it then cancels the
request's :class:`Progress`, and the pipeline
stops at its next check (the next batch of frames). The frames run through a model are added to
``argus_frames_classified_total`` and a cancelled request to ``argus_requests_cancelled_total``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.requests import Request

from argus.api.metrics import Metrics

if TYPE_CHECKING:
    from argus.pipelines.progress import Progress


@contextlib.asynccontextmanager
async def cancel_on_disconnect(
    request: Request, progress: Progress | None = None
) -> AsyncIterator[Progress]:
    """``progress`` (a new one, without a budget, by default), cancelled if the client goes."""
    from argus.pipelines.progress import Progress

    if progress is None:
        progress = Progress()

    async def watch() -> None:
        # The body has been read: the next message the server has for this request is the
        # client's disconnect. (``Request.is_disconnected`` cannot see it through the
        # middleware's task groups: it gives up at the first checkpoint.)
        while True:
            try:
                message = await request.receive()
            except Exception:  # a server or middleware that cannot say: stop watching
                return
            if message["type"] == "http.disconnect":
                progress.cancel()
                return

    watcher = asyncio.create_task(watch())
    try:
        yield progress
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        metrics: Metrics = request.app.state.metrics
        route = getattr(request.scope.get("route"), "path", "<unmatched>")
        metrics.frames.labels(route).inc(progress.frames)
        if progress.cancelled:
            metrics.cancelled.labels(route).inc()
