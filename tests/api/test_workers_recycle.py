"""`argus serve --workers N` gives memory back and loses no connection while a worker is gone.

A worker whose models were all unloaded and that stayed well above its size at start retires,
and the supervisor starts a fresh one on the same listening socket (`argus.api.recycle`,
`argus.api.supervisor`); a worker that crashes is replaced the same way. Connections the kernel
hands a slot meanwhile wait in its socket's queue."""

from __future__ import annotations

import io
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import skimage.data
from PIL import Image

from argus.api import reuseport
from support.processes import resident_mb, workers
from support.servers import serve_workers, wait_for_health

pytestmark = pytest.mark.skipif(
    not reuseport.available() or not Path("/proc/self/statm").exists(),
    reason="needs SO_REUSEPORT and /proc",
)


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _health_on_new_connections(
    base: str, seconds: float, until: Callable[[], bool] | None = None
) -> list[str]:
    """GET /health on a new connection every 0.1 s; what failed (a status or an error)."""
    failed = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status = httpx.get(f"{base}/health", timeout=30).status_code
            if status != 200:
                failed.append(str(status))
        except httpx.HTTPError as exc:
            failed.append(repr(exc))
        if until is not None and until():
            break
        time.sleep(0.1)
    return failed


def test_a_worker_that_unloaded_its_models_retires_and_a_crash_drops_no_connection(
    tmp_path: Path,
) -> None:
    proc, base = serve_workers(
        tmp_path / "data",
        ARGUS_LOG_LEVEL="warning",
        ARGUS_MODELS__TTL_S="1",
        ARGUS_MODELS__EVICT_INTERVAL_S="1",
    )
    photo = {"file": ("astronaut.jpg", _photo(), "image/jpeg")}
    try:
        wait_for_health(proc, base)
        assert not _health_on_new_connections(base, 1.0)
        started = workers(proc.pid)
        assert len(started) == 2
        idle_mb = resident_mb(proc.pid)

        # NudeNet loads in the workers that get these (new connections: the kernel spreads them)
        answers = [
            httpx.post(f"{base}/api/v1/moderation/detect", files=photo, timeout=120)
            for _ in range(6)
        ]
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        loaded_mb = resident_mb(proc.pid)
        assert loaded_mb > idle_mb + 100  # the model is in memory

        # the workers that loaded it unload it after 1 s idle, retire, and fresh ones start
        # (one that got no model work stays); requests sent all along are answered
        def given_back() -> bool:
            now = workers(proc.pid)
            return len(now) == 2 and now != started and resident_mb(proc.pid) < idle_mb * 1.15

        failed = _health_on_new_connections(base, 60.0, until=given_back)
        assert not failed
        assert given_back(), (idle_mb, loaded_mb, resident_mb(proc.pid))
        again = httpx.post(f"{base}/api/v1/moderation/detect", files=photo, timeout=120)
        assert again.status_code == 200 and again.json() == answers[0].json()

        # a worker killed outright: connections made before its replacement is up wait for it
        victim = min(workers(proc.pid))
        os.kill(victim, signal.SIGKILL)
        assert not _health_on_new_connections(base, 4.0)
        assert victim not in workers(proc.pid) and len(workers(proc.pid)) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
