"""A method a path does not take answers 405 with every method the OpenAPI document lists for
that path in ``Allow`` (Starlette listed only the first matching route's)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_keys_list_and_create_are_both_allowed(client: TestClient) -> None:
    answer = client.patch("/api/v1/keys")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.json() == {"detail": "Method Not Allowed"}


def test_every_405_lists_the_documented_methods(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for template, operations in paths.items():
        documented = sorted(m.upper() for m in operations if m.upper() in METHODS)
        other = next((m for m in METHODS if m not in documented), None)
        if other is None:
            continue
        path = re.sub(r"\{[^}]+\}", "1", template)
        answer = client.request(other, path)
        assert answer.status_code == 405, (other, path, answer.status_code)
        assert answer.headers["allow"] == ", ".join(documented), (other, path)
        checked += 1
    assert checked > 50
