"""Health from memory: component checks run in the background, probes read their last result.

A liveness probe must answer in milliseconds even when the database is slow under load (or a
probe with a one-second timeout restarts a healthy, busy server). :class:`HealthMonitor` holds a
small, open set of named component checks. Background checks (``add``: the database; a job broker
can be added the same way) run every ``interval_s``, each with its own timeout, and ``/health``
reports their last outcome without touching them. Instant checks (``add_instant``: the data
directory exists) are cheap, synchronous, and run on every probe. ``/ready`` is different: it asks
the database itself, with a short timeout (see :mod:`argus.api.routes.meta`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from argus.plainwords import describe, kind

log = logging.getLogger(__name__)

#: An async component check: None when the component works, else why it does not.
Check = Callable[[], Awaitable[str | None]]
InstantCheck = Callable[[], str | None]
#: Consecutive timeouts before a check counts as failing (errors count at once).
TIMEOUTS_TO_FAIL = 3
_NO_ANSWER = "no answer within"


class HealthMonitor:
    """Named component checks and their last outcomes (see the module docstring)."""

    def __init__(self, *, interval_s: float, timeout_s: float) -> None:
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._checks: dict[str, Check] = {}
        self._instant: dict[str, InstantCheck] = {}
        self._failing: dict[str, str] = {}
        self._timeouts: dict[str, int] = {}
        self.checked_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def add(self, name: str, check: Check) -> None:
        """Run ``check`` in the background from now on, as component ``name``."""
        self._checks[name] = check

    def add_instant(self, name: str, check: InstantCheck) -> None:
        """Run the cheap, synchronous ``check`` on every probe."""
        self._instant[name] = check

    async def _run_one(self, name: str, check: Check) -> tuple[str, str | None]:
        try:
            async with asyncio.timeout(self.timeout_s):
                return name, await check()
        except TimeoutError:
            return name, f"{_NO_ANSWER} {self.timeout_s:g} s"
        except Exception as exc:  # a check that breaks marks its component failing
            return name, f"{kind(exc)}: {describe(exc)}"

    async def refresh(self) -> None:
        """Run every background check once (concurrently) and keep the outcomes.

        A check that answers with an error fails at once; one that does not answer in time
        (a database slow under load, or still starting) fails only after ``TIMEOUTS_TO_FAIL``
        timeouts in a row, so a busy server is not declared dead by one slow ping."""
        outcomes = await asyncio.gather(*(self._run_one(n, c) for n, c in self._checks.items()))
        failing: dict[str, str] = {}
        for name, why in outcomes:
            if why is None:
                self._timeouts.pop(name, None)
                continue
            if why.startswith(_NO_ANSWER):
                self._timeouts[name] = self._timeouts.get(name, 0) + 1
                if self._timeouts[name] < TIMEOUTS_TO_FAIL:
                    if name in self._failing:  # keep the previous failure, if any
                        failing[name] = self._failing[name]
                    continue
            failing[name] = why
        self._failing = failing
        self.checked_at = time.time()

    def failing(self) -> dict[str, str]:
        """Components failing now: the instant checks, then the last background outcomes."""
        out: dict[str, str] = {}
        for name, check in self._instant.items():
            why = check()
            if why is not None:
                out[name] = why
        out.update(self._failing)
        return out

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.refresh()
            except Exception:  # keep refreshing; the next round tries again
                log.exception("health refresh failed")

    async def start(self) -> None:
        """One refresh now (so the first probe has an answer), then one every ``interval_s``."""
        await self.refresh()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
