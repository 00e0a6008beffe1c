"""The request guard: auth, size, stalls and admission decided before a body is read.

The app is called at the ASGI level with a body that never ends, so a test sees exactly how
many parts of it the server asked for: a refused upload must not be read (or spooled) at all.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI

from argus.api.app import create_app
from argus.api.guard import JOB_ROUTES, JSON_IMAGE_ROUTES, VIDEO_ROUTES
from argus.config import AuthSettings, ImagingSettings, ServerSettings, Settings
from argus.runtime import load
from support.asgi import post_scope
from support.images import encode

CHUNK = b"x" * 65536


class Upload:
    """An ASGI request: headers, then body parts from ``parts`` (forever if it never ends)."""

    def __init__(self, parts: Iterator[bytes], *, stall: bool = False) -> None:
        self.parts = parts
        self.stall = stall
        self.read = 0  # body parts the server asked for
        self.ended = False

    async def receive(self) -> dict[str, Any]:
        if self.stall and self.read:
            await asyncio.Event().wait()  # a client that stops sending
        part = next(self.parts, None)
        if part is None:
            if self.ended:  # the body is complete: a client that stays sends nothing more
                await asyncio.Event().wait()
            self.ended = True
            return {"type": "http.request", "body": b"", "more_body": False}
        self.read += 1
        return {"type": "http.request", "body": part, "more_body": True}


def endless() -> Iterator[bytes]:
    while True:
        yield CHUNK


async def call(
    app: FastAPI, path: str, upload: Upload, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = post_scope(path, headers)
    await app(scope, upload.receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    answer_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], answer_headers, json.loads(body)


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where Starlette would spool uploaded files: must stay empty for refused requests."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def run(app: FastAPI, path: str, upload: Upload, headers: dict[str, str]) -> Any:
    async def main() -> Any:
        async with app.router.lifespan_context(app):
            return await call(app, path, upload, headers)

    return asyncio.run(main())


MULTIPART = {"content-type": "multipart/form-data; boundary=b"}
HEAD = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'


def test_a_huge_upload_without_a_key_is_refused_before_a_byte_is_read(
    settings: Settings, spool_dir: Path
) -> None:
    app = create_app(settings.model_copy(update={"auth": AuthSettings(require_keys=True)}))
    upload = Upload(endless())
    headers = {**MULTIPART, "content-length": str(6 * 2**30)}
    status, _, body = run(app, "/api/v1/moderation/detect", upload, headers)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert upload.read == 0
    # seed routes answer in their seed's shape, still without reading
    upload = Upload(endless())
    status, _, body = run(app, "/api/image-classification", upload, headers)
    assert (status, body) == (401, {"detail": "Invalid or missing API Key!"})
    assert upload.read == 0
    assert list(spool_dir.iterdir()) == []


def test_a_declared_length_over_the_route_limit_is_413_unread(settings: Settings) -> None:
    app = create_app(settings)
    upload = Upload(endless())
    over = 20 * 2**20 + 256 * 1024 + 1  # one file of max_image_mb plus the form overhead, +1
    status, answer, body = run(
        app, "/api/v1/moderation/detect", upload, {**MULTIPART, "content-length": str(over)}
    )
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    assert answer["connection"] == "close"
    assert upload.read == 0
    # JSON routes have a small limit of their own
    upload = Upload(endless())
    status, _, _ = run(
        app,
        "/api/compare_features",
        upload,
        {"content-type": "application/json", "content-length": str(2 * 2**20)},
    )
    assert status == 413
    assert upload.read == 0


def test_a_chunked_body_crossing_the_limit_is_cut_off_and_nothing_stays_on_disk(
    settings: Settings, spool_dir: Path
) -> None:
    limits = ImagingSettings(max_image_mb=1)
    server = ServerSettings(form_overhead_kb=64)
    app = create_app(settings.model_copy(update={"imaging": limits, "server": server}))
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
    upload = Upload(itertools.chain([head], endless()))
    status, _, body = run(app, "/api/image-classification", upload, MULTIPART)
    assert status == 413
    assert "limit" in body["detail"]
    limit_parts = (2**20 + 64 * 1024) // len(CHUNK)
    assert limit_parts <= upload.read <= limit_parts + 2  # stopped as soon as it crossed
    assert list(spool_dir.iterdir()) == []


def test_a_stalled_body_gets_408(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"server": ServerSettings(body_timeout_s=0.2)}))
    upload = Upload(itertools.chain([HEAD], endless()), stall=True)
    status, answer, body = run(app, "/api/v1/moderation/detect", upload, MULTIPART)
    assert status == 408
    assert body["error"]["code"] == "request_timeout"
    assert answer["connection"] == "close"


def _one_slot_app(settings: Settings) -> FastAPI:
    """An app with one inference slot and room for one waiting request."""
    server = ServerSettings(max_concurrent=1, max_queue=1, queue_timeout_s=3)
    return create_app(settings.model_copy(update={"server": server}))


def _png_form(field: str) -> bytes:
    """A multipart body (boundary ``b``) with a small grey PNG as ``field``."""
    photo = encode(np.full((32, 32, 3), 128, np.uint8), "PNG")
    return (
        f'--b\r\nContent-Disposition: form-data; name="{field}"; filename="a.png"\r\n'.encode()
        + b"Content-Type: image/png\r\n\r\n"
        + photo
        + b"\r\n--b--\r\n"
    )


def test_a_full_queue_answers_503_with_retry_after(settings: Settings) -> None:
    app = _one_slot_app(settings)
    form = _png_form("file")
    path = "/api/image-classification"

    async def main() -> list[tuple[int, dict[str, str], Any]]:
        async with app.router.lifespan_context(app):
            admission = app.state.admission
            await admission.acquire()  # another request is working
            try:
                # one request waits its turn, in vain (the slot is not given back in time) ...
                queued = asyncio.create_task(call(app, path, Upload(iter([form])), MULTIPART))
                while admission.stats.waiting < 1:
                    assert not queued.done()
                    await asyncio.sleep(0.005)
                # ... and while it waits the queue is full: refused before the body is read
                unread = Upload(iter([form]))
                full = await call(app, path, unread, MULTIPART)
                assert unread.read == 0
                answers = [full, await queued]
            finally:
                admission.release()
            # with the slot free, the same request is answered
            answers.append(await call(app, path, Upload(iter([form])), MULTIPART))
            return answers

    full, queued, free = asyncio.run(main())
    for status, headers, body in (full, queued):
        assert status == 503
        assert int(headers["retry-after"]) >= 1
        assert "busy" in body["detail"]
    assert free[0] == 200, free


def test_a_two_core_process_queues_sixteen_uploads_and_answers_them_all(settings: Settings) -> None:
    """One worker of ``--workers 2`` on 2 cores may get all 16 connections of 16 clients (the
    kernel spreads them unevenly): with the default queue none is refused."""
    server = ServerSettings(max_concurrent=2, queue_timeout_s=60)
    app = create_app(settings.model_copy(update={"server": server}))
    form = _png_form("file")
    path = "/api/image-classification"

    async def main() -> list[tuple[int, dict[str, str], Any]]:
        async with app.router.lifespan_context(app):
            admission = app.state.admission
            for _ in range(2):
                await admission.acquire()  # both cores busy with other requests
            try:
                calls = [
                    asyncio.create_task(call(app, path, Upload(iter([form])), MULTIPART))
                    for _ in range(16)
                ]
                while admission.stats.waiting < 16:
                    assert not any(c.done() for c in calls), [c.result() for c in calls if c.done()]
                    await asyncio.sleep(0.005)
            finally:
                for _ in range(2):
                    admission.release()
            return list(await asyncio.gather(*calls))

    answers = asyncio.run(main())
    assert [status for status, _, _ in answers] == [200] * 16, answers[0]


def test_the_routes_the_guard_names_are_routes_of_the_app(settings: Settings) -> None:
    paths = set(create_app(settings).openapi()["paths"])  # every included API route
    for named in (VIDEO_ROUTES, JOB_ROUTES, JSON_IMAGE_ROUTES):
        assert named <= paths, sorted(named - paths)


def test_a_job_submission_does_not_wait_for_an_inference_slot(settings: Settings) -> None:
    """Job routes only store their files: with every slot taken, a job is still accepted."""
    app = _one_slot_app(settings)
    form = _png_form("files")

    async def main() -> tuple[int, dict[str, str], Any]:
        async with app.router.lifespan_context(app):
            admission = app.state.admission
            await admission.acquire()  # another request is working
            try:
                return await call(app, "/api/v1/anonymize", Upload(iter([form])), MULTIPART)
            finally:
                admission.release()

    status, _, body = asyncio.run(main())
    assert status == 202, body
    assert body["status"] == "pending" and body["job_id"]


def test_a_request_waiting_for_a_slot_counts_as_machine_load(settings: Settings) -> None:
    """A request whose body is in counts as work on the machine while it waits for a slot, so
    a running call does not take that moment for an idle machine and widen onto every core;
    its count goes when it is answered, served or refused."""
    app = _one_slot_app(settings)
    form = _png_form("file")
    path = "/api/image-classification"

    async def main() -> tuple[int, int, int, int]:
        async with app.router.lifespan_context(app):
            admission = app.state.admission
            before = load.LOAD.here()
            await admission.acquire()  # another request is working (not counted here)
            try:
                queued = asyncio.create_task(call(app, path, Upload(iter([form])), MULTIPART))
                while admission.stats.waiting < 1:
                    await asyncio.sleep(0.005)
                waiting = load.LOAD.here() - before
            finally:
                admission.release()
            status, _, _ = await queued
            after = load.LOAD.here() - before
            return waiting, status, after, before

    waiting, status, after, before = asyncio.run(main())
    assert waiting == 1
    assert status == 200
    assert after == 0 and load.LOAD.here() == before
