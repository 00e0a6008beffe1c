"""Error messages a client reads are plain words: no Python object reprs, exception class
names or Pydantic's report format, on every error path reachable here."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import BaseModel, ValidationError

from argus.api.app import create_app
from argus.config import Settings
from argus.errors import InvalidImage
from argus.plainwords import describe, kind, plain

# what a Python programmer's text looks like: an object repr, a class name with Error, a
# Pydantic report
PYTHON_TEXT = re.compile(
    r"<[\w.]+[^<>]* at 0x|0x[0-9a-f]{6,}|\b[A-Z][a-z]+(?:[A-Z][a-z]+)*Error\b|"
    r"input_value=|input_type=|\[type=|errors\.pydantic\.dev|Traceback"
)


def assert_plain(text: str) -> None:
    found = PYTHON_TEXT.search(text)
    assert found is None, f"{found.group(0)!r} in {text!r}"


def test_object_reprs_are_dropped() -> None:
    assert plain("cannot identify image file <_io.BytesIO object at 0x7f3a2c1b2d40>") == (
        "cannot identify image file"
    )
    image = Image.new("RGB", (2, 2))
    assert plain(f"bad image {image!r} here") == "bad image here"
    assert plain('keep {"<index>": ...} and <b>') == 'keep {"<index>": ...} and <b>'


def test_an_argus_error_never_carries_a_repr() -> None:
    error = InvalidImage(f"The file {object()!r} is corrupt")
    assert error.message == "The file is corrupt"


def test_exceptions_in_words() -> None:
    class Task(BaseModel):
        operation_id: str

    with pytest.raises(ValidationError) as caught:
        Task.model_validate({"operation": 3})
    assert describe(caught.value) == "operation_id: Field required"
    assert kind(ConnectionRefusedError()) == "connection refused error"
    assert describe(ValueError()) == "value error"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    allowed = settings.model_copy(
        update={
            "analysis": settings.analysis.model_copy(
                update={"fetch_allowed_networks": ["127.0.0.0/8"], "fetch_timeout_s": 5.0}
            )
        }
    )
    with TestClient(create_app(allowed)) as c:
        yield c


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # nothing listens there any more


def _message(body: Any) -> str:
    return json.dumps(body)


def test_error_paths_answer_in_plain_words(client: TestClient) -> None:
    answers = [
        client.post(
            "/analyze_image_upload/",
            files={"image_file": ("a.gif", b"GIF89a" + b"\x10\x00\x10\x00" + bytes(20))},
            data={"tasks_json": json.dumps([{"operation_id": "x", "type": "embed_face"}])},
        ),
        client.post(
            "/analyze_image_upload/",
            files={"image_file": ("a.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)},
            data={"tasks_json": json.dumps([{"type": "embed_face", "params": 3}, 7])},
        ),
        client.post(
            "/analyze_image/",
            json={
                "image_url": f"http://127.0.0.1:{_closed_port()}/a.jpg",
                "tasks": [{"operation_id": "x", "type": "embed_face"}],
            },
        ),
        client.post(
            "/api/image-classification",
            files={"file": ("a.gif", b"GIF89a" + b"\x10\x00\x10\x00" + bytes(20))},
        ),
        client.post(
            "/api/v1/classify", files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + bytes(40))}
        ),
        client.post(
            "/api/video-classification", files={"file": ("a.mp4", b"\x00\x00\x00\x18ftypmp42")}
        ),
    ]
    for answer in answers:
        assert answer.status_code < 500, answer.text  # seed 001: 200 for a non-video
        assert_plain(_message(answer.json()) + json.dumps(dict(answer.headers)))
    assert "Could not download image from URL: connect error" in answers[2].json()["detail"]
    assert "[1]: Input should be a valid dictionary" in answers[1].json()["detail"]
