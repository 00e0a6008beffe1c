"""Seed 000's classify and cache routes through the real HTTP API: shapes, cache, limits.

What a seed-000 client does is replayed unchanged: its curl calls and its JS flow (hash the
original file, ask check-cache, upload a resized copy with ``image_hash``, ask again).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from argus.api.app import create_app
from argus.config import ClassifySettings, DatabaseSettings, Settings
from argus.store import classify_log, request_log
from argus.store.db import Database
from support.images import encode

RGB = Any


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("classify-api") / "data"
    with TestClient(create_app(Settings(data_dir=data_dir, offline=True))) as c:
        yield c


def post_image(client: TestClient, data: bytes, name: str = "p.jpg", **form: str) -> Any:
    return client.post(
        "/api/v1/classify",
        files={"image": (name, data, "image/jpeg")},
        data=form,
        headers={"X-User-ID": "device-1"},
    )


def test_the_second_upload_of_the_same_bytes_comes_from_the_cache(
    client: TestClient, grace_hopper: RGB
) -> None:
    data = encode(grace_hopper, quality=91)
    first = post_image(client, data).json()
    assert first["from_cache"] is False
    assert first["data"]["category"] == "single_person"
    second = post_image(client, data).json()
    assert second["from_cache"] is True
    assert second["data"]["inference_method"] == "cache"
    assert second["data"]["category"] == "single_person"
    assert second["data"]["local_inference_result"] is None
    assert set(second) == {
        "success",
        "data",
        "from_cache",
        "processing_time_ms",
        "request_id",
        "timestamp",
    }


def test_the_seed_js_flow_hash_check_classify_with_hash(client: TestClient, astronaut: RGB) -> None:
    original = encode(astronaut, quality=97)
    image_hash = hashlib.sha256(original).hexdigest()
    miss = client.post("/api/v1/classify/check-cache", json={"image_hash": image_hash})
    assert miss.status_code == 200
    assert miss.json()["cached"] is False
    assert miss.json()["data"] is None
    assert miss.json()["from_cache"] is False

    small = Image.fromarray(astronaut).resize((400, 400))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=80)
    uploaded = post_image(client, buf.getvalue(), image_hash=image_hash).json()
    assert uploaded["from_cache"] is False
    assert uploaded["data"]["category"] == "single_person"

    hit = client.post(
        "/api/v1/classify/check-cache",
        json={"image_hash": image_hash.upper(), "user_id": "device-1"},
    ).json()
    assert hit["cached"] is True
    assert hit["from_cache"] is True
    assert hit["data"]["category"] == "single_person"

    other = hashlib.sha256(b"never uploaded").hexdigest()
    batch = client.post(
        "/api/v1/classify/batch-check-cache", json={"image_hashes": [other, image_hash]}
    ).json()
    assert batch["total"] == 2
    assert batch["cached_count"] == 1
    assert [i["image_hash"] for i in batch["items"]] == [other, image_hash]
    assert [i["cached"] for i in batch["items"]] == [False, True]


def test_a_batch_answers_per_image_and_a_bad_file_does_not_fail_it(
    client: TestClient, grace_hopper: RGB
) -> None:
    files = [
        ("images", ("grace.jpg", encode(grace_hopper, quality=85), "image/jpeg")),
        ("images", ("notes.jpg", b"this is text, not a photo", "image/jpeg")),
    ]
    resp = client.post("/api/v1/classify/batch", files=files, data={"image_hashes": "not json"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["success_count"], body["fail_count"]) == (2, 1, 1)
    good, bad = body["items"]
    assert good["filename"] == "grace.jpg"
    assert good["data"]["category"] == "single_person"
    assert bad["success"] is False
    assert bad["data"] is None
    assert bad["error"].startswith("无效的图片文件")


def test_a_batch_of_21_is_refused_with_the_seed_message(client: TestClient) -> None:
    files = [("images", (f"{i}.jpg", b"x", "image/jpeg")) for i in range(21)]
    resp = client.post("/api/v1/classify/batch", files=files)
    assert resp.status_code == 400
    assert resp.json() == {"detail": "一次最多上传20张图片，当前: 21"}


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "无效的图片文件"),
        (b"hello, I am a text file renamed photo.jpg\n" * 20, "无效的图片文件"),
        ("truncated", "无效的图片文件"),
        ("bmp", "不支持的图片格式：BMP"),
    ],
)
def test_bad_uploads_get_400_with_the_seed_message(
    client: TestClient, coffee: RGB, data: bytes | str, start: str
) -> None:
    if data == "truncated":
        data = encode(coffee)[:5000]
    elif data == "bmp":
        data = encode(coffee, "BMP")
    assert isinstance(data, bytes)
    resp = post_image(client, data)
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith(start)


def test_missing_fields_get_fastapi_422(client: TestClient) -> None:
    resp = client.post("/api/v1/classify", data={"image_hash": "x"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "image"]
    short = client.post("/api/v1/classify/check-cache", json={"image_hash": "abc"})
    assert short.status_code == 422
    for hashes in ([], ["a" * 64] * 101):
        resp = client.post("/api/v1/classify/batch-check-cache", json={"image_hashes": hashes})
        assert resp.status_code == 422


def test_an_image_over_the_size_limit_is_refused(settings: Settings, coffee: RGB) -> None:
    small = settings.model_copy(update={"classify": ClassifySettings(max_image_mb=0.01)})
    data = encode(coffee, quality=95)
    with TestClient(create_app(small)) as client:
        resp = post_image(client, data)
    assert resp.status_code == 400
    # the whole file's size, though only the first limit + 1 bytes were read
    assert resp.json()["detail"] == f"图片过大：{len(data) / 2**20:.2f}MB，最大允许0.01MB"


def test_a_cached_image_is_answered_without_decoding_its_pixels(
    client: TestClient, grace_hopper: RGB
) -> None:
    data = encode(grace_hopper, quality=90)
    assert post_image(client, data).json()["from_cache"] is False
    # the frame marked lossless (SOF3), which libjpeg cannot decode: only a decode notices
    frame = data.index(b"\xff\xc0")
    broken = data[:frame] + b"\xff\xc3" + data[frame + 2 :]
    image_hash = hashlib.sha256(data).hexdigest()
    hit = post_image(client, broken, image_hash=image_hash)
    assert hit.status_code == 200
    assert hit.json()["from_cache"] is True
    fresh = post_image(client, broken)  # its own hash: a miss, so it is decoded and refused
    assert fresh.status_code == 400
    assert fresh.json()["detail"].startswith("无效的图片文件")


def test_a_repeated_upload_reuses_its_header_and_a_refused_one_stays_refused(
    client: TestClient, coffee: RGB
) -> None:
    data = encode(coffee, quality=87)
    assert post_image(client, data).status_code == 200
    classifier = client.app.state.services.classifier  # type: ignore[attr-defined]
    header = classifier.headers.get(hashlib.sha256(data).hexdigest())
    assert header is not None and header.format == "JPEG"
    again = post_image(client, data)
    assert again.status_code == 200 and again.json()["from_cache"] is True
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buf, "BMP")  # a format classify refuses
    for _ in range(2):  # a refused upload is never remembered: refused again, same message
        refused = post_image(client, buf.getvalue(), name="p.bmp")
        assert refused.status_code == 400
        assert refused.json()["detail"].startswith("不支持的图片格式：BMP")


def test_a_clean_shutdown_writes_every_deferred_log_row_and_hit(
    settings: Settings, coffee: RGB
) -> None:
    lazy = settings.model_copy(
        update={"database": DatabaseSettings(write_interval_s=3600, write_batch_max=10_000)}
    )
    data = encode(coffee, quality=88)
    image_hash = hashlib.sha256(data).hexdigest()
    with TestClient(create_app(lazy)) as client:
        post_image(client, data)
        for _ in range(5):
            client.post("/api/v1/classify/check-cache", json={"image_hash": image_hash})
        pending = client.app.state.writes.pending
    assert pending >= 6  # nothing was written on the request path

    async def read() -> tuple[int, int]:
        db = Database.from_settings(lazy)
        try:
            rows = await classify_log.since(db, start=classify_log.day_start())
            logged = await request_log.recent(db, limit=100)
            return len(rows), len(logged)
        finally:
            await db.dispose()

    rows, logged = asyncio.run(read())
    assert rows == 6
    assert logged == 6


def test_every_cached_answer_leaves_its_rows_and_hit_after_a_clean_shutdown(
    settings: Settings, astronaut: RGB
) -> None:
    """The light path's rows (built as plain values, written in one batch at shutdown) are
    whole: one ``classify_requests`` row per answer with the answer's fields, one
    ``request_log`` row per request, and one hit per cached answer on the cache entry."""
    lazy = settings.model_copy(
        update={"database": DatabaseSettings(write_interval_s=3600, write_batch_max=10_000)}
    )
    data = encode(astronaut, quality=90)
    image_hash = hashlib.sha256(data).hexdigest()
    with TestClient(create_app(lazy)) as client:
        first = post_image(client, data).json()
        answers = [post_image(client, data).json() for _ in range(7)]
        checks = [
            client.post(
                "/api/v1/classify/check-cache", json={"image_hash": image_hash, "user_id": "u-2"}
            ).json()
            for _ in range(4)
        ]
        missing = client.post("/api/v1/classify/check-cache", json={"image_hash": "0" * 64})
    assert not first["from_cache"]
    assert all(a["from_cache"] and a["data"] == answers[0]["data"] for a in answers)
    assert all(c["cached"] for c in checks)
    assert missing.json()["cached"] is False

    async def read() -> tuple[list[Any], list[Any], list[classify_log.CachedAnswer]]:
        db = Database.from_settings(lazy)
        try:
            rows = await classify_log.since(db, start=classify_log.day_start())
            logged = await request_log.recent(db, limit=100)
            return rows, logged, await classify_log.cached_answers(db, task="photo-category")
        finally:
            await db.dispose()

    rows, logged, cached = asyncio.run(read())
    assert [r.request_type for r in rows] == ["single_classify"] * 8 + ["single_cache"] * 5
    assert [r.from_cache for r in rows] == [False] + [True] * 11 + [False]
    assert all(r.success for r in rows)
    assert {r.request_id for r in rows[1:8]} == {a["request_id"] for a in answers}
    for row in rows[1:8]:
        assert row.image_hash == image_hash
        assert row.image_size == len(data)
        assert row.category == first["data"]["category"]
        assert row.user_id == "device-1"
        assert row.inference_method == "cache"
        assert row.created_at is not None
    assert {r.user_id for r in rows[8:]} == {"u-2", None}
    assert rows[-1].image_hash == "0" * 64 and rows[-1].category is None
    assert len(logged) == 13
    assert {r.route for r in logged} == {"/api/v1/classify", "/api/v1/classify/check-cache"}
    assert all(r.status == 200 and r.created_at is not None for r in logged)
    assert [c.hit_count for c in cached] == [1 + 7 + 4]
