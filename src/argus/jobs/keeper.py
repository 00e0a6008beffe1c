"""The lease keeper: a small child process that renews the leases of the jobs its parent runs.

A model call that holds the GIL (dlib's detectors do, for seconds per photo) stops every Python
thread of its process, the event loop included, so a heartbeat inside the worker misses its turn
and a busy, healthy worker would lose its job to the sweep (and lose it again on every attempt).
The keeper renews from a process of its own. :class:`LeaseKeeper` starts it
(``python -m argus.store.lease_keeper LEASE_S``, which imports only the store so it starts fast,
with the database URL in its environment, not on its command line), waits until it says it is
ready, and writes orders to its stdin, one a line: ``hold JOB ATTEMPT`` and ``drop JOB``. The
keeper renews every held lease every ``lease_s / 3`` seconds, forgets a job whose renewal is
refused (the attempt lost it), and exits at end of input: when its parent dies, even by SIGKILL,
the pipe closes, renewals stop and the lease lapses as it should.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from typing import IO

from argus.store.lease_keeper import URL_ENV

log = logging.getLogger(__name__)


class LeaseKeeper:
    """The parent's handle on its keeper process (thread-safe; restarted if it died)."""

    def __init__(self, database_url: str, lease_s: float) -> None:
        self.database_url = database_url
        self.lease_s = lease_s
        self._proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the keeper process is up and renewing (until then the runner renews)."""
        proc = self._proc
        return self._ready.is_set() and proc is not None and proc.poll() is None

    def _stdin(self) -> IO[str]:
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                for pipe in (self._proc.stdin, self._proc.stdout):
                    if pipe is not None:
                        with contextlib.suppress(OSError):
                            pipe.close()
            self._ready.clear()
            proc = subprocess.Popen(
                [sys.executable, "-m", "argus.store.lease_keeper", str(self.lease_s)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, URL_ENV: self.database_url},
            )
            self._proc = proc
            ready = self._ready

            def await_ready() -> None:  # its imports take seconds on a busy machine
                assert proc.stdout is not None
                with contextlib.suppress(OSError, ValueError):
                    if proc.stdout.readline().strip() == "ready":
                        ready.set()

            threading.Thread(target=await_ready, name="argus-keeper-ready", daemon=True).start()
        assert self._proc.stdin is not None
        return self._proc.stdin

    def start(self, timeout_s: float = 120.0) -> bool:
        """Start the keeper now and wait until it is ready; False when it did not say so."""
        with self._lock:
            try:
                self._stdin()
            except OSError:
                log.exception("lease keeper could not be started")
                return False
        return self._ready.wait(timeout_s)

    def _send(self, line: str) -> None:
        with self._lock:
            for _ in range(2):  # a keeper that died is started again once
                try:
                    stdin = self._stdin()
                    stdin.write(line + "\n")
                    stdin.flush()
                    return
                except OSError:
                    self._proc = None
            log.error("lease keeper unavailable; leases rely on the in-process heartbeat")

    def hold(self, job_id: str, attempt: int) -> None:
        """Renew this attempt's lease until :meth:`drop` (or until the attempt loses it)."""
        self._send(f"hold {job_id} {attempt}")

    def drop(self, job_id: str) -> None:
        self._send(f"drop {job_id}")

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
