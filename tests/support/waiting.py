"""Waiting for something another thread or process does: one polling loop for every test."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T], what: str, *, timeout_s: float = 60.0, every_s: float = 0.05
) -> T:
    """Call ``check`` until it returns something truthy and return that; after ``timeout_s``
    raise AssertionError naming ``what`` and the last value seen."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout_s:g} s (last: {value!r})")
        time.sleep(every_s)
