"""Start-up: ``argus serve`` from launch to the first ``/health`` answer, wall and CPU seconds,
and the import of the app alone (``python -c "import argus.cli.main, argus.api.app"``).

A server must answer its health probe quickly after a restart; heavy modules (LLM SDKs, Alembic,
SciPy, FAISS, Celery, scikit-learn) are imported when first used, and preloaded models load in
the background. Each figure is the median of ``--runs`` launches, on a fresh data dir (the first
launch migrates the new SQLite database; later ones find it at the newest migration).

Run: ``.venv/bin/python bench/startup.py [--runs 3]``; compare another tree with
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


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def import_s() -> tuple[float, float]:
    code = "import argus.cli.main, argus.api.app"
    start = time.perf_counter()
    before = os.times()
    subprocess.run([sys.executable, "-c", code], check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return time.perf_counter() - start, cpu


def serve_s(data_dir: Path) -> tuple[float, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "ARGUS_DATA_DIR": str(data_dir), "ARGUS_OFFLINE": "1"}
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
    args = parser.parse_args()
    imports = [import_s() for _ in range(args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        serves = [serve_s(Path(tmp) / "data") for _ in range(args.runs)]
    print(f"load average {os.getloadavg()[0]:.1f}")
    for label, runs in (("import argus.cli.main + app", imports), ("launch -> /health", serves)):
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{label:30s} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (median of {len(runs)})")


if __name__ == "__main__":
    main()
