"""`argus serve --workers N` gives memory back and loses no connection while a worker is gone.

A worker whose models were all unloaded and that stayed well above its size at start retires,
and the supervisor starts a fresh one on the same listening socket (`argus.api.recycle`,
`argus.api.supervisor`); a worker that crashes is replaced the same way. Connections the kernel
hands a slot meanwhile wait in its socket's queue."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import skimage.data
from PIL import Image

from argus.api import reuseport
from support.servers import wait_for_health

pytestmark = pytest.mark.skipif(
    not reuseport.available() or not Path("/proc/self/statm").exists(),
    reason="needs SO_REUSEPORT and /proc",
)


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    return found


def _workers(supervisor: int) -> set[int]:
    """The supervisor's worker processes (multiprocessing's resource tracker left out)."""
    workers = set()
    for pid, parent in _parents().items():
        if parent != supervisor:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            workers.add(pid)
    return workers


def _resident_mb(supervisor: int) -> float:
    """The server's resident size: the supervisor and everything under it."""
    parents = _parents()
    tree, frontier = [supervisor], [supervisor]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:"))
    return total / 1024


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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "ARGUS_PORT": str(port),
        "ARGUS_DATA_DIR": str(tmp_path / "data"),
        "ARGUS_OFFLINE": "1",
        "ARGUS_LOG_LEVEL": "warning",
        "ARGUS_MODELS__TTL_S": "1",
        "ARGUS_MODELS__EVICT_INTERVAL_S": "1",
    }
    argus = str(Path(sys.executable).with_name("argus"))
    proc = subprocess.Popen([argus, "serve", "--workers", "2"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    photo = {"file": ("astronaut.jpg", _photo(), "image/jpeg")}
    try:
        wait_for_health(proc, base)
        assert not _health_on_new_connections(base, 1.0)
        started = _workers(proc.pid)
        assert len(started) == 2
        idle_mb = _resident_mb(proc.pid)

        # NudeNet loads in the workers that get these (new connections: the kernel spreads them)
        answers = [
            httpx.post(f"{base}/api/v1/moderation/detect", files=photo, timeout=120)
            for _ in range(6)
        ]
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        loaded_mb = _resident_mb(proc.pid)
        assert loaded_mb > idle_mb + 100  # the model is in memory

        # the workers that loaded it unload it after 1 s idle, retire, and fresh ones start
        # (one that got no model work stays); requests sent all along are answered
        def given_back() -> bool:
            now = _workers(proc.pid)
            return len(now) == 2 and now != started and _resident_mb(proc.pid) < idle_mb * 1.15

        failed = _health_on_new_connections(base, 60.0, until=given_back)
        assert not failed
        assert given_back(), (idle_mb, loaded_mb, _resident_mb(proc.pid))
        again = httpx.post(f"{base}/api/v1/moderation/detect", files=photo, timeout=120)
        assert again.status_code == 200 and again.json() == answers[0].json()

        # a worker killed outright: connections made before its replacement is up wait for it
        victim = min(_workers(proc.pid))
        os.kill(victim, signal.SIGKILL)
        assert not _health_on_new_connections(base, 4.0)
        assert victim not in _workers(proc.pid) and len(_workers(proc.pid)) == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
