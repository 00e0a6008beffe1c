"""A worker of ``argus serve --workers N`` that unloaded its models retires to give memory back.

Unloading every model leaves a process well above its size at start: measured with
``bench/memory.py`` on one process, 134-146 MB idle, 560-590 MB with the NSFW, face and
classify models loaded, 184-203 MB once they were unloaded and freed memory was handed back
(``malloc_trim``, the runtimes' code paged out: :mod:`argus.runtime.memory`). What stays is the
heap of the request threads, fragmented by pages that each keep a few live allocations (about
40 MB in three arenas; fixing glibc's thresholds or using one arena left 181-188 MB), and the
one-time state of ONNX Runtime, OpenCV and PyAV. Only the end of the process gives it all back.

So when a round of the eviction loop finds no model loaded in a worker and nothing in flight in
it (no request, no model call, no job), and its resident size is more than
``server.recycle_above`` above what it was when it started, it stops itself with ``SIGTERM``
(its lifespan shuts down cleanly: queued writes flushed, the job executor stopped); the
supervisor starts a fresh worker on the same listening socket (:mod:`argus.api.supervisor`),
and connections the kernel hands that socket meanwhile wait in its queue. What the worker kept
in its memory goes with it, as on any restart: the in-memory result cache (the database has the
answers), API-key rate-limit windows, and an inference order set at run time (so a worker whose
order was changed does not retire). A lone ``argus serve`` has no supervisor and never retires.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass

from argus.runtime.memory import resident_bytes

log = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Recycler:
    """When this worker retires: ``above`` a fraction of ``started_bytes``, its size at start."""

    started_bytes: int
    above: float

    @classmethod
    def at_start(cls, above: float) -> Recycler | None:
        """Measure this worker now; None (never retire) when ``above`` is 0 or the size cannot
        be read here."""
        started = resident_bytes()
        if above <= 0 or started is None:
            return None
        return cls(started, above)

    def due(self, resident: int | None) -> bool:
        """Whether ``resident`` bytes are past the line (None: unknown, so no)."""
        return resident is not None and resident > self.started_bytes * (1 + self.above)

    def retire_if_due(self, *, models_loaded: bool, busy: Callable[[], bool]) -> bool:
        """Stop this worker (as ``SIGTERM`` would) when no model is loaded, ``busy()`` is false
        and it is past the line. Whether it is stopping."""
        if models_loaded:
            return False
        resident = resident_bytes()
        if not self.due(resident) or busy():
            return False
        assert resident is not None
        log.info(
            "retiring this worker to give back its memory: %d MB, %d MB at start "
            "(the supervisor starts a fresh one)",
            resident // MB,
            self.started_bytes // MB,
        )
        signal.raise_signal(signal.SIGTERM)
        return True
