"""`argus serve` closes connections that trickle their headers, and still answers others."""

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


def test_slow_headers_are_cut_off_and_the_server_keeps_answering(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "ARGUS_PORT": str(port),
        "ARGUS_DATA_DIR": str(tmp_path / "data"),
        "ARGUS_OFFLINE": "1",
        "ARGUS_SERVER__HEADER_TIMEOUT_S": "1",
    }
    argus = Path(sys.executable).with_name("argus")
    proc = subprocess.Popen([str(argus), "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.2)
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
