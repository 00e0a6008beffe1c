"""Faces in face-api's six demo group photos through /api/v1/anonymize (CenterFace, the default):
every woman's face is found, also at an eighth of the size (faces of about 30 px, where dlib HOG
finds none), and every face found is blurred."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from anon_support import decode_rgb, wait_job
from fastapi.testclient import TestClient
from test_anonymize_api import sharpness

from argus.api.app import create_app
from argus.config import Settings
from support.images import png

RGB = npt.NDArray[np.uint8]
WOMEN = (3, 3, 3, 4, 5, 4)  # faces in demo/sample1..6.jpg, counted by eye


def anonymized(client: TestClient, image: RGB) -> tuple[RGB, list[dict[str, object]]]:
    resp = client.post(
        "/api/v1/anonymize",
        files=[("files", ("group.png", png(image), "image/png"))],
        data={"targets": "faces", "format": "png"},
    )
    assert resp.status_code == 202, resp.text
    body = wait_job(client, resp.json()["job_id"])
    assert body["status"] == "completed", body
    (item,) = body["items"]
    return decode_rgb(client.get(item["url"]).content), item["detections"]


@pytest.mark.parametrize("shrink", [1, 8], ids=["full-size", "eighth"])
def test_every_face_in_the_group_photos_is_found_and_blurred(
    settings: Settings, face_api_photos: list[RGB], shrink: int
) -> None:
    with TestClient(create_app(settings)) as client:
        for photo, women in zip(face_api_photos, WOMEN, strict=True):
            h, w = photo.shape[:2]
            image = cv2.resize(photo, (w // shrink, h // shrink), interpolation=cv2.INTER_AREA)
            out, found = anonymized(client, image)
            faces = [d for d in found if d["label"] == "face"]
            assert len(faces) >= women
            assert all(d["source"] == "centerface" for d in faces)
            for face in faces:
                box = face["box"]
                assert isinstance(box, list)
                x1, y1, x2, y2 = (round(float(v)) for v in box)
                before = sharpness(image[y1:y2, x1:x2])
                assert sharpness(out[y1:y2, x1:x2]) < 0.5 * before, face


def test_without_the_converted_models_dlib_hog_blurs_the_face(
    tmp_path: Path, astronaut: RGB
) -> None:
    bare = Settings(
        data_dir=tmp_path / "data", offline=True, models={"converted_dir": tmp_path / "none"}
    )
    with TestClient(create_app(bare)) as client:
        out, found = anonymized(client, astronaut)
    (face,) = found
    assert face["source"] == "dlib-hog-face"
    box = face["box"]
    assert isinstance(box, list)
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    assert sharpness(out[y1:y2, x1:x2]) < 0.5 * sharpness(astronaut[y1:y2, x1:x2])
