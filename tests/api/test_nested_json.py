"""JSON nested a hundred thousand deep in a form field is a 4xx in the route's own shape."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from argus.api import jsonform
from argus.api.app import create_app
from argus.config import Settings
from support.images import encode

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def png() -> bytes:
    return encode(np.full((16, 16, 3), 200, np.uint8), "PNG")


def test_the_parser_refuses_depth_but_reads_brackets_inside_strings() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested deeper than 32"):
        jsonform.loads(DEEP)
    assert jsonform.loads('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == {"a": "[" * 42}
    assert jsonform.loads("[" * 32 + "]" * 32) is not None


def test_tasks_json(client: TestClient, png: bytes) -> None:
    resp = client.post(
        "/analyze_image_upload/",
        files={"image_file": ("a.png", png, "image/png")},
        data={"tasks_json": DEEP},
    )
    assert resp.status_code == 400
    assert "nested deeper" in resp.json()["detail"]
    assert client.get("/health").status_code == 200  # the connection is fine afterwards


def test_feature(client: TestClient, png: bytes) -> None:
    resp = client.post(
        "/api/compare_image_feature",
        files={"image": ("a.png", png, "image/png")},
        data={"feature": DEEP},
    )
    assert 400 <= resp.status_code < 500
    assert "nested deeper" in resp.text


def test_job_options(client: TestClient, png: bytes) -> None:
    resp = client.post(
        "/api/v1/jobs",
        files={"files": ("a.png", png, "image/png")},
        data={"kind": "moderate", "options": DEEP},
    )
    assert resp.status_code == 422
    assert "nested deeper" in resp.json()["error"]["message"]
