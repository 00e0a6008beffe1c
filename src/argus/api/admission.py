"""Admission control: a bounded number of requests do heavy work at once, a bounded queue waits.

Decoding and inference take a CPU core and hundreds of MB each; letting every request in at once
only makes all of them slow and the process huge. :class:`Admission` hands out ``slots`` (one per
core by default); up to ``max_queue`` more requests wait for one, each at most ``timeout_s``.
A request that finds the queue full, or waits too long, gets :class:`Overloaded` (503 with
``Retry-After``) and nothing of it is processed. Counters say how many are in, waiting and
refused (``/metrics``).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from argus.config.server import ServerSettings
from argus.errors import Overloaded

#: requests waiting per slot by default: with ``--workers N`` the kernel spreads connections over
#: the workers unevenly (16 clients of a 2-worker server on 2 cores: 11 or more land on one
#: worker about one time in five, past the 2 slots and 8 waiting of four per slot; the bench's
#: 16-client run met 503s), so one worker's queue holds the machine's clients. What a waiting
#: request holds: an upload's form up to Starlette's 1 MiB spool in memory, the rest in a
#: temporary file; a JSON body with a base64 image all of it (at most about 27 MiB by default)
QUEUE_PER_SLOT = 8


@dataclass
class AdmissionStats:
    running: int = 0
    waiting: int = 0
    refused: int = 0


class Admission:
    """A semaphore with a bounded queue and a bounded wait (see the module docstring)."""

    def __init__(self, slots: int, max_queue: int, timeout_s: float) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.slots = slots
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self._semaphore = asyncio.Semaphore(slots)
        self.stats = AdmissionStats()

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> Admission:
        slots = settings.max_concurrent or max(1, os.cpu_count() or 1)
        queue = settings.max_queue or QUEUE_PER_SLOT * slots
        return cls(slots, queue, settings.queue_timeout_s)

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
        self.stats.waiting += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._semaphore.acquire()
        except TimeoutError:
            raise self._refuse(f"no slot free within {self.timeout_s:g} s") from None
        finally:
            self.stats.waiting -= 1
        self.stats.running += 1

    def release(self) -> None:
        self.stats.running -= 1
        self._semaphore.release()
