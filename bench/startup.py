"""Start-up: ``argus serve`` from launch to the first ``/health`` answer, wall and CPU seconds,
and the import of the app alone (``python -c "import argus.cli.main, argus.api.app"``).

A server must answer its health probe quickly after a restart; heavy modules (LLM SDKs, Alembic,
SciPy, FAISS, Celery, scikit-learn) are imported when first used, and preloaded models load in
the background. Each figure is the median of ``--runs`` launches, on a fresh data dir (the first
launch migrates the new SQLite database; later ones find it at the newest migration).

Python's bytecode caches are written and used (``PYTHONDONTWRITEBYTECODE`` is dropped for the
children, and one uncounted import compiles them first), as in an installed deployment: without
them every start compiles SQLAlchemy, FastAPI and pydantic from source (about 3x the CPU).

Goal (issue 14): launch to ``/health`` under 2 s; each line prints its goal and PASS/MISS.

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


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def serve_s(data_dir: Path) -> tuple[float, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**child_env(), "ARGUS_DATA_DIR": str(data_dir), "ARGUS_OFFLINE": "1"}
    argus = str(Path(sys.executable).with_name("argus"))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [argus, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return time.perf_counter() - start, cpu_s(proc.pid)
            except httpx.TransportError:
                time.sleep(0.02)
            if proc.poll() is not None:
                raise RuntimeError("argus serve exited")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one launch of each")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    import_s()  # compiles the bytecode caches; not counted
    imports = [import_s() for _ in range(args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        serves = [serve_s(Path(tmp) / "data") for _ in range(args.runs)]
    print(f"load average {os.getloadavg()[0]:.1f}")
    for label, runs, goal in (
        ("import argus.cli.main + app", imports, None),
        ("launch -> /health", serves, GOAL_HEALTH_S),
    ):
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        verdict = f"  goal < {goal:.1f} s: {'PASS' if wall < goal else 'MISS'}" if goal else ""
        print(f"{label:30s} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (median of {len(runs)}){verdict}")


if __name__ == "__main__":
    main()
