"""`argus serve` as a real process: honours ARGUS_HOST/PORT/DATA_DIR and answers /health, /docs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_argus_serve_answers_health_and_docs(tmp_path: Path) -> None:
    port = _free_port()
    data_dir = tmp_path / "argus-data"
    env = {
        **os.environ,
        "ARGUS_HOST": "127.0.0.1",
        "ARGUS_PORT": str(port),
        "ARGUS_DATA_DIR": str(data_dir),
        "ARGUS_OFFLINE": "1",
    }
    argus = Path(sys.executable).with_name("argus")
    proc = subprocess.Popen(
        [str(argus), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        assert data_dir.is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout:
            proc.stdout.close()


def test_argus_serve_with_two_workers_shares_one_database(tmp_path: Path) -> None:
    """Two worker processes on one port: an empty SQLite database is migrated once, and an
    answer cached by whichever worker served the first upload is found by both."""
    import io

    import skimage.data
    from PIL import Image

    port = _free_port()
    data_dir = tmp_path / "argus-data"
    env = {
        **os.environ,
        "ARGUS_HOST": "127.0.0.1",
        "ARGUS_DATA_DIR": str(data_dir),
        "ARGUS_OFFLINE": "1",
    }
    argus = Path(sys.executable).with_name("argus")
    proc = subprocess.Popen(
        [str(argus), "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buf, "JPEG", quality=90)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not start within 180 s"
            time.sleep(0.2)
        answers = []
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(6):  # new connections: the kernel spreads them over the workers
                files = {"image": ("astronaut.jpg", buf.getvalue(), "image/jpeg")}
                resp = client.post("/api/v1/classify", files=files, headers={"Connection": "close"})
                assert resp.status_code == 200, resp.text
                answers.append(resp.json())
        assert [a["from_cache"] for a in answers] == [False] + [True] * 5
        assert {a["data"]["category"] for a in answers} == {"single_person"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()


def test_the_workers_supervisor_migrates_an_older_database_and_leaves_a_current_one(
    tmp_path: Path,
) -> None:
    """``--workers N`` migrates before its workers start: an older database is brought to the
    newest migration, and on a restart a current one is only read."""
    import asyncio

    from argus.api.workers import migrate_before_workers
    from argus.config import Settings
    from argus.store.db import Database, head_revision

    settings = Settings(data_dir=tmp_path / "data", offline=True)
    db_file = tmp_path / "data" / "argus.db"

    async def on_db(work: str) -> str | None:
        db = Database.from_settings(settings)
        try:
            if work == "old":
                await db.upgrade("0004_usage_counters")
            return await db.current_revision()
        finally:
            await db.dispose()

    assert asyncio.run(on_db("old")) == "0004_usage_counters"
    migrate_before_workers(settings)
    assert asyncio.run(on_db("read")) == head_revision()
    before = db_file.stat().st_mtime_ns
    migrate_before_workers(settings)  # a restart
    assert db_file.stat().st_mtime_ns == before
    assert asyncio.run(on_db("read")) == head_revision()
