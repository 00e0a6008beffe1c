"""The request guard: auth, body size, body timeout and admission before any body is read.

FastAPI parses (and Starlette spools to disk) a request body before a route's dependencies run,
so a check in a dependency comes too late: a 6 GB upload with no key would be stored first.
:class:`RequestGuard` is ASGI middleware in front of everything that wraps ``receive``. The first
time the route asks for its body (routing is done by then, so the route is known), it runs the
route's auth dependencies (those marked with :func:`argus.api.auth.auth_check`) and compares the
declared ``Content-Length`` with the route's limit (:func:`body_limit`); while the body streams it
counts the bytes (chunked bodies included) and times each wait for the next part. The first
check that fails raises :class:`Refusal`, which FastAPI lets through its body parsing, and the
error handler renders the error in the route's own shape (seed routes keep their seed's body).
Nothing more of a refused body is read, and nothing of it is left on disk. When a heavy route's
body is complete, the request takes a slot from :class:`argus.api.admission.Admission` (a full
queue is refused before the body is read at all) and gives it back when the response is sent.
"""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, UploadFile
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from argus.api.admission import Admission
from argus.api.auth import AUTH_CHECKS
from argus.config import Settings
from argus.config.units import bytes_to_mb, mb_to_bytes
from argus.errors import ArgusError, PayloadTooLarge, RequestTimeout
from argus.runtime import load

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Video upload routes: their files may be as large as ``video.max_video_mb``.
VIDEO_ROUTES = frozenset({"/api/video-classification"})
#: Routes taking a base64 image inside JSON, and fetching an image from a URL: heavy work.
JSON_IMAGE_ROUTES = frozenset({"/analyze_image/", "/api/compare_image_feature"})
#: Upload routes that only store their files as a job: no decode or inference in the request.
JOB_ROUTES = frozenset({"/api/v1/jobs", "/api/v1/process-task/", "/api/v1/anonymize"})

AuthCheck = Callable[[Request], Awaitable[Any]]


class Refusal(HTTPException):
    """An Argus error raised while the body is read. FastAPI re-raises HTTPExceptions from its
    body parsing (any other error there becomes a 400), so the error reaches its handler."""

    def __init__(self, error: ArgusError) -> None:
        super().__init__(status_code=error.status, detail=error.message)
        self.error = error


@dataclass(frozen=True)
class RoutePolicy:
    """What the guard enforces for one route: body bytes, auth checks, heavy (admission)."""

    limit: int
    auth: tuple[AuthCheck, ...]
    heavy: bool


def _file_params(route: APIRoute) -> list[bool]:
    """One entry per file parameter of the route: True when it takes a list of files."""
    out: list[bool] = []
    for param in route.dependant.body_params:
        annotation = param.field_info.annotation
        args = typing.get_args(annotation)
        if annotation is UploadFile or UploadFile in args:
            out.append(False)
        elif typing.get_origin(annotation) is list and args and args[0] is UploadFile:
            out.append(True)
    return out


def _list_files(path: str, settings: Settings) -> int:
    """How many files a list-of-files route takes at most (its own setting)."""
    if path.startswith("/api/multi-image"):
        return settings.moderation.max_files
    if path == "/api/v1/classify/batch":
        return settings.classify.max_batch_files
    if path == "/api/v1/jobs":
        return settings.jobs.max_files
    if path.startswith("/api/v1/anonymize"):
        return settings.anonymize.max_files
    return settings.moderation.max_files


def body_limit(route: APIRoute, settings: Settings) -> int:
    """Most body bytes ``route`` accepts: its files at their limits plus the form overhead, or
    ``server.body_limit_kb`` for routes without files (plus a base64 image where JSON carries
    one)."""
    server = settings.server
    if route.path == "/api/v1/process-task/":
        return mb_to_bytes(settings.anonymize.max_request_mb)
    files = _file_params(route)
    small = int(server.body_limit_kb * 1024)
    if not files:
        if route.path in JSON_IMAGE_ROUTES:
            return small + mb_to_bytes(settings.imaging.max_image_mb * 4 / 3)
        return small
    per_file = mb_to_bytes(
        settings.video.max_video_mb if route.path in VIDEO_ROUTES else settings.imaging.max_image_mb
    )
    count = sum(_list_files(route.path, settings) if many else 1 for many in files)
    return count * per_file + int(server.form_overhead_kb * 1024)


