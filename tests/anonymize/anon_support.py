"""Helpers for the anonymization API tests: polling a task, a loopback callback receiver."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi.testclient import TestClient
from PIL import Image

from support.waiting import wait_until


def wait_task(client: TestClient, task_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll seed 002's status route until the task is completed or failed."""

    def ended() -> dict[str, Any] | None:
        resp = client.get(f"/api/v1/task-status/{task_id}")
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_until(ended, f"task {task_id} to end", timeout_s=timeout_s)


def wait_job(client: TestClient, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll Argus's anonymize route until the job ended."""

    def ended() -> dict[str, Any] | None:
        resp = client.get(f"/api/v1/anonymize/{job_id}")
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body if body["status"] not in ("pending", "running") else None

    return wait_until(ended, f"job {job_id} to end", timeout_s=timeout_s)


def decode_rgb(data: bytes) -> npt.NDArray[np.uint8]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    content_type: str
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)

    def wait(self, n: int, timeout_s: float = 20.0) -> list[Received]:
        wait_until(lambda: len(self.requests) >= n, f"{n} callbacks", timeout_s=timeout_s)
        return self.requests


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    """A loopback HTTP server recording every POST (the seed's backend, test_backend.py)."""
    got: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            got.append(
                Received(self.path, self.headers.get("Content-Type", ""), self.rfile.read(length))
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", got)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
