"""Giving freed memory back to the operating system after models are unloaded.

glibc keeps the heap arenas of freed allocations (an ONNX Runtime session, dlib's networks, the
numpy buffers of their last batch) mapped for reuse, so a process that unloaded its models stays
at its peak resident size. ``malloc_trim(0)`` returns the free pages of every arena. Other C
libraries (musl) have no such call and nothing is done there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> bool:
    """Collect garbage, then hand free heap pages back to the OS; False where libc cannot."""
    gc.collect()
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
