"""Uvicorn's worker supervisor with a listening socket per worker slot.

Uvicorn's :class:`~uvicorn.supervisors.Multiprocess` starts, pings and restarts the workers, and
handles the signals; it gives every worker the same sockets. :class:`SlotSupervisor` gives the
worker of slot *i* socket *i* of an ``SO_REUSEPORT`` group (:mod:`argus.api.reuseport`), also
when it starts that slot again. A worker that exits with status 0 on its own retired (to give
its memory back, :mod:`argus.api.recycle`); any other exit is a crash. Either way the slot gets a
fresh worker. Adding and removing workers at run time (``SIGTTIN``/``SIGTTOU``) is not offered:
the socket group is opened once, at start.
"""

from __future__ import annotations

import logging
import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")


class SlotSupervisor(Multiprocess):
    """One worker per socket of ``slots``; a worker that exits is replaced in its slot."""

    def __init__(self, config: Config, slots: list[socket.socket]) -> None:
        super().__init__(config, sockets=[])
        self.slots = slots
        self.processes_num = len(slots)

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
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # a worker that does not answer its ping is hung
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # the app or its settings are broken
                log.error("worker [%s] failed to start; stopping", process.pid)
                self.should_exit.set()
                return
            if process.exitcode == 0:
                log.info("worker [%s] retired; starting a fresh one in its slot", process.pid)
            else:
                log.warning(
                    "worker [%s] died (%s); starting another", process.pid, process.exitcode
                )
            self.processes[slot] = self._start(slot)

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
