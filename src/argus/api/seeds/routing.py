"""Seed routes keep their seed's error bodies.

Argus's own routes answer ``{"error": {"code", "message"}}``; a router serving a seed's contract
uses ``seed_route_class(render)`` as its ``route_class`` so that errors raised below it (the
error tree and request validation) are rendered the way that seed's clients expect. The default
renderer is FastAPI's ``{"detail": message}`` with the error's status, and FastAPI's own 422 body
for validation errors, which is what a FastAPI seed answered.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from argus.errors import ArgusError

Renderer = Callable[[ArgusError], Response]


def detail_body(exc: ArgusError) -> Response:
    """``{"detail": message}`` with the error's status (FastAPI's HTTPException shape)."""
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


def fastapi_validation_body(exc: RequestValidationError) -> Response:
    return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


def seed_route_class(
    render: Renderer = detail_body,
    render_validation: Callable[[RequestValidationError], Response] = fastapi_validation_body,
) -> type[APIRoute]:
    """An ``APIRoute`` subclass rendering errors with ``render`` / ``render_validation``."""

    class SeedRoute(APIRoute):
        #: How this route renders an Argus error (the request guard uses it too).
        render_error = staticmethod(render)

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except ArgusError as exc:
                    return render(exc)
                except RequestValidationError as exc:
                    return render_validation(exc)

            return handle

    return SeedRoute
