"""Giving freed memory back to the operating system after models are unloaded.

glibc keeps the heap arenas of freed allocations (an ONNX Runtime session, dlib's networks, the
numpy buffers of their last batch) mapped for reuse, so a process that unloaded its models stays
at its peak resident size. ``malloc_trim(0)`` returns the free pages of every arena. Other C
libraries (musl) have no such call and nothing is done there.

glibc's adaptive thresholds keep much of it anyway: each freed large buffer raises the mmap
threshold to its size and the trim threshold to twice that (up to 32 and 64 MB), so the
requests' large buffers (decoded images, input tensors) come from the arenas of the request
threads, next to small allocations that live on. After every model was unloaded and
``malloc_trim`` had run, one request thread's arena still held about 40 MB resident for 12 MB
in use (bench/memory.py and glibc's ``malloc_stats``). :func:`bound_kept_heap` (the server
calls it at start when ``models.heap_threshold_kb`` is set) fixes both thresholds instead:
large buffers get mappings of their own, given back when freed, and no arena keeps more free at
its top. Measured at 128 KiB: the thread arena 19-20 MB resident after unloading, the server
184-188 MB against 205-206 MB, but about 10 % more server CPU for the same image requests
(4.79-5.01 s against 4.33-4.53 s for 54 requests, three runs each; a 1 MiB mmap threshold
was no better: 5.05 against 4.50 s, four runs each): fresh mappings for every large buffer,
three times the minor page faults. So it is off by default.

The model runtimes' own code stays resident too once it has run: ONNX Runtime, OpenCV (with its
bundled codecs) and dlib were about 50 MB of a server's resident size after every model was
unloaded (measured with bench/memory.py: 222 MB against 152 MB idle, the rest Python objects and
heap), and PyAV's FFmpeg 16 MB more (a progressive JPEG upload, or one whose pixels cannot
show it whole, runs its decoder: :mod:`argus.imaging.jpegscan`). When no model is loaded,
:func:`page_out_runtime_libraries` drops this process's mappings of those pages
(``madvise(MADV_DONTNEED)`` on read-only file mappings holding no private page, so nothing but
clean file contents is let go;
``MADV_PAGEOUT`` skips pages another process maps, as every worker of ``--workers N`` does);
the next model load (or JPEG check) maps them again from the page cache.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from functools import cache
from pathlib import Path

MADV_DONTNEED = 4  # linux/mman.h
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # malloc.h (glibc mallopt parameters)
#: glibc's own starting value of both thresholds
DEFAULT_THRESHOLD_BYTES = 128 * 1024
#: parts of the paths of the model runtimes' shared libraries (site-packages folders, file names),
#: and PyAV's FFmpeg (JPEG uploads' cut check may run its decoder: imaging/jpegscan.py)
RUNTIME_LIBRARIES = (
    "/onnxruntime/",
    "/cv2/",
    "/opencv_python",
    "_dlib_pybind11",
    "/dlib",
    "/av/",
    "/av.libs/",
)


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


def resident_bytes() -> int | None:
    """This process's resident size (``/proc/self/statm``); None where there is no ``/proc``."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def bound_kept_heap(threshold_bytes: int = DEFAULT_THRESHOLD_BYTES) -> bool:
    """Fix glibc's trim and mmap thresholds (``mallopt``) at ``threshold_bytes``: allocations
    from that size up get their own mapping, returned to the OS when freed, and no arena keeps
    more free at its top. Process-wide, once per process. False where libc has no ``mallopt``
    (nothing is changed there)."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    trimmed = mallopt(M_TRIM_THRESHOLD, threshold_bytes)
    return bool(trimmed and mallopt(M_MMAP_THRESHOLD, threshold_bytes))


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
