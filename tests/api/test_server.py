"""`argus serve` (one process or several workers) and Gunicorn with Argus's Uvicorn worker close
connections that trickle their headers, and still answer others."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from support.servers import wait_for_health


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection while we keep trickling header bytes."""
    sock.settimeout(0.5)
    for _ in range(60):  # at most ~30 s of trickling
        try:
            if sock.recv(1024) == b"":
                return True
        except TimeoutError:
            pass
        try:
            sock.sendall(b"X")
        except OSError:
            return True
    return False


def _argus_serve(port: int, *extra: str) -> list[str]:
    return [str(Path(sys.executable).with_name("argus")), "serve", *extra]


def _gunicorn(port: int) -> list[str]:
    return [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "python:argus.api.gunicorn",
        "argus.api.app:create_app()",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--no-control-socket",
    ]


@pytest.mark.parametrize(
    "command",
    [
        _argus_serve,
        lambda port: _argus_serve(port, "--workers", "2"),
        _gunicorn,
    ],
    ids=["argus-serve", "argus-serve-2-workers", "gunicorn-2-workers"],
)
def test_slow_headers_are_cut_off_and_the_server_keeps_answering(
    tmp_path: Path, command: Callable[[int], list[str]]
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "ARGUS_PORT": str(port),
        "ARGUS_DATA_DIR": str(tmp_path / "data"),
        "ARGUS_OFFLINE": "1",
        "ARGUS_SERVER__HEADER_TIMEOUT_S": "1",
    }
    proc = subprocess.Popen(command(port), env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(proc, base)
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        for sock in slow:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        try:
            assert all(_closed_by_server(sock) for sock in slow)
        finally:
            for sock in slow:
                sock.close()
        assert httpx.get(f"{base}/health", timeout=10).json() == {"status": "ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
