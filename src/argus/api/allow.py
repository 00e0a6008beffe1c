"""A 405 lists every method its path takes in ``Allow``, not only those of the first route.

Starlette answers a method a path does not take with the methods of the first route whose path
matched: ``PATCH /api/v1/keys`` said ``Allow: POST`` although ``GET`` lists the keys. The handler
here collects the methods of every route whose path matches (as the OpenAPI document lists
them) and answers the same ``{"detail": "Method Not Allowed"}`` with that ``Allow``.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path

Methods = list[tuple[re.Pattern[str], frozenset[str]]]


def _route_methods(app: FastAPI) -> Methods:
    found: Methods | None = getattr(app.state, "route_methods", None)
    if found is None:
        found = []
        for route in iter_route_contexts(app.routes):
            path, methods = getattr(route, "path", None), getattr(route, "methods", None)
            if path and methods:
                found.append((compile_path(path)[0], frozenset(methods)))
        app.state.route_methods = found
    return found


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route of ``app`` takes at ``path``, sorted."""
    methods: set[str] = set()
    for pattern, taken in _route_methods(app):
        if pattern.match(path):
            methods |= taken
    return sorted(methods)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """The 405 handler (``app.add_exception_handler(405, method_not_allowed)``)."""
    headers = dict(getattr(exc, "headers", None) or {})
    methods = allowed_methods(request.app, request.url.path)
    if methods:
        headers["Allow"] = ", ".join(methods)
    return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers=headers)
