"""`argus serve --workers N` spreads connections over its workers: each worker listens on a
socket of its own (``SO_REUSEPORT``), so connections opened together do not all land on the
worker that woke first (with one shared socket, eight keep-alive connections were measured on
one worker, and the second core idled)."""

from __future__ import annotations

import select
import socket
from pathlib import Path

import pytest

from argus.api import reuseport
from support.processes import workers
from support.servers import serve_workers, wait_for_health

pytestmark = pytest.mark.skipif(not reuseport.available(), reason="no SO_REUSEPORT here")


def test_a_socket_group_listens_on_one_port_and_a_taken_port_fails_whole() -> None:
    group = reuseport.listen_group("127.0.0.1", 0, 3)
    try:
        port = group[0].getsockname()[1]
        assert [s.getsockname()[1] for s in group] == [port] * 3
        # a connection waits in a listening socket's queue though no worker accepts yet
        # (a slot whose worker is restarting)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"ping")
            ready = [s for s in group if select.select([s], [], [], 0)[0]]
            assert len(ready) == 1
            conn, _ = ready[0].accept()
            with conn:
                assert conn.recv(4) == b"ping"
        with socket.socket() as plain:  # the port held without SO_REUSEPORT
            plain.bind(("127.0.0.1", 0))
            plain.listen()
            with pytest.raises(OSError):
                reuseport.listen_group("127.0.0.1", plain.getsockname()[1], 2)
    finally:
        for sock in group:
            sock.close()


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _server_side(port: int, client_ports: set[int]) -> dict[int, int]:
    """inode -> client port of the server's ends of our connections (from /proc/net/tcp)."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) in client_ports:
            found[inode] = int(remote.split(":")[1], 16)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")
def test_connections_opened_together_reach_every_worker(tmp_path: Path) -> None:
    proc, base = serve_workers(tmp_path / "data")
    port = int(base.rsplit(":", 1)[1])
    clients: list[socket.socket] = []
    try:
        wait_for_health(proc, base)
        # sixteen keep-alive connections opened at once, each answered once and kept open
        clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(16)]
        for sock in clients:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        for sock in clients:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        ours = _server_side(port, {sock.getsockname()[1] for sock in clients})
        assert len(ours) == 16
        per_worker = {pid: len(_socket_inodes(pid) & ours.keys()) for pid in workers(proc.pid)}
        held = sorted(n for n in per_worker.values() if n)
        # both workers hold some (all on one would happen with odds of 2 in 65,536 if the
        # kernel's hash spreads them evenly)
        assert len(held) == 2 and sum(held) == 16, per_worker
    finally:
        for sock in clients:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)
