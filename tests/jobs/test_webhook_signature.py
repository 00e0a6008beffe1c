"""Completion webhooks carry an HMAC-SHA256 signature of the exact bytes sent when a secret is
configured; a receiver holding the secret can verify it, one without it cannot forge it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from argus.config import JobSettings
from argus.jobs import webhook


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(({k.lower(): v for k, v in self.headers.items()}, raw))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_secret_signs_the_exact_body(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, got = receiver
    settings = JobSettings(webhook_allowed_networks=["127.0.0.0/8"], webhook_secret="s3cret")
    body = {"job_id": "j1", "status": "completed", "error": "données"}
    assert asyncio.run(webhook.send(url, body, settings=settings)) is True
    (headers, raw) = got[0]
    stamp, sig = (part.split("=", 1)[1] for part in headers["x-argus-signature"].split(","))
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig, expected)
    forged = hmac.new(b"guess", stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert sig != forged
    assert headers["content-type"] == "application/json"


def test_without_a_secret_the_call_is_unsigned(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, got = receiver
    settings = JobSettings(webhook_allowed_networks=["127.0.0.0/8"])
    assert asyncio.run(webhook.send(url, {"job_id": "j2"}, settings=settings)) is True
    assert "x-argus-signature" not in got[0][0]
