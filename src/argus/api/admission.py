"""Admission control: a bounded number of requests do heavy work at once, a bounded queue waits.

Decoding and inference take a CPU core and hundreds of MB each; letting every request in at once
only makes all of them slow and the process huge. :class:`Admission` hands out ``slots`` (this
process's share of the cores by default); up to ``max_queue`` more requests wait for one, each
at most ``timeout_s``.
A request that finds the queue full, or waits too long, gets :class:`Overloaded` (503 with
``Retry-After``) and nothing of it is processed. Counters say how many are in, waiting and
refused (``/metrics``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

from argus.config.server import ServerSettings
from argus.errors import Overloaded
from argus.runtime import load

#: How often a waiting request asks whether it may spill past the slots.
SPILL_CHECK_S = 0.02


@dataclass
class AdmissionStats:
    running: int = 0
    waiting: int = 0
    refused: int = 0


class Admission:
    """A semaphore with a bounded queue and a bounded wait (see the module docstring)."""

    def __init__(
        self,
        slots: int,
        max_queue: int,
        timeout_s: float,
        *,
        spill: Callable[[], bool] | None = None,
    ) -> None:
        """``spill``: when every slot is taken, whether a request may start anyway (the
        machine has an idle core: another server process is not using its share); asked on
        arrival and every :data:`SPILL_CHECK_S` while a request waits."""
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.slots = slots
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self._semaphore = asyncio.Semaphore(slots)
        self._spill = spill
        self._extra = 0  # requests running beyond the slots (spilled)
        self.stats = AdmissionStats()

    @classmethod
    def from_settings(cls, settings: ServerSettings, processes: int = 1) -> Admission:
        """Slots: ``max_concurrent``, else this process's share of the cores (``processes``
        server processes share them: ``--workers 2`` on 2 cores, one each; two each let four
        CPU-bound calls fight over two cores: nsfwjs at 8 clients 85-93 img/s against 105).
        With a share, a request spills past the slots while the machine has fewer units of
        work in flight than cores (:mod:`argus.runtime.load`): the kernel spreads connections
        over the workers by a hash, unevenly (7 of 8 on one worker), and a worker held to its
        share would leave a core idle. Queue: ``max_queue``, else four per core."""
        cores = max(1, len(os.sched_getaffinity(0)))
        shared = settings.max_concurrent == 0 and processes > 1
        slots = settings.max_concurrent or max(1, cores // max(1, processes))
        queue = settings.max_queue or 4 * cores

        def idle_core() -> bool:
            return load.LOAD.total() < cores

        return cls(slots, queue, settings.queue_timeout_s, spill=idle_core if shared else None)

    def _refuse(self, why: str) -> Overloaded:
        self.stats.refused += 1
        return Overloaded(
            f"The server is busy ({why}); retry in {self.timeout_s:.0f} s.",
            retry_after_s=self.timeout_s,
        )

    def check_queue(self) -> None:
        """Raise :class:`Overloaded` now when every slot is taken and the queue is full."""
        if self._semaphore.locked() and self.stats.waiting >= self.max_queue:
            raise self._refuse(f"{self.stats.waiting} requests already waiting")

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue; raises :class:`Overloaded` (503) when it cannot."""
        self.check_queue()
        if self._semaphore.locked() and self._spills():
            self._extra += 1
            self.stats.running += 1
            return
        self.stats.waiting += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                spilled = await self._wait()
        except TimeoutError:
            raise self._refuse(f"no slot free within {self.timeout_s:g} s") from None
        finally:
            self.stats.waiting -= 1
        if spilled:
            self._extra += 1
        self.stats.running += 1

    async def _wait(self) -> bool:
        """Wait for a slot; True when the request spilled instead (see ``spill``)."""
        if self._spill is None:
            await self._semaphore.acquire()
            return False
        while True:
            try:
                async with asyncio.timeout(SPILL_CHECK_S):
                    await self._semaphore.acquire()
                return False
            except TimeoutError:
                if self._spills():
                    return True

    def _spills(self) -> bool:
        return self._spill is not None and self._spill()

    def release(self) -> None:
        self.stats.running -= 1
        if self._extra:
            self._extra -= 1
        else:
            self._semaphore.release()
