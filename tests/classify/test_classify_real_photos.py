"""The offline engine on the group photos of face-api's npm ``demo/`` folder, through the real
HTTP API: three to five women at parties are a social activity (CenterFace finds every face,
also in ``demo/sample2.jpg`` where two of the three women look down)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings
from support.images import encode

RGB = npt.NDArray[np.uint8]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("classify-real") / "data"
    with TestClient(create_app(Settings(data_dir=data_dir, offline=True))) as c:
        yield c


@pytest.mark.parametrize("index", range(6), ids=lambda i: f"sample{i + 1}")
def test_a_group_photo_is_a_social_activity(
    client: TestClient, face_api_photos: list[RGB], index: int
) -> None:
    resp = client.post(
        "/api/v1/classify",
        files={"image": ("group.jpg", encode(face_api_photos[index], quality=90), "image/jpeg")},
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert data["category"] == "social_activities", data
    seen = data["local_inference_result"]
    assert len(seen["faces"]) >= 3
    assert sum(d["className"] == "person" for d in seen["generalDetections"]) >= 2
