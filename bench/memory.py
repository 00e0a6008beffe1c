"""Memory coming back: the server's resident size idle, after work, and after idle unloading.

Starts the README's production command, ``argus serve --workers 2`` (or ``--workers N``; ``1``
is a lone ``argus serve`` process), on a free loopback port with ``ARGUS_MODELS__TTL_S=2``, and
reads the resident size of the whole server (the supervisor and its workers, from /proc) once
``/health`` answers and a cached classify has run (idle), then after NSFW, face-feature and
uncached classify requests, each on a new connection so the kernel spreads them over the workers
(peak), then after the pool's idle eviction has unloaded every model (it runs every 30 s) and the
workers left large have retired for fresh ones (:mod:`argus.api.recycle`). The figure that
matters is the last one against the idle one (goal: within 15 %). A lone process cannot retire:
``--workers 1`` shows what unloading alone gives back.

Goal (issue 14): after idle unload within 15 % of idle (printed with PASS/MISS).

Run: ``.venv/bin/python bench/memory.py [--requests 20] [--quick] [--rounds 2] [--workers 2]``
(``--quick``: 6 requests of each kind, 45 s for the unloading; ``--rounds N`` repeats work and
unloading and prints each round's figure: what grows each round would be a leak).
"""

from __future__ import annotations

import argparse
import io
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import skimage.data
from PIL import Image

from startup import child_env  # bench/startup.py: the environment of a deployment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support (processes)
from support.processes import RESOURCE_TRACKER, age_s, cmdline, resident_mb
from support.processes import tree as processes_tree

GOAL_AFTER_UNLOAD = 1.15  # RSS after idle unload / idle RSS (issue 14)


def settled(pid: int, processes: int, timeout_s: float = 60.0) -> None:
    """Wait until the server has ``processes`` processes besides multiprocessing's resource
    tracker (the supervisor and its workers, or the one server) and none started in the last
    5 s: a worker that just retired has a fresh replacement that finished starting."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tree = [p for p in processes_tree(pid) if RESOURCE_TRACKER not in cmdline(p)]
        if len(tree) == processes and all(age_s(p) > 5 for p in tree):
            return
        time.sleep(0.5)


def jpeg(image: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=90)  # type: ignore[arg-type]
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--wait", type=float, default=75.0, help="seconds to wait for unloading")
    parser.add_argument("--quick", action="store_true", help="6 requests, 45 s wait")
    parser.add_argument("--rounds", type=int, default=1, help="work + unloading rounds")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes (1: no supervisor)"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.wait = 6, 45.0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    photos = [
        jpeg(skimage.data.astronaut()),
        jpeg(skimage.data.coffee()),
        jpeg(skimage.data.chelsea()),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **child_env(),
            "ARGUS_DATA_DIR": str(Path(tmp) / "data"),
            "ARGUS_OFFLINE": "1",
            "ARGUS_LOG_LEVEL": "warning",
            "ARGUS_MODELS__TTL_S": "2",
        }
        argus = str(Path(sys.executable).with_name("argus"))
        log = (Path(tmp) / "server.log").open("wb")
        proc = subprocess.Popen(
            [argus, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            # a new connection per request: the kernel spreads them over the workers
            fresh = httpx.Limits(max_keepalive_connections=0)
            with httpx.Client(base_url=base, timeout=120, limits=fresh) as client:
                client.post("/api/v1/classify/check-cache", json={"image_hash": "0" * 64})
                time.sleep(1)
                idle = resident_mb(proc.pid)
                peak = idle
                afters: list[float] = []
                for _round in range(args.rounds):
                    for i in range(args.requests):
                        data = photos[i % len(photos)]
                        client.post(
                            "/api/v1/moderation/detect",
                            files={"file": ("p.jpg", data, "image/jpeg")},
                        )
                        client.post(
                            "/api/extract_feature", files={"image": ("p.jpg", data, "image/jpeg")}
                        )
                        unique = data + (len(afters) * args.requests + i).to_bytes(4, "big")
                        client.post(
                            "/api/v1/classify", files={"image": ("p.jpg", unique, "image/jpeg")}
                        )
                        peak = max(peak, resident_mb(proc.pid))
                    deadline = time.monotonic() + args.wait
                    while time.monotonic() < deadline:
                        time.sleep(2)
                    settled(proc.pid, args.workers + 1 if args.workers > 1 else 1)
                    after = resident_mb(proc.pid)
                    afters.append(after)
            ratio = after / idle
            verdict = "PASS" if ratio <= GOAL_AFTER_UNLOAD else "MISS"
            print(
                f"--workers {args.workers}: idle {idle:.0f} MB, after work {peak:.0f} MB, "
                f"after idle unload {after:.0f} MB "
                f"({ratio:.2f}x idle)  goal <= {GOAL_AFTER_UNLOAD:.2f}x: {verdict}"
            )
            if len(afters) > 1:
                print("after idle unload, round by round: " + ", ".join(f"{a:.0f}" for a in afters))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                tail = (Path(tmp) / "server.log").read_text(errors="replace")[-3000:]
                print(f"the server took over 60 s to stop; its log ends:\n{tail}")
            log.close()


if __name__ == "__main__":
    main()
