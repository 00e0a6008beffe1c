"""Giving freed memory back to the operating system after models are unloaded.

glibc keeps the heap arenas of freed allocations (an ONNX Runtime session, dlib's networks, the
numpy buffers of their last batch) mapped for reuse, so a process that unloaded its models stays
at its peak resident size. ``malloc_trim(0)`` returns the free pages of every arena. Other C
libraries (musl) have no such call and nothing is done there.

The model runtimes' own code stays resident too once it has run: ONNX Runtime, OpenCV (with its
bundled codecs) and dlib were about 50 MB of a server's resident size after every model was
unloaded (measured with bench/memory.py: 222 MB against 152 MB idle, the rest Python objects and
heap). When no model is loaded, :func:`page_out_runtime_libraries` drops this process's mappings of
those pages (``madvise(MADV_DONTNEED)`` on read-only file mappings holding no private page, so
nothing but clean file contents is let go; ``MADV_PAGEOUT`` skips pages another process maps,
as every worker of ``--workers N`` does); the next model load maps them again from the page
cache.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache
from pathlib import Path

MADV_DONTNEED = 4  # linux/mman.h
#: parts of the paths of the model runtimes' shared libraries (site-packages folders, file names)
RUNTIME_LIBRARIES = ("/onnxruntime/", "/cv2/", "/opencv_python", "_dlib_pybind11", "/dlib")


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


def _clean_library_mappings(markers: tuple[str, ...]) -> list[tuple[int, int]]:
    """``(start, end)`` of this process's read-only file mappings whose path has one of
    ``markers`` and that hold no private (anonymous, e.g. relocated) page, from smaps."""
    found: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        first = line.split(maxsplit=1)[0] if line else ""
        if "-" in first and not first.endswith(":"):
            fields = line.split(maxsplit=5)
            wanted = len(fields) == 6 and "w" not in fields[1]
            wanted = wanted and any(m in fields[5] for m in markers)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            current = (start, end) if wanted else None
        elif first == "Anonymous:" and current is not None:
            if int(line.split()[1]) == 0:
                found.append(current)
            current = None
    return found


def page_out_runtime_libraries(markers: tuple[str, ...] = RUNTIME_LIBRARIES) -> int:
    """Let go of the resident pages of the runtime libraries' clean read-only file mappings
    (code and constants). Bytes advised; 0 where libc or ``/proc`` are missing."""
    libc = _libc()
    if libc is None or not Path("/proc/self/smaps").exists():
        return 0
    madvise = libc.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    advised = 0
    for start, end in _clean_library_mappings(markers):
        if madvise(start, end - start, MADV_DONTNEED) == 0:
            advised += end - start
    return advised
