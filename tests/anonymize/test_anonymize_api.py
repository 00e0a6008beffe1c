"""Argus's own /api/v1/anonymize job API: options, detections next to the images, faces."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from anon_support import decode_rgb, wait_job
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings
from support.images import png

RGB = npt.NDArray[np.uint8]


def sharpness(image: RGB) -> float:
    """Variance of the Laplacian of the grey image (drops when an image is blurred)."""
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def test_faces_are_blurred_and_the_rest_is_untouched(settings: Settings, astronaut: RGB) -> None:
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/anonymize",
            files=[("files", ("astronaut.png", png(astronaut), "image/png"))],
            data={"targets": "faces", "format": "png"},
        )
        assert resp.status_code == 202, resp.text
        assert resp.headers["location"] == resp.json()["status_url"]
        body = wait_job(client, resp.json()["job_id"])
        assert body["status"] == "completed", body
        assert body["options"]["targets"] == "faces"
        (item,) = body["items"]
        assert item["filename"] == "covered_astronaut.png"
        assert (item["width"], item["height"]) == (512, 512)
        out = decode_rgb(client.get(item["url"]).content)
    (face,) = item["detections"]
    assert face["label"] == "face" and face["source"] == "centerface"
    x1, y1, x2, y2 = (round(v) for v in face["box"])
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200, "Eileen Collins' face"
    assert out.shape == astronaut.shape
    before, after = sharpness(astronaut[y1:y2, x1:x2]), sharpness(out[y1:y2, x1:x2])
    assert after < 0.1 * before, (before, after)
    outside = np.ones(astronaut.shape[:2], bool)
    outside[max(0, y1 - 1) : y2 + 1, max(0, x1 - 1) : x2 + 1] = False
    assert np.array_equal(out[outside], astronaut[outside]), "nothing else changed"


def test_options_pixelate_both_and_bad_options(settings: Settings, astronaut: RGB) -> None:
    with TestClient(create_app(settings)) as client:
        bad = client.post(
            "/api/v1/anonymize",
            files=[("files", ("a.png", png(astronaut), "image/png"))],
            data={"targets": "cats"},
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "validation_error"
        assert "targets" in bad.json()["error"]["message"]
        resp = client.post(
            "/api/v1/anonymize",
            files=[
                ("files", ("a.png", png(astronaut), "image/png")),
                ("files", ("junk.jpg", b"not an image", "image/jpeg")),
            ],
            data={"targets": "both", "mode": "pixelate", "strength": "2", "format": "jpeg"},
        )
        assert resp.status_code == 202, resp.text
        body = wait_job(client, resp.json()["job_id"])
        missing = client.get("/api/v1/anonymize/does-not-exist")
    assert body["status"] == "completed"
    good, junk = body["items"]
    assert good["status"] == "completed" and good["filename"] == "covered_a.jpg"
    assert [d["label"] for d in good["detections"]].count("face") == 1
    assert junk["status"] == "failed" and junk["error"] and junk["url"] is None
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
