"""The minimal server: index, health, OpenAPI docs and the model catalog over real HTTP calls."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings
from argus.models.catalog import BUILTINS
from argus.models.tasks import ThresholdDetector


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_index_points_to_docs_and_health(client: TestClient) -> None:
    body = client.get("/").json()
    assert body["name"] == "Argus"
    assert body["docs"] == "/docs"


def test_health_is_ok_then_names_the_missing_data_dir(
    client: TestClient, settings: Settings
) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    shutil.rmtree(settings.data_dir)
    resp = client.get("/health")
    assert resp.status_code == 503
    assert "data_dir" in resp.json()["failing"]


def test_docs_page_and_openapi_describe_the_models_route(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/v1/models" in client.get("/openapi.json").json()["paths"]


def test_the_api_pages_use_the_bundled_assets_when_built(client: TestClient) -> None:
    from argus.api.routes.admin_page import DIST_DIR

    if not (DIST_DIR / "redoc.standalone.js").is_file():
        pytest.skip("the page bundle is not built (make web)")
    for page, asset, kind in [
        ("/docs", "swagger-ui-bundle.js", "text/javascript"),
        ("/docs", "swagger-ui.css", "text/css"),
        ("/redoc", "redoc.standalone.js", "text/javascript"),
    ]:
        html = client.get(page)
        assert f'"/docs/assets/{asset}"' in html.text
        assert "default-src 'self'" in html.headers["Content-Security-Policy"]
        served = client.get(f"/docs/assets/{asset}")
        assert served.status_code == 200 and served.headers["content-type"].startswith(kind)
    assert client.get("/docs/assets/admin.js").status_code == 404  # only the pages' own files
    assert client.get("/docs/assets/..%2Fsecret").status_code == 404


def test_models_route_lists_every_builtin_as_installed_and_not_loaded(
    client: TestClient,
) -> None:
    body = client.get("/api/v1/models").json()
    by_name = {m["name"]: m for m in body["models"]}
    for spec in BUILTINS:
        assert by_name[spec.name]["installed"] is True, spec.name
        assert by_name[spec.name]["loaded"] is False
    assert "CPUExecutionProvider" in body["available_providers"]


def test_loaded_model_reports_its_provider(client: TestClient) -> None:
    pool = client.app.state.pool  # type: ignore[attr-defined]
    pool.get("nudenet-320n", ThresholdDetector)
    info = client.get("/api/v1/models/nudenet-320n").json()
    assert info["loaded"] is True
    assert info["providers"] == ["CPUExecutionProvider"]


def test_unknown_model_is_a_404_in_argus_error_shape(client: TestClient) -> None:
    resp = client.get("/api/v1/models/no-such-model")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "unknown_model"
    assert "no-such-model" in resp.json()["error"]["message"]
