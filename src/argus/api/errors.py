"""One handler maps the error tree to HTTP.

Argus's own routes answer ``{"error": {"code", "message"}}`` with the error's status. Seed routes
that must keep their seed's error bodies register their own handlers on their routers later.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from argus.api.guard import Refusal
from argus.errors import ArgusError, ModelDownloading, Overloaded, RateLimited, Unauthorized

log = logging.getLogger(__name__)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_headers(exc: ArgusError) -> dict[str, str]:
    """``Retry-After`` for rate limits and overload, ``WWW-Authenticate`` for 401s."""
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | Overloaded | ModelDownloading):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return headers


async def _argus_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArgusError)
    if exc.status >= 500 and not isinstance(exc, Overloaded):
        log.error("%s: %s", exc.code, exc.message)
    return JSONResponse(
        error_body(exc.code, exc.message), status_code=exc.status, headers=error_headers(exc)
    )


async def _refusal(request: Request, exc: Exception) -> Response:
    """An error the request guard raised while the body was read, in the route's own shape.

    The rest of a refused body is never read, so the connection is closed after the answer."""
    assert isinstance(exc, Refusal)
    error = exc.error
    render = getattr(request.scope.get("route"), "render_error", None)
    response: Response = render(error) if render is not None else await _argus_error(request, error)
    for name, value in error_headers(error).items():
        response.headers.setdefault(name, value)
    if error.status in (408, 413):
        response.headers["Connection"] = "close"
    return response


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    return JSONResponse(
        error_body("validation_error", "; ".join(parts) or "invalid request"), status_code=422
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ArgusError, _argus_error)
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(RequestValidationError, _validation_error)