def _auth_checks(dependant: Dependant, found: list[AuthCheck]) -> list[AuthCheck]:
    for sub in dependant.dependencies:
        call = sub.call
        if call in AUTH_CHECKS:
            if call not in found:
                found.append(call)
        else:
            _auth_checks(sub, found)
    return found


def policy(route: APIRoute, settings: Settings) -> RoutePolicy:
    files = _file_params(route)
    heavy = (bool(files) and route.path not in JOB_ROUTES) or route.path in JSON_IMAGE_ROUTES
    return RoutePolicy(
        limit=body_limit(route, settings),
        auth=tuple(_auth_checks(route.dependant, [])),
        heavy=heavy,
    )


class RequestGuard:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._policies: dict[int, RoutePolicy] = {}

    def _policy(self, route: APIRoute, settings: Settings) -> RoutePolicy:
        found = self._policies.get(id(route))
        if found is None:
            found = self._policies[id(route)] = policy(route, settings)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        guard = _BodyGuard(self, scope, receive)
        try:
            await self.app(scope, guard.receive, send)
        finally:
            guard.release()


class _BodyGuard:
    """The checks of one request (see the module docstring)."""

    def __init__(self, owner: RequestGuard, scope: Scope, receive: Receive) -> None:
        self.owner = owner
        self.scope = scope
        self._receive = receive
        self.started = False
        self.done = False
        self.received = 0
        self.policy: RoutePolicy | None = None
        self.admission: Admission | None = None
        self.held = False
        self.counted = False

    async def _start(self) -> None:
        route = self.scope.get("route")
        app = self.scope.get("app")
        state = getattr(app, "state", None)
        settings: Settings | None = getattr(state, "settings", None)
        if not isinstance(route, APIRoute) or settings is None:
            return
        self.policy = self.owner._policy(route, settings)
        request = Request(self.scope)
        for check in self.policy.auth:
            await check(request)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.limit:
            raise self._too_large()
        if self.policy.heavy:
            self.admission = getattr(state, "admission", None)
            if self.admission is not None:
                self.admission.check_queue()  # a full queue: refuse before reading the body

    def _too_large(self) -> PayloadTooLarge:
        assert self.policy is not None
        limit = self.policy.limit
        return PayloadTooLarge(
            f"The request body is over this route's limit of {bytes_to_mb(limit):.1f} MiB",
            limit=limit,
        )

    async def receive(self) -> Message:
        try:
            return await self._checked()
        except ArgusError as exc:
            raise Refusal(exc) from None

    async def _checked(self) -> Message:
        if not self.started:
            self.started = True
            await self._start()
        if self.done or self.policy is None:
            return await self._receive()
        settings: Settings = self.scope["app"].state.settings
        try:
            async with asyncio.timeout(settings.server.body_timeout_s):
                message = await self._receive()
        except TimeoutError:
            timeout = settings.server.body_timeout_s
            raise RequestTimeout(f"The request body stalled for {timeout:g} s") from None
        if message["type"] != "http.request":
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.policy.limit:
            raise self._too_large()
        if not message.get("more_body", False):
            self.done = True
            if self.admission is not None:
                # the machine-wide count that lets a lone request's model calls use every core;
                # a request waiting for a slot counts too, else the moment a slot changes hands
                # looks idle and a running call widens onto the cores the next one needs
                load.enter_request()
                self.counted = True
                await self.admission.acquire()
                self.held = True
        return message

    def release(self) -> None:
        if self.held and self.admission is not None:
            self.admission.release()
        self.held = False
        if self.counted:
            self.counted = False
            load.leave_request()
