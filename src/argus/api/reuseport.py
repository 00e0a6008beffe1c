"""One listening socket per worker process on the same port, so the kernel spreads connections.

Uvicorn's ``--workers`` share one listening socket: every worker waits on it, and the first to
wake accepts every connection that is waiting. Clients that keep their connections open (every
HTTP client library does) then stay on the worker that won: eight connections opened together
were measured to land on one worker, which left the second core idle for dlib's face path (it
holds the GIL, so one process uses one core) and halved the throughput of ``--workers 2``.

With ``SO_REUSEPORT`` each worker listens on a socket of its own bound to the same address, and
the kernel hands each new connection to one of them by a hash of its addresses. The supervisor
keeps a socket bound (not listening: it takes no connection) so the port is held and a port in
use fails at once; what Uvicorn passes to each worker it starts, or restarts, is that socket
pickled, and :class:`ReusePortSocket` unpickles as the worker's own listening socket.
"""

from __future__ import annotations

import socket
from typing import Any

BACKLOG = 2048  # Uvicorn's default


def _listening(family: int, address: tuple[Any, ...], backlog: int) -> socket.socket:
    """A new socket listening on ``address`` alongside the others of its ``SO_REUSEPORT`` group
    (called in the worker, when its socket is unpickled)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


class ReusePortSocket(socket.socket):
    """The supervisor's bound socket; each process it is sent to gets a listening one of its own.

    Pickling a plain socket (``multiprocessing``'s reducer) passes the same socket; this class
    pickles as "a new socket on my address" instead.
    """

    backlog = BACKLOG

    def __reduce__(self) -> tuple[Any, ...]:
        return _listening, (self.family, self.getsockname(), self.backlog)


def available() -> bool:
    """Whether this system has ``SO_REUSEPORT`` (Linux and the BSDs do)."""
    return hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, backlog: int = BACKLOG) -> ReusePortSocket:
    """The supervisor's socket: bound to ``host:port`` with ``SO_REUSEPORT``, not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = ReusePortSocket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.backlog = backlog
    return sock
