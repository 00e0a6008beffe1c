"""The blob store: names clients send cannot escape the job's folder or overwrite each other,
and the clean-up removes expired jobs (rows and files) while keeping fresh and unfinished ones."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest

from argus.config import Settings
from argus.errors import InvalidInput, NotFound
from argus.store import jobs as job_store
from argus.store.db import Database
from argus.store.files import MAX_NAME_BYTES, LocalBlobStore, cleanup_expired, safe_name

JOB = "0b7e6a52-3f5e-4c1e-9d0a-6f1f3f7c2a11"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\eve\\..\\photo.jpg", "photo.jpg"),
        ("..", "file"),
        ("...", "file"),
        ("", "file"),
        (None, "file"),
        ("   ", "file"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.jpg", "abc.jpg"),
        ('what?*:<>|".png', "what.png"),
        ("照片 2024.heic", "照片 2024.heic"),
        ("dir/", "file"),
    ],
)
def test_safe_name(given: str | None, stored: str) -> None:
    assert safe_name(given) == stored


def test_long_names_are_shortened_keeping_the_extension() -> None:
    name = safe_name("é" * 300 + ".jpeg")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.startswith("é")


def test_traversal_names_stay_inside_the_job_folder(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")

    async def body() -> list[str]:
        keys = [
            await blobs.put(JOB, "input", name, name.encode())
            for name in ("../../etc/passwd", "/etc/passwd", "", "..", "../../../escape.txt")
        ]
        for key, name in zip(
            keys, ("../../etc/passwd", "/etc/passwd", "", "..", "../../../escape.txt"), strict=True
        ):
            assert await blobs.read(key) == name.encode()
        return keys

    keys = asyncio.run(body())
    assert keys == [
        f"{JOB}/input/passwd",
        f"{JOB}/input/passwd-1",
        f"{JOB}/input/file",
        f"{JOB}/input/file-1",
        f"{JOB}/input/escape.txt",
    ]
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {Path("blobs", JOB, "input", k.rsplit("/", 1)[1]) for k in keys}


def test_colliding_names_get_distinct_suffixes_even_when_written_at_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)

    async def body() -> None:
        keys = await asyncio.gather(
            *(blobs.put(JOB, "output", "result.png", bytes([i])) for i in range(12))
        )
        names = sorted(k.rsplit("/", 1)[1] for k in keys)
        assert names == sorted(["result.png"] + [f"result-{i}.png" for i in range(1, 12)])
        contents = sorted([(await blobs.read(k))[0] for k in keys])
        assert contents == list(range(12)), "nothing was overwritten"
        assert await blobs.names(JOB, "output") == sorted(names)
        assert await blobs.names(JOB, "input") == []

    asyncio.run(body())


def test_bad_keys_and_job_ids_are_refused(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)

    async def body() -> None:
        for job_id in ("../x", "", "a/b", "..", "x" * 65):
            with pytest.raises(InvalidInput):
                await blobs.put(job_id, "input", "a.jpg", b"x")
        for key in (f"{JOB}/input/../../x", f"{JOB}/secret/a", "../input/a", f"{JOB}/input/.a"):
            with pytest.raises(InvalidInput):
                await blobs.read(key)
        with pytest.raises(NotFound):
            await blobs.read(f"{JOB}/input/missing.jpg")
        assert await blobs.delete_job(JOB) is False

    asyncio.run(body())


def test_cleanup_removes_expired_jobs_and_orphans_and_keeps_the_rest(settings: Settings) -> None:
    ttl_s = 3600.0

    async def body() -> None:
        db = Database.from_settings(settings)
        await db.upgrade()
        blobs = LocalBlobStore.from_settings(settings)
        try:
            ids = {}
            for label in ("expired", "fresh", "unfinished", "orphan-old", "orphan-new"):
                job_id = f"{label}-{os.urandom(4).hex()}"
                ids[label] = job_id
                await blobs.put(job_id, "input", "a.jpg", b"x")
                if not label.startswith("orphan"):
                    await job_store.create(db, tenant="t", kind="detect", job_id=job_id)
            assert await job_store.finish(db, job_id=ids["expired"]) == "completed"
            expired = await job_store.get(db, job_id=ids["expired"], tenant=None)
            assert expired is not None and expired.finished_at is not None
            # The moment the first job turns ttl_s old; the second finishes after it.
            now = expired.finished_at + timedelta(seconds=ttl_s, microseconds=1)
            assert await job_store.finish(db, job_id=ids["fresh"]) == "completed"
            old = (now - timedelta(seconds=ttl_s + 60)).timestamp()
            recent = (now - timedelta(seconds=60)).timestamp()
            for label, when in [("orphan-old", old), ("unfinished", old), ("orphan-new", recent)]:
                folder = blobs.root / ids[label]
                for path in [folder, *folder.rglob("*")]:
                    os.utime(path, (when, when))

            removed = await cleanup_expired(db, blobs, ttl_s=ttl_s, now=now)

            assert sorted(removed) == sorted([ids["expired"], ids["orphan-old"]])
            assert sorted(p.name for p in blobs.root.iterdir()) == sorted(
                ids[k] for k in ("fresh", "unfinished", "orphan-new")
            )
            assert await job_store.get(db, job_id=ids["expired"], tenant=None) is None
            for label in ("fresh", "unfinished"):
                assert await job_store.get(db, job_id=ids[label], tenant=None) is not None
            assert await cleanup_expired(db, blobs, ttl_s=ttl_s, now=now) == []
        finally:
            await db.dispose()

    asyncio.run(body())
