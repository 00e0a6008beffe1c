"""Uvicorn's worker supervisor with a listening socket per worker slot.

Uvicorn's :class:`~uvicorn.supervisors.Multiprocess` starts, pings and restarts the workers, and
handles the signals; it gives every worker the same sockets. :class:`SlotSupervisor` gives the
worker of slot *i* socket *i* of an ``SO_REUSEPORT`` group (:mod:`argus.api.reuseport`), also
when it starts that slot again. A worker that stopped cleanly on its own retired (to give its
memory back, :mod:`argus.api.recycle`); any other exit is a crash. Either way the slot gets a
fresh worker. Adding and removing workers at run time (``SIGTTIN``/``SIGTTOU``) is not offered:
the socket group is opened once, at start.
"""

from __future__ import annotations

import logging
import pickle
import signal
import socket
from multiprocessing import connection

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")

#: exit statuses of a worker that shut down cleanly: on its own, or on SIGTERM (Uvicorn raises
#: the signal again once it has shut down); a retiring worker stops itself with SIGTERM
STOPPED = (0, -signal.SIGTERM)


class SlotSupervisor(Multiprocess):
    """One worker per socket of ``slots``; a worker that exits is replaced in its slot."""

    def __init__(self, config: Config, slots: list[socket.socket]) -> None:
        super().__init__(config, sockets=[])
        self.slots = slots

    def _start(self, slot: int) -> Process:
        process = Process(self.config, [self.slots[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(slot) for slot in range(len(self.slots))]

    def keep_subprocess_alive(self) -> None:
        for slot, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if self._answers(process):
                continue
            process.kill()  # a worker that does not answer its ping is hung
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # the app or its settings are broken
                log.error("worker [%s] failed to start; stopping", process.pid)
                self.should_exit.set()
                return
            if process.exitcode in STOPPED:
                log.info("worker [%s] stopped; starting a fresh one in its slot", process.pid)
            else:
                log.warning(
                    "worker [%s] died (%s); starting another", process.pid, process.exitcode
                )
            self.processes[slot] = self._start(slot)

    def _answers(self, process: Process) -> bool:
        """Whether the worker runs and answers a ping within the health-check timeout.

        Uvicorn's own ping waits out the whole timeout for a worker that exits after the ping
        was sent (the supervisor keeps the pipe's other end open too, so no end-of-file comes):
        a worker that retired then left its slot empty, and the supervisor deaf to signals, for
        up to the timeout (60 s). Here the wait ends when the worker answers or exits."""
        if not process.process.is_alive():
            return False
        try:
            process.parent_conn.send(b"ping")
            ready = connection.wait(
                [process.parent_conn, process.process.sentinel],
                self.config.timeout_worker_healthcheck,
            )
            if process.parent_conn not in ready:
                return False  # it exited, or is hung
            process.parent_conn.recv()
        except (OSError, EOFError, pickle.UnpicklingError):
            return False
        return True

    def restart_all(self) -> None:
        """``SIGHUP``: replace each worker, the new one serving (on the slot's socket) before the
        old one stops."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            ready = new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit)
            if not ready:
                new.kill()
                new.join()
                log.error("worker [%s] was not ready in time; keeping [%s]", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def handle_ttin(self) -> None:
        log.warning("SIGTTIN ignored: restart with another --workers to change their number")

    def handle_ttou(self) -> None:
        log.warning("SIGTTOU ignored: restart with another --workers to change their number")
