"""Per-request timing breakdown that any layer can add to without passing objects around.

A request's middleware opens a :class:`Timings` in a context variable; code below it (decode,
each model's ``predict``, store calls) wraps work in ``span("decode")``. Context variables follow
work into ``asyncio.to_thread``, so spans recorded in worker threads land in the right request.
Outside a request ``span`` only measures nothing and costs a context-variable lookup.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

_current: ContextVar[Timings | None] = ContextVar("argus_timings", default=None)


@dataclass
class Timings:
    """Milliseconds spent per named step; repeated steps add up."""

    ms: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.ms[name] = self.ms.get(name, 0.0) + seconds * 1000.0

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.ms.items()}


@contextlib.contextmanager
def collect() -> Iterator[Timings]:
    """Start collecting spans for the current context (one request)."""
    timings = Timings()
    token = _current.set(timings)
    try:
        yield timings
    finally:
        _current.reset(token)


def record(name: str, seconds: float) -> None:
    """Add ``seconds`` to the current request's ``name`` step (for callbacks that cannot wrap
    the work in :func:`span`, such as database cursor events)."""
    timings = _current.get()
    if timings is not None:
        timings.add(name, seconds)


@contextlib.contextmanager
def span(name: str) -> Iterator[None]:
    """Time the enclosed block into the current request's :class:`Timings`, if any."""
    timings = _current.get()
    if timings is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        timings.add(name, time.perf_counter() - start)
