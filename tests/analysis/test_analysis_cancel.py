"""A client that disconnects from ``/analyze_image_upload/`` stops the task graph: the tasks run to
their result (``Analyzer.tasks_done``) stay below the list's, the request counts as cancelled;
a client that stays gets every task."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
from tests.conftest import encode

from argus.api.app import create_app
from argus.config import Settings
from support.asgi import post_multipart

ROUTE = "/analyze_image_upload/"
TASKS = [{"operation_id": f"face_{i}", "type": "embed_face"} for i in range(12)]


def multipart(image: bytes, tasks: list[dict[str, Any]]) -> bytes:
    return (
        b'--b\r\nContent-Disposition: form-data; name="image_file"; filename="a.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + image + b"\r\n"
        b'--b\r\nContent-Disposition: form-data; name="tasks_json"\r\n\r\n'
        + json.dumps(tasks).encode()
        + b"\r\n--b--\r\n"
    )


def post(settings: Settings, body: bytes, *, leave: bool) -> tuple[int, int, float]:
    """Status, tasks run to their result and cancelled requests after one POST; with ``leave``
    the client disconnects as soon as its body is sent."""
    app = create_app(settings)

    async def main() -> tuple[int, int, float]:
        async with app.router.lifespan_context(app):
            status = await post_multipart(app, ROUTE, body, leave=leave)
        done: int = app.state.analyzer.tasks_done
        registry = app.state.metrics.registry
        cancelled = registry.get_sample_value("argus_requests_cancelled_total", {"route": ROUTE})
        return status, done, cancelled or 0.0

    return asyncio.run(main())


def test_the_task_graph_stops_when_the_client_leaves(
    settings: Settings, astronaut: np.ndarray
) -> None:
    _, done, cancelled = post(settings, multipart(encode(astronaut), TASKS), leave=True)
    assert cancelled == 1
    assert done < len(TASKS)


def test_a_client_that_stays_gets_every_task(settings: Settings, astronaut: np.ndarray) -> None:
    status, done, cancelled = post(settings, multipart(encode(astronaut), TASKS), leave=False)
    assert status == 200
    assert (done, cancelled) == (len(TASKS), 0)
