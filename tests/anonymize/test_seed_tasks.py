"""Seed 002's task API through the real app: the curl flow, limits, errors, callbacks, TTL."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from anon_support import decode_rgb, receiver, wait_task
from fastapi.testclient import TestClient
from plates_support import encode, far_mask, inside_mask, street

from argus.api.app import create_app
from argus.config import AnonymizeSettings, Settings

RGB = npt.NDArray[np.uint8]


def fast_settings(tmp_path: Path, **anonymize: object) -> Settings:
    """Cascade-only plates (no OCR): for tests about the task machinery, not detection."""
    return Settings(
        data_dir=tmp_path / "data",
        offline=True,
        anonymize=AnonymizeSettings(plate_ocr=False, **anonymize),
    )


def png(image: RGB) -> bytes:
    return encode(image, "PNG")


@pytest.mark.slow
def test_seed_curl_flow_covers_each_plate_and_leaves_the_rest(
    settings: Settings, coffee: RGB, chelsea: RGB
) -> None:
    car1, quad1 = street(coffee, "А123ВС 77")
    car2, quad2 = street(chelsea, "X777KM 199")
    sent1, sent2 = encode(car1), png(car2)
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/process-task/",
            files=[
                ("files", ("car1.jpg", sent1, "image/jpeg")),
                ("files", ("car2.png", sent2, "image/png")),
            ],
        )
        assert resp.status_code == 202, resp.text
        task_id = resp.json()["task_id"]
        assert resp.json() == {"task_id": task_id}
        assert uuid.UUID(task_id).version == 4
        body = wait_task(client, task_id)
        assert body["status"] == "completed", body
        assert body["results"] == [
            {
                "filename": "covered_car1.webp",
                "url": f"/tasks_storage/{task_id}/output/covered_car1.webp",
            },
            {
                "filename": "covered_car2.webp",
                "url": f"/tasks_storage/{task_id}/output/covered_car2.webp",
            },
        ]
        originals = (decode_rgb(sent1), decode_rgb(sent2))
        for result, original, quad in zip(body["results"], originals, (quad1, quad2), strict=True):
            got = client.get(result["url"])
            assert got.status_code == 200
            assert got.headers["content-type"] == "image/webp"
            assert got.content[8:12] == b"WEBP"
            out = decode_rgb(got.content)
            assert out.shape == original.shape, "same size as the input"
            diff = np.abs(out.astype(np.int16) - original.astype(np.int16)).mean(axis=2)
            inside = diff[inside_mask(original.shape, quad)]
            far = diff[far_mask(original.shape, quad)]
            assert (inside > 40).mean() > 0.9, "the plate's characters are covered"
            assert far.mean() < 4, "elsewhere only WebP's compression noise"
            assert inside.mean() > 20 * far.mean()


def test_limits_count_size_body_and_mime(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path)
    tiny = encode(np.zeros((8, 8, 3), np.uint8), "PNG")
    with TestClient(create_app(settings)) as client:
        url = "/api/v1/process-task/"
        resp = client.post(
            url, files=[("files", (f"{i}.png", tiny, "image/png")) for i in range(51)]
        )
        assert resp.status_code == 413
        assert resp.json() == {"detail": "Слишком много файлов. Лимит: 50."}

        big = b"\xff\xd8\xff" + b"\0" * (21 * 2**20)
        resp = client.post(url, files=[("files", ("huge.jpg", big, "image/jpeg"))])
        assert resp.status_code == 413
        assert resp.json()["detail"].startswith("Файл 'huge.jpg' слишком большой")

        body = b"x" * (100 * 2**20 + 1)  # refused from Content-Length, before it is read
        resp = client.post(
            url, content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
        )
        assert resp.status_code == 413
        assert resp.json() == {
            "detail": "Запрос отклонен: размер тела превышает установленный лимит (100.00 MB)."
        }

        resp = client.post(url, files=[("files", ("notes.txt", b"hello", "text/plain"))])
        assert resp.status_code == 415
        assert "Неподдерживаемый тип файла: 'notes.txt'" in resp.json()["detail"]

        resp = client.post(url, files=[("files", ("a.gif", tiny, "image/gif"))])
        assert resp.status_code == 415, "declared type decides, as in the seed"

        resp = client.post(url, data={"x": "1"})
        assert resp.status_code == 422
        assert isinstance(resp.json()["detail"], list), "FastAPI's validation body"
    assert not any((settings.blobs_dir).glob("*/input/*")), "nothing refused was stored"


def test_request_limit_counts_parsed_sizes_for_chunked_bodies(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path, max_request_mb=0.5)
    part = b"\xff\xd8\xff" + b"\0" * (300 * 1024)
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/process-task/",
            files=[("files", (f"{i}.jpg", part, "image/jpeg")) for i in range(2)],
        )
    assert resp.status_code == 413
    assert resp.json()["detail"].endswith("лимит (0.50 MB).")


def test_unknown_task_and_other_kinds_are_404(tmp_path: Path, coffee: RGB) -> None:
    with TestClient(create_app(fast_settings(tmp_path))) as client:
        resp = client.get("/api/v1/task-status/nope")
        assert resp.status_code == 404
        assert resp.json() == {"detail": "Задача с ID 'nope' не найдена."}
        detect = client.post(
            "/api/v1/jobs", data={"kind": "detect"}, files=[("files", ("c.png", png(coffee)))]
        )
        assert detect.status_code == 202
        other = detect.json()["job_id"]
        assert client.get(f"/api/v1/task-status/{other}").status_code == 404
        assert client.get(f"/tasks_storage/{uuid.uuid4()}/output/covered_x.webp").status_code == 404


def test_unreadable_file_skipped_colliding_stems_kept(
    tmp_path: Path, coffee: RGB, chelsea: RGB
) -> None:
    with TestClient(create_app(fast_settings(tmp_path))) as client:
        resp = client.post(
            "/api/v1/process-task/",
            files=[
                ("files", ("a/photo.jpg", encode(coffee), "image/jpeg")),
                ("files", ("broken.jpg", b"this is not a picture", "image/jpeg")),
                ("files", ("photo.png", png(chelsea), "image/png")),
            ],
        )
        assert resp.status_code == 202, resp.text
        body = wait_task(client, resp.json()["task_id"])
        assert body["status"] == "completed"
        names = [r["filename"] for r in body["results"]]
        assert names == ["covered_photo.webp", "covered_photo-1.webp"], "nothing overwritten"
        first, second = (decode_rgb(client.get(r["url"]).content) for r in body["results"])
        assert first.shape == coffee.shape and second.shape == chelsea.shape


def test_all_unreadable_fails_with_no_results(tmp_path: Path) -> None:
    with TestClient(create_app(fast_settings(tmp_path))) as client:
        resp = client.post(
            "/api/v1/process-task/",
            files=[
                ("files", ("x.jpg", b"", "image/jpeg")),
                ("files", ("y.png", b"\x89PNG\r\n\x1a\n truncated", "image/png")),
            ],
        )
        assert resp.status_code == 202
        body = wait_task(client, resp.json()["task_id"])
        assert body == {"task_id": resp.json()["task_id"], "status": "failed", "results": []}


def test_seed_callback_and_upload_reach_the_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, coffee: RGB
) -> None:
    with receiver() as backend:
        monkeypatch.setenv("BACKEND_CALLBACK_URL", f"{backend.url}/callback")
        monkeypatch.setenv("BACKEND_UPLOAD_URL", f"{backend.url}/api/images/upload")
        settings = Settings(data_dir=tmp_path / "data", offline=True)
        settings.anonymize.plate_ocr = False
        with TestClient(create_app(settings)) as client:
            resp = client.post(
                "/api/v1/process-task/",
                files=[("files", ("cup.jpg", encode(coffee), "image/jpeg"))],
            )
            task_id = resp.json()["task_id"]
            assert wait_task(client, task_id)["status"] == "completed"
            got = backend.wait(2)
    callback = next(r for r in got if r.path == "/callback")
    assert json.loads(callback.body) == {
        "task_id": task_id,
        "status": "completed",
        "results": [
            {
                "filename": "covered_cup.webp",
                "url": f"/tasks_storage/{task_id}/output/covered_cup.webp",
            }
        ],
    }
    upload = next(r for r in got if r.path == "/api/images/upload")
    assert upload.content_type.startswith("multipart/form-data")
    assert f'name="task_id"\r\n\r\n{task_id}'.encode() in upload.body
    assert re.search(
        rb'name="images"; filename="covered_cup.webp"\r\nContent-Type: image/webp', upload.body
    )
    assert b"WEBP" in upload.body


def test_tasks_are_removed_after_task_storage_ttl_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, coffee: RGB
) -> None:
    monkeypatch.setenv("TASK_STORAGE_TTL_HOURS", "2")
    settings = Settings(data_dir=tmp_path / "data", offline=True)
    assert settings.blobs.ttl_h == 2
    settings.anonymize.plate_ocr = False
    with TestClient(create_app(settings)) as client:
        resp = client.post(
            "/api/v1/process-task/", files=[("files", ("cup.jpg", encode(coffee), "image/jpeg"))]
        )
        task_id = resp.json()["task_id"]
        body = wait_task(client, task_id)
        assert client.get(body["results"][0]["url"]).status_code == 200
        assert (settings.blobs_dir / task_id).is_dir()
        assert client.portal is not None
        jobs = client.app.state.jobs  # type: ignore[attr-defined]
        ended = datetime.now(UTC)
        kept = client.portal.call(jobs.cleanup, ended + timedelta(hours=1, minutes=59))
        assert task_id not in kept, "removed before its two hours were up"
        assert client.get(f"/api/v1/task-status/{task_id}").status_code == 200
        removed = client.portal.call(jobs.cleanup, ended + timedelta(hours=2, minutes=1))
        assert task_id in removed
        assert client.get(f"/api/v1/task-status/{task_id}").status_code == 404
        assert client.get(body["results"][0]["url"]).status_code == 404
    assert not (settings.blobs_dir / task_id).exists()


def test_ttl_defaults_to_48_hours(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TASK_STORAGE_TTL_HOURS", raising=False)
    assert Settings(data_dir=tmp_path).blobs.ttl_h == 48
