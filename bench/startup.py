"""Start-up: ``argus serve`` and ``argus serve --workers 2`` from launch to the first ``/health``
answer, wall and CPU seconds, and the import of the app alone
(``python -c "import argus.cli.main, argus.api.app"``).

A server must answer its health probe quickly after a restart; heavy modules (LLM SDKs, Alembic,
SciPy, FAISS, Celery, scikit-learn, the pipelines) are imported when first used, and preloaded
models load in the background. Each serve figure is the median of ``--runs`` launches on a data
dir that already exists (a restart): the first launch of each command, which creates and
migrates a new SQLite database, is printed on its own line and not counted. Both commands run as
the README's production command does, with ``ARGUS_LOG_LEVEL=warning``. The CPU of
``--workers 2`` is the supervisor's plus its worker processes', read when ``/health`` answers.

Python's bytecode caches are written and used (``PYTHONDONTWRITEBYTECODE`` is dropped for the
children, and one uncounted import compiles them first), as in an installed deployment: without
them every start compiles SQLAlchemy, FastAPI and pydantic from source (about 3x the CPU).

Goal (issue 14): launch to ``/health`` under 2 s, for both commands; each line prints its goal
and PASS/MISS.

Run: ``.venv/bin/python bench/startup.py [--runs 3] [--quick]``; compare another tree with
``PYTHONPATH=/path/to/other/src``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

GOAL_HEALTH_S = 2.0  # launch -> /health (issue 14)
COMMANDS = {
    "argus serve": [],
    "argus serve --workers 2": ["--workers", "2"],
}


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (every thread's children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = _stat_fields(current)
            todo += _children(current)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def child_env() -> dict[str, str]:
    """This environment with bytecode caching allowed (an installed deployment has it)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_s() -> tuple[float, float]:
    code = "import argus.cli.main, argus.api.app"
    start = time.perf_counter()
    before = os.times()
    subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return time.perf_counter() - start, cpu


def serve_s(data_dir: Path, extra: list[str]) -> tuple[float, float]:
    """Launch ``argus serve`` with ``extra`` arguments; wall and CPU seconds to ``/health``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **child_env(),
        "ARGUS_DATA_DIR": str(data_dir),
        "ARGUS_OFFLINE": "1",
        "ARGUS_LOG_LEVEL": "warning",
    }
    argus = str(Path(sys.executable).with_name("argus"))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [argus, "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return time.perf_counter() - start, tree_cpu_s(proc.pid)
            except httpx.TransportError:
                time.sleep(0.02)
            if proc.poll() is not None:
                raise RuntimeError(f"argus serve {' '.join(extra)} exited")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def line(label: str, runs: list[tuple[float, float]], goal: float | None) -> str:
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    verdict = f"  goal < {goal:.1f} s: {'PASS' if wall < goal else 'MISS'}" if goal else ""
    return f"{label:52s} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (median of {len(runs)}){verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one launch of each")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    import_s()  # compiles the bytecode caches; not counted
    lines = [line("import argus.cli.main + app", [import_s() for _ in range(args.runs)], None)]
    for command, extra in COMMANDS.items():
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"
            first = serve_s(data_dir, extra)  # creates and migrates the database
            restarts = [serve_s(data_dir, extra) for _ in range(args.runs)]
        lines.append(line(f"{command}: first launch (new database)", [first], None))
        lines.append(line(f"{command}: restart -> /health", restarts, GOAL_HEALTH_S))
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
