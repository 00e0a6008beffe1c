"""One POST straight into an ASGI app whose client can leave as soon as its body is sent.

``TestClient`` cannot disconnect mid-request; the cancel tests need a client that does, so they
call the app with an ASGI ``receive`` that answers ``http.disconnect`` right after the body
(``leave``) or only once the answer is complete.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp

BOUNDARY = b"b"


def post_scope(path: str, headers: dict[str, str], query: bytes = b"") -> dict[str, Any]:
    """The ASGI scope of a loopback ``POST path?query`` with ``headers``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


async def post_multipart(
    app: ASGIApp, path: str, body: bytes, *, query: bytes = b"", leave: bool
) -> int:
    """POST ``body`` (a multipart form with boundary ``b``) to ``path``; the answer's status.

    The app's lifespan must be running (``async with app.router.lifespan_context(app)``)."""
    delivered = False
    done = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        if not leave:
            await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = {"content-type": "multipart/form-data; boundary=" + BOUNDARY.decode()}
    scope = post_scope(path, headers, query)
    await app(scope, receive, send)
    done.set()
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))
