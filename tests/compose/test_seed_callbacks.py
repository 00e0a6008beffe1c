"""Seed 002's completion callbacks, sent through the one outgoing sender: a JSON POST of the
task's results to ``anonymize.callback_url`` and a multipart POST of the result images to
``anonymize.upload_url``, only for a completed job created with ``seed_callbacks``."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from argus.api.seeds.anonymize import seed_callbacks, seed_results
from argus.config import AnonymizeSettings, Settings
from argus.store.files import LocalBlobStore
from argus.store.tables import Job, JobItem, JobStatus

Received = list[tuple[str, dict[str, str], bytes]]
JOB_ID = "0b9f5c1e-6a1d-4c39-9d55-2f1f3b8c0a11"


@pytest.fixture
def backend() -> Iterator[tuple[str, Received]]:
    got: Received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", got
    finally:
        server.shutdown()
        server.server_close()


def _job(status: str, *, seed: bool = True) -> Job:
    items = [
        JobItem(index=1, input_name="b.jpg", status="failed", output=None),
        JobItem(
            index=0,
            input_name="a.jpg",
            status=JobStatus.COMPLETED.value,
            output={"filename": "covered_a.webp"},
        ),
    ]
    return Job(
        id=JOB_ID, tenant="default", kind="anonymize", status=status,
        options={"targets": "plates", "seed_callbacks": seed}, items=items,
    )  # fmt: skip


def _settings(settings: Settings, base: str) -> Settings:
    anonymize = AnonymizeSettings(callback_url=f"{base}/done", upload_url=f"{base}/upload")
    return settings.model_copy(update={"anonymize": anonymize})


def test_results_are_the_completed_items_with_their_seed_urls() -> None:
    assert seed_results(_job(JobStatus.COMPLETED.value)) == [
        {"filename": "covered_a.webp", "url": f"/tasks_storage/{JOB_ID}/output/covered_a.webp"}
    ]


def test_a_completed_seed_task_calls_back_and_uploads_its_images(
    settings: Settings, backend: tuple[str, Received]
) -> None:
    base, got = backend
    conf = _settings(settings, base)
    blobs = LocalBlobStore.from_settings(conf)
    asyncio.run(blobs.put(JOB_ID, "output", "covered_a.webp", b"RIFF-webp-bytes"))

    asyncio.run(seed_callbacks(conf, blobs, _job(JobStatus.COMPLETED.value)))

    assert [path for path, _, _ in got] == ["/done", "/upload"]
    _, headers, raw = got[0]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("argus/")
    assert json.loads(raw) == {
        "task_id": JOB_ID,
        "status": "completed",
        "results": seed_results(_job(JobStatus.COMPLETED.value)),
    }
    _, headers, raw = got[1]
    form = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + raw
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
    assert parts["task_id"].get_content().strip() == JOB_ID
    image = parts["images"]
    assert image.get_filename() == "covered_a.webp"
    assert image.get_content_type() == "image/webp"
    assert image.get_payload(decode=True) == b"RIFF-webp-bytes"


@pytest.mark.parametrize(
    ("status", "seed"), [(JobStatus.FAILED.value, True), (JobStatus.COMPLETED.value, False)]
)
def test_no_callback_unless_a_seed_task_completed(
    settings: Settings, backend: tuple[str, Received], status: str, seed: bool
) -> None:
    base, got = backend
    conf = _settings(settings, base)
    blobs = LocalBlobStore.from_settings(conf)
    asyncio.run(seed_callbacks(conf, blobs, _job(status, seed=seed)))
    assert got == []


def test_an_unreachable_backend_is_logged_not_raised(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    conf = _settings(settings, "http://127.0.0.1:9")  # discard port: nothing listens
    blobs = LocalBlobStore.from_settings(conf)
    asyncio.run(blobs.put(JOB_ID, "output", "covered_a.webp", b"x"))
    asyncio.run(seed_callbacks(conf, blobs, _job(JobStatus.COMPLETED.value)))
    assert f"task {JOB_ID}: callback to http://127.0.0.1:9/done failed" in caplog.text
    assert f"task {JOB_ID}: upload to http://127.0.0.1:9/upload failed" in caplog.text
