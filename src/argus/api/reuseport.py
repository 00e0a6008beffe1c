"""One listening socket per worker process on the same port, so the kernel spreads connections.

Uvicorn's ``--workers`` share one listening socket: every worker waits on it, and the first to
wake accepts every connection that is waiting. Clients that keep their connections open (every
HTTP client library does) then stay on the worker that won: eight connections opened together
were measured to land on one worker, which left the second core idle for dlib's face path (it
holds the GIL, so one process uses one core) and halved the throughput of ``--workers 2``.

With ``SO_REUSEPORT`` each worker slot has a socket of its own bound to the same address, and
the kernel hands each new connection to one of them by a hash of its addresses. The supervisor
opens them all (a port in use fails at once) and keeps them open: each worker it starts gets its
slot's socket, and a worker that exits (a crash, or a worker retiring to give its memory back:
:mod:`argus.api.recycle`) leaves the socket listening, so connections the kernel hands it
meanwhile wait in its queue for the slot's next worker instead of being refused.
"""

from __future__ import annotations

import socket
from typing import Any

BACKLOG = 2048  # Uvicorn's default


def available() -> bool:
    """Whether this system has ``SO_REUSEPORT`` (Linux and the BSDs do)."""
    return hasattr(socket, "SO_REUSEPORT")


def _listening(family: int, address: tuple[Any, ...], backlog: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listen_group(host: str, port: int, count: int, backlog: int = BACKLOG) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` in one ``SO_REUSEPORT`` group (port 0: the
    first one's free port for all). Raises ``OSError`` (none left open) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    group: list[socket.socket] = []
    try:
        group.append(_listening(family, (host, port), backlog))
        address = group[0].getsockname()
        while len(group) < count:
            group.append(_listening(family, address, backlog))
    except OSError:
        for sock in group:
            sock.close()
        raise
    return group
