"""Hostile and heavy load against a real ``argus serve`` on loopback: what each attack costs.

Each attack runs for a bounded time against a server started here on a free 127.0.0.1 port
(keys required, an admin password set, offline). While it runs, ``/health`` is polled every
0.1 s and one normal request (a small JPEG to ``/api/v1/moderation/detect`` with a valid key,
whose model was loaded before the attack) is sent. Printed per attack: the server's CPU seconds,
its peak RSS (sampled every 0.1 s from /proc), the bytes it wrote (``wchar``: a spooled upload
shows here even though its temp file is unlinked), p50/p99 of ``/health`` and whether the normal
request answered within ``--normal-timeout``. The server is restarted between attacks so their
costs do not mix.

What a user would otherwise run is the same server without these defences: point ``--argus``
at another checkout's ``argus`` (for example the main branch's ``.venv/bin/argus``) to get the
"before" figures from the same script.

Run: ``.venv/bin/python bench/abuse.py [--seconds 8] [--argus PATH] [--only NAME,...]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import bcrypt
import httpx
import skimage.data
from PIL import Image

PASSWORD = "bench-password"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def written_mb(pid: int) -> float:
    """Bytes the process has written (files, sockets) so far, from /proc/PID/io, in MiB."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """``argus serve`` in a fresh data dir, with one API key made by ``argus keys create``."""

    def __init__(self, argus: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="argus-abuse-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt()).decode()
        self.env = {
            **os.environ,
            "ARGUS_DATA_DIR": str(self.dir / "data"),
            "ARGUS_OFFLINE": "1",
            "ARGUS_AUTH__REQUIRE_KEYS": "true",
            "ARGUS_AUTH__ADMIN_PASSWORD_HASH": hashed,
            "ARGUS_LOG_LEVEL": "warning",
            "TMPDIR": str(self.dir / "tmp"),
        }
        (self.dir / "tmp").mkdir()
        made = subprocess.run(
            [argus, "keys", "create", "--name", "bench"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.key = made.stdout.strip().splitlines()[-1].strip()
        self.proc = subprocess.Popen(
            [argus, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def small_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).resize((256, 256)).save(buf, "JPEG")
    return buf.getvalue()


def gif(frames: int, side: int = 1) -> bytes:
    images = [Image.new("L", (side, side), (i * 37) % 256) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=10)
    return buf.getvalue()


def many_frame_gif(frames: int) -> bytes:
    """A GIF of ``frames`` 1x1 frames sharing the global palette (about 15 bytes a frame)."""
    head = (
        b"GIF89a"
        + (1).to_bytes(2, "little") * 2
        + bytes([0x80, 0, 0])
        + b"\x00\x00\x00\xff\xff\xff"
    )
    frame = b"\x2c" + b"\x00\x00\x00\x00\x01\x00\x01\x00\x00" + b"\x02\x02\x44\x01\x00"
    return head + frame * frames + b"\x3b"


def png_bomb_ish() -> bytes:
    """A PNG just under the 60-MP limit that compresses to a few hundred KB."""
    buf = io.BytesIO()
    Image.new("L", (7700, 7700), 0).save(buf, "PNG", optimize=True)
    return buf.getvalue()


# --------------------------------------------------------------------------- attacks


def attack_big_body_no_key(server: Server, stop: threading.Event) -> None:
    """A 2 GB multipart upload with no key, sent as fast as the server reads it."""

    def body():  # type: ignore[no-untyped-def]
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        chunk = b"\0" * 2**20
        for _ in range(2048):
            if stop.is_set():
                return
            yield chunk

    headers = {"content-type": "multipart/form-data; boundary=b"}
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            f"{server.base}/api/image-classification", content=body(), headers=headers, timeout=60
        )


def attack_login_flood(server: Server, stop: threading.Event) -> None:
    def one() -> None:
        with httpx.Client(timeout=30) as c:
            while not stop.is_set():
                c.post(
                    f"{server.base}/api/v1/auth/login",
                    json={"username": "admin", "password": "wrong"},
                )

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _post_many(server: Server, stop: threading.Event, data: bytes, clients: int) -> None:
    def one() -> None:
        with httpx.Client(timeout=120, headers={"X-API-Key": server.key}) as c:
            while not stop.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    c.post(
                        f"{server.base}/api/image-classification",
                        files={"file": ("a.gif", data, "image/gif")},
                    )

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def attack_gif_999(server: Server, stop: threading.Event) -> None:
    _post_many(server, stop, GIF_999, 8)


def attack_gif_many_frames(server: Server, stop: threading.Event) -> None:
    _post_many(server, stop, GIF_HUGE, 2)


def attack_big_pixels(server: Server, stop: threading.Event) -> None:
    _post_many(server, stop, PNG_60MP, 16)


def attack_nested_json(server: Server, stop: threading.Event) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with httpx.Client(timeout=30, headers={"X-API-Key": server.key}) as c:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                c.post(
                    f"{server.base}/analyze_image_upload/",
                    files={"image_file": ("a.jpg", JPEG, "image/jpeg")},
                    data={"tasks_json": deep},
                )


def attack_slow_headers(server: Server, stop: threading.Event) -> None:
    """500 connections each sending one header byte per second."""
    socks: list[socket.socket] = []
    for _ in range(500):
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=2)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            break
    while not stop.wait(1.0):
        for s in list(socks):
            try:
                s.sendall(b"X")
            except OSError:
                socks.remove(s)
    open_at_end = len(socks)
    for s in socks:
        s.close()
    RESULTS.setdefault("slow_headers_open", []).append(open_at_end)


RESULTS: dict[str, list[int]] = {}
JPEG = b""
GIF_999 = b""
GIF_HUGE = b""
PNG_60MP = b""

ATTACKS: dict[str, Callable[[Server, threading.Event], None]] = {
    "big-body-no-key": attack_big_body_no_key,
    "login-flood": attack_login_flood,
    "gif-999-frames": attack_gif_999,
    "gif-200k-frames": attack_gif_many_frames,
    "png-60mp-x16": attack_big_pixels,
    "nested-json": attack_nested_json,
    "slow-headers": attack_slow_headers,
}


def measure(argus: str, name: str, seconds: float, normal_timeout: float) -> dict[str, object]:
    server = Server(argus)
    try:
        pid = server.proc.pid
        # the normal request's model is loaded before the attack: its first use is not timed
        httpx.post(
            f"{server.base}/api/v1/moderation/detect",
            files={"file": ("a.jpg", JPEG, "image/jpeg")},
            headers={"X-API-Key": server.key},
            timeout=120,
        )
        cpu0 = cpu_s(pid)
        written0 = written_mb(pid)
        stop = threading.Event()
        peak = [rss_mb(pid)]
        health_ms: list[float] = []
        normal: dict[str, object] = {}

        def sample() -> None:
            with httpx.Client(timeout=10) as c:
                while not stop.is_set():
                    peak.append(rss_mb(pid))
                    t = time.perf_counter()
                    try:
                        c.get(f"{server.base}/health")
                        health_ms.append((time.perf_counter() - t) * 1000)
                    except httpx.HTTPError:
                        health_ms.append(10_000.0)
                    stop.wait(0.1)

        def normal_request() -> None:
            time.sleep(min(2.0, seconds / 3))
            t = time.perf_counter()
            try:
                r = httpx.post(
                    f"{server.base}/api/v1/moderation/detect",
                    files={"file": ("a.jpg", JPEG, "image/jpeg")},
                    headers={"X-API-Key": server.key},
                    timeout=normal_timeout,
                )
                normal["status"] = r.status_code
            except httpx.HTTPError as exc:
                normal["status"] = type(exc).__name__
            normal["s"] = round(time.perf_counter() - t, 2)

        attacker = threading.Thread(target=ATTACKS[name], args=(server, stop), daemon=True)
        watchers = [threading.Thread(target=sample), threading.Thread(target=normal_request)]
        for t in (*watchers, attacker):
            t.start()
        time.sleep(seconds)
        written = written_mb(pid) - written0
        stop.set()
        attacker.join(timeout=30)
        for t in watchers:
            t.join(timeout=normal_timeout + 5)
        samples = sorted(health_ms)
        return {
            "attack": name,
            "cpu_s": round(cpu_s(pid) - cpu0, 1),
            "peak_rss_mb": round(max(peak)),
            "health_p50_ms": round(statistics.median(samples), 1) if samples else None,
            "health_p99_ms": round(samples[math.ceil(0.99 * len(samples)) - 1], 1)
            if samples
            else None,
            "health_n": len(samples),
            "normal": normal,
            "normal_in_time": normal.get("status") == 200,
            "written_mb": round(written, 1),
            **(
                {"open_slow_conns": RESULTS["slow_headers_open"][-1]}
                if name == "slow-headers"
                else {}
            ),
        }
    finally:
        server.stop()


def main() -> None:
    global JPEG, GIF_999, GIF_HUGE, PNG_60MP
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--normal-timeout", type=float, default=5.0)
    parser.add_argument("--argus", default=str(Path(sys.executable).parent / "argus"))
    parser.add_argument("--only", default="", help="comma-separated attack names")
    args = parser.parse_args()
    JPEG = small_jpeg()
    GIF_999 = gif(999)
    GIF_HUGE = many_frame_gif(200_000)
    PNG_60MP = png_bomb_ish()
    names = [n for n in ATTACKS if not args.only or n in args.only.split(",")]
    print(f"argus: {args.argus}; {args.seconds:g} s per attack")
    print(
        f"inputs: 999-frame GIF {len(GIF_999) / 1024:.0f} KB, 200k-frame GIF "
        f"{len(GIF_HUGE) / 2**20:.1f} MB, 59-MP PNG {len(PNG_60MP) / 1024:.0f} KB"
    )
    for name in names:
        print(json.dumps(measure(args.argus, name, args.seconds, args.normal_timeout)), flush=True)


if __name__ == "__main__":
    main()
