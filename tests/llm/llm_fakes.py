"""Loopback fakes of the OpenAI chat-completions and Anthropic Messages APIs.

One threaded HTTP server answers ``POST /v1/chat/completions`` in OpenAI's wire format and
``POST /v1/messages`` in Anthropic's. Each request is checked the way the real services would
reject it (the image must be a base64 JPEG: a ``data:image/jpeg;base64,`` URL in an
``image_url`` part for OpenAI, a ``{"type": "image", "source": {"type": "base64", ...}}`` block
for Anthropic) and recorded; the answers come from a script: each :class:`Reply` is used once,
in order, and the last one keeps answering. A reply can be a text, an HTTP error status (with
``Retry-After``) or a delay longer than the client's timeout.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay_s: float = 0.0
    retry_after: str | None = None
    input_tokens: int = 1200
    output_tokens: int = 40


@dataclass
class FakeLlm:
    """The script and what was received."""

    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_reply(self) -> Reply:
        if len(self.script) > 1:
            return self.script.pop(0)
        return self.script[0] if self.script else Reply('{"category": "other"}')


def _check_jpeg(b64: str) -> bool:
    try:
        return base64.b64decode(b64, validate=True).startswith(JPEG_MAGIC)
    except ValueError:
        return False


def _openai_problem(body: dict[str, Any]) -> str | None:
    try:
        parts = body["messages"][0]["content"]
        urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
        texts = [p["text"] for p in parts if p["type"] == "text"]
    except (KeyError, IndexError, TypeError):
        return "messages[0].content is not a list of parts"
    prefix = "data:image/jpeg;base64,"
    if len(urls) != 1 or not urls[0].startswith(prefix) or not _check_jpeg(urls[0][len(prefix) :]):
        return "expected one image_url part holding a base64 JPEG data URL"
    if not texts or not body.get("model") or not body.get("max_tokens"):
        return "missing prompt, model or max_tokens"
    return None


def _anthropic_problem(body: dict[str, Any]) -> str | None:
    try:
        blocks = body["messages"][0]["content"]
        images = [b["source"] for b in blocks if b["type"] == "image"]
        texts = [b["text"] for b in blocks if b["type"] == "text"]
    except (KeyError, IndexError, TypeError):
        return "messages[0].content is not a list of blocks"
    if (
        len(images) != 1
        or images[0].get("type") != "base64"
        or images[0].get("media_type") != "image/jpeg"
        or not _check_jpeg(images[0].get("data", ""))
    ):
        return "expected one base64 image/jpeg block"
    if not texts or not body.get("model") or not body.get("max_tokens"):
        return "missing prompt, model or max_tokens"
    return None


def _handler(fake: FakeLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            anthropic = self.path.rstrip("/").endswith("/v1/messages")
            openai = self.path.rstrip("/").endswith("/chat/completions")
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append({"path": self.path, "headers": headers, "body": body})
            if not (anthropic or openai):
                return self._send(404, {"error": {"message": "not found"}})
            problem = _anthropic_problem(body) if anthropic else _openai_problem(body)
            if problem:
                fake.problems.append(problem)
                return self._send(
                    400, {"error": {"type": "invalid_request_error", "message": problem}}
                )
            reply = fake.next_reply()
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if reply.status != 200:
                headers = {"retry-after": reply.retry_after} if reply.retry_after else {}
                error = {
                    "type": "rate_limit_error" if reply.status == 429 else "api_error",
                    "message": f"fake error {reply.status}",
                }
                payload = {"type": "error", "error": error} if anthropic else {"error": error}
                return self._send(reply.status, payload, headers)
            if anthropic:
                return self._send(
                    200,
                    {
                        "id": "msg_fake",
                        "type": "message",
                        "role": "assistant",
                        "model": body["model"],
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "content": [{"type": "text", "text": reply.text}],
                        "usage": {
                            "input_tokens": reply.input_tokens,
                            "output_tokens": reply.output_tokens,
                        },
                    },
                )
            return self._send(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": reply.text},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": reply.input_tokens,
                        "completion_tokens": reply.output_tokens,
                        "total_tokens": reply.input_tokens + reply.output_tokens,
                    },
                },
            )

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            with contextlib.suppress(OSError):  # the client may have timed out and gone
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

    return Handler


@contextlib.contextmanager
def running_llm(*script: Reply) -> Iterator[FakeLlm]:
    """A fake answering on a free loopback port until the block ends."""
    fake = FakeLlm(script=list(script))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def good(category: str = "foods", confidence: float = 0.93, description: str = "一碗咖啡") -> str:
    return json.dumps(
        {"category": category, "confidence": confidence, "description": description},
        ensure_ascii=False,
    )
