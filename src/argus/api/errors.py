"""One handler maps the error tree to HTTP.

Argus's own routes answer ``{"error": {"code", "message"}}`` with the error's status. Seed routes
that must keep their seed's error bodies register their own handlers on their routers later.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from argus.errors import ArgusError, ModelDownloading, RateLimited, Unauthorized

log = logging.getLogger(__name__)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


async def _argus_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArgusError)
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.message)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | ModelDownloading):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)


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
    app.add_exception_handler(RequestValidationError, _validation_error)
