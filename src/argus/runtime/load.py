"""How busy this machine is with Argus work: requests and model calls in flight, across processes.

A model call that finds nothing else running on the machine may use every core (an idle second
core does nothing for a lone request); under load each call keeps to one thread, so that the
calls of many requests share the cores without fighting over them. Deciding that needs a count
that every Argus process on the machine sees: ``argus serve --workers N`` runs N processes, and
a Celery worker or a second server shares the same cores.

The count lives in a small shared file (in ``/dev/shm`` where it exists, else the temp dir), one
8-byte slot per process. A process claims the first slot it can lock (a POSIX byte-range lock on
that slot, which the kernel drops when the process dies) and only ever writes its own slot; any
process reads the sum. A process that starts zeroes the slots whose owner is gone, so a crash
mid-request leaves a stale count only until the next Argus process starts, and a stale count
only ever makes calls keep to one thread. Where the file cannot be used, the count is this
process's alone.

What counts as one unit of work: an admitted HTTP request from the moment its body is complete
until its answer is sent (:func:`request`), a model call made outside any counted request (a job,
the CLI: :func:`model_call`), and each model call of a request beyond the first running at once
(a task list runs its tasks concurrently). A request's first call rides on the request's unit.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from pathlib import Path

SLOTS = 256
SLOT_BYTES = 8
_SLOT = struct.Struct("<q")
#: every slot at once: one unpack and a sum (4 us) where unpacking slot by slot took 44 us, on
#: every model call (:meth:`MachineLoad.alone`)
_ALL_SLOTS = struct.Struct(f"<{SLOTS}q")


@dataclass
class _Request:
    """The model calls in flight for one counted request (its threads share this object)."""

    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


#: The current counted request, if any (context variables follow ``asyncio.to_thread`` into the
#: worker thread, so the request's model calls find it).
_current: ContextVar[_Request | None] = ContextVar("argus_load_request", default=None)


def default_path() -> Path:
    """The shared count of this user on this machine."""
    shm = Path("/dev/shm")
    folder = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    return folder / f"argus-load-{os.getuid()}"


class MachineLoad:
    """Units of Argus work in flight on this machine (see the module docstring)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()
        self._pid = -1
        self._map: mmap.mmap | None = None
        self._fd = -1
        self._slot = -1
        self._mine = 0  # this process's units (also the whole count when the file is unusable)

    def _attach(self) -> None:
        """Claim a slot (again after a fork: byte-range locks are not inherited)."""
        self._pid = os.getpid()
        self._mine = 0
        self._map, self._fd, self._slot = None, -1, -1
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return
        try:
            if os.fstat(fd).st_size < SLOTS * SLOT_BYTES:
                os.ftruncate(fd, SLOTS * SLOT_BYTES)
            view = mmap.mmap(fd, SLOTS * SLOT_BYTES)
        except OSError:
            os.close(fd)
            return
        for slot in range(SLOTS):
            offset = slot * SLOT_BYTES
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, SLOT_BYTES, offset)
            except OSError:
                continue  # a live process holds it
            _SLOT.pack_into(view, offset, 0)  # free: its owner is gone (or there never was one)
            if self._slot < 0:
                self._slot = slot
            else:
                fcntl.lockf(fd, fcntl.LOCK_UN, SLOT_BYTES, offset)
        if self._slot < 0:
            view.close()
            os.close(fd)
            return
        self._map, self._fd = view, fd

    def _ready(self) -> None:
        if self._pid != os.getpid():
            self._attach()

    def _add(self, delta: int) -> None:
        with self._lock:
            self._ready()
            self._mine += delta
            if self._map is not None:
                _SLOT.pack_into(self._map, self._slot * SLOT_BYTES, self._mine)

    def enter(self) -> None:
        """One more unit of work in this process."""
        self._add(1)

    def leave(self) -> None:
        """One unit of work of this process is done."""
        self._add(-1)

    def here(self) -> int:
        """Units in flight in this process."""
        with self._lock:
            return self._mine if self._pid == os.getpid() else 0

    def total(self) -> int:
        """Units in flight on the machine (this process's alone when the file is unusable)."""
        with self._lock:
            self._ready()
            if self._map is None:
                return self._mine
            return sum(n for n in _ALL_SLOTS.unpack_from(self._map) if n > 0)

    def alone(self) -> bool:
        """Whether at most one unit of work is in flight on the machine (the caller's)."""
        return self.total() <= 1


LOAD = MachineLoad()


@contextlib.contextmanager
def request(load: MachineLoad = LOAD) -> Iterator[None]:
    """Count a request while it runs (see :func:`model_call` for its model calls)."""
    token = enter_request(load)
    try:
        yield
    finally:
        leave_request(load, token)


def enter_request(load: MachineLoad = LOAD) -> Token[_Request | None]:
    """:func:`request` for code that cannot hold a ``with`` block (the request guard): counts
    the request and marks the current context as its; undo with :func:`leave_request`."""
    token = _current.set(_Request())
    load.enter()
    return token


def leave_request(load: MachineLoad = LOAD, token: Token[_Request | None] | None = None) -> None:
    load.leave()
    if token is not None:
        _current.reset(token)


@contextlib.contextmanager
def model_call(load: MachineLoad = LOAD) -> Iterator[None]:
    """Count a model call: outside a counted request always; inside one only when another call
    of the same request is already running (a task list runs its tasks at once), since the
    request's own unit stands for one call."""
    current = _current.get()
    if current is None:
        extra = True
    else:
        with current.lock:
            extra = current.calls > 0
            current.calls += 1
    if extra:
        load.enter()
    try:
        yield
    finally:
        if extra:
            load.leave()
        if current is not None:
            with current.lock:
                current.calls -= 1
