"""A server's process tree, read from ``/proc`` (Linux): ``argus serve --workers N`` is a
supervisor, its workers and multiprocessing's resource tracker. Used by the worker tests and by
``bench/memory.py``."""

from __future__ import annotations

import os
from pathlib import Path

RESOURCE_TRACKER = b"resource_tracker"


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command name ([0] is the state)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = int(_stat(int(entry.name))[1])
            except OSError:
                continue
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    parents = _parents()
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it just exited
        return b""


def workers(supervisor: int) -> set[int]:
    """The supervisor's worker processes (multiprocessing's resource tracker left out)."""
    return {
        pid
        for pid, parent in _parents().items()
        if parent == supervisor and cmdline(pid) and RESOURCE_TRACKER not in cmdline(pid)
    }


def resident_kb(pid: int) -> int:
    """``VmRSS`` of one process (0 once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def resident_mb(pid: int) -> float:
    """The resident size of ``pid`` and every process under it."""
    return sum(resident_kb(p) for p in tree(pid)) / 1024


def age_s(pid: int) -> float:
    """Seconds since ``pid`` started (0 when it is gone)."""
    try:
        ticks = int(_stat(pid)[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    return uptime - ticks / os.sysconf("SC_CLK_TCK")
