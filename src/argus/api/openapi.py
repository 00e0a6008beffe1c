"""The OpenAPI document states the answers the server's own machinery gives on every route.

FastAPI documents what a route declares (its 200 and FastAPI's 422), but much of what a client
can get comes from in front of the route: the request guard's 401/403/429 (auth checks), 413 and
408 (body cap and timeout), 503 (admission queue full, a model still downloading), and 404 from
a path parameter naming nothing. :func:`document_answers` wraps the app's ``openapi()`` so that
each operation lists those, from the same route policy the guard enforces
(:func:`argus.api.guard.policy`), without a route having to repeat them; what a route declares
itself wins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from argus.api.guard import policy
from argus.config import Settings

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DESCRIPTIONS = {
    "400": "Bad request: a field or file the route cannot use (the message says which).",
    "401": "No credentials, or credentials that are unknown, revoked or expired.",
    "403": "The credentials do not allow this.",
    "404": "Nothing with that id (or not this tenant's).",
    "408": "The request body stalled (server.body_timeout_s).",
    "413": "The request body, a file or a budget is over its limit (the message names it).",
    "415": "A file in a format the route does not read.",
    "422": "Validation error.",
    "429": "Too many requests for this key or address; see Retry-After.",
    "503": "Busy (the work queue is full) or a model is not ready yet; see Retry-After.",
}


def _answers(route: Any, method: str, settings: Settings) -> list[str]:
    codes = ["503"]
    rules = policy(route, settings)
    if rules.auth:
        codes += ["401", "403", "429"]
    if route.param_convertors:
        codes.append("404")
    if method in _BODY_METHODS and route.body_field is not None:
        codes += ["400", "408", "413", "415", "422"]
    return codes


def document_answers(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """An ``openapi()`` for ``app`` whose operations list the guard's and the routes' answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        paths: dict[str, dict[str, Any]] = schema.get("paths", {})
        # routes as the OpenAPI generator sees them: with their router's prefix and dependencies
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = paths.get(route.path_format or "", {}).get(method.lower())
                if operation is None:
                    continue
                responses: dict[str, Any] = operation.setdefault("responses", {})
                for code in _answers(route, method, settings):
                    responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
        return schema

    return openapi
