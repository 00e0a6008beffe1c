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
    sent: list[dict[str, Any]] = []

    async def main() -> tuple[int, int, float]:
        delivered = False
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            if leave:
                return {"type": "http.disconnect"}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": ROUTE,
            "raw_path": ROUTE.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)
            gone.set()
        done: int = app.state.analyzer.tasks_done  # made by the route on first use
        registry = app.state.metrics.registry
        cancelled = registry.get_sample_value("argus_requests_cancelled_total", {"route": ROUTE})
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
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
