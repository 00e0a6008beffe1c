"""Per-key rate limits: a sliding one-minute window of request times, in this process.

Several server processes each count their own requests; a shared limit across machines would
need Redis (the broker) and is not done yet.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, per_minute: int) -> float | None:
        """Record one request; None when allowed, else seconds until the next one is."""
        if per_minute <= 0:
            return None
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            if len(hits) >= per_minute:
                return max(0.001, WINDOW_S - (now - hits[0]))
            hits.append(now)
            return None
