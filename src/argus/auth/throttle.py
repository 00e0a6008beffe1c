"""Failed-login throttling: after ``max_failures`` wrong passwords from one address for one user
name within ``window_s``, further tries are refused (429 with ``Retry-After``) until the oldest
failure leaves the window. A success clears the count. Kept in this process's memory.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again; None when it may now."""
        if self.max_failures <= 0:
            return None
        now = self._clock()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) < self.max_failures:
                return None
            return max(0.001, self.window_s - (now - failures[0]))

    def failed(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
