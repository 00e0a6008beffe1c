"""Helpers for the job tests: real processes (`argus serve`, `argus worker` under a host name
of its own, a `redis-server` of the test's own), polling, and reading the jobs table from the
test process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import IO

import httpx

from argus.compose.kinds import builtin_kinds
from argus.config import Settings
from argus.jobs.registry import Registry
from argus.jobs.runner import JobContext, worker_name
from argus.models.pool import ModelPool
from argus.store import jobs as job_store
from argus.store.db import Database
from argus.store.files import LocalBlobStore
from argus.store.tables import Job
from support.waiting import wait_until

ARGUS = str(Path(sys.executable).with_name("argus"))
UNFINISHED = ("pending", "running")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def argus_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ARGUS_DATA_DIR": str(data_dir),
        "ARGUS_OFFLINE": "1",
        "ARGUS_HOST": "127.0.0.1",
        "ARGUS_LOG_LEVEL": "info",
        **extra,
    }


class Process:
    """An `argus ...` subprocess whose output goes to a log file (shown when a test fails).

    With ``hostname`` it runs in UTS and pid namespaces of its own (``unshare``, as root): that
    host name, and pid 1, as in a container; killing it kills the whole namespace.
    """

    def __init__(
        self,
        args: list[str],
        env: Mapping[str, str],
        log_path: Path,
        *,
        hostname: str | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.log_path = log_path
        # `unshare` does not pass SIGTERM on to the namespace's pid 1: a namespaced process that
        # has not stopped after a short wait is killed (with the whole namespace)
        self._stop_wait_s = 30.0 if hostname is None else 3.0
        self._log: IO[bytes] = log_path.open("ab")
        argv = command if command is not None else [ARGUS, *args]
        if hostname is not None:
            argv = [
                "unshare",
                "--uts",
                "--pid",
                "--fork",
                "--kill-child",
                "sh",
                "-c",
                'hostname "$0" && exec "$@"',
                hostname,
                *argv,
            ]
        self.proc = subprocess.Popen(
            argv, env=dict(env), stdout=self._log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self._stop_wait_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def can_unshare() -> bool:
    """Whether this machine lets us run a process under a host name of its own."""
    try:
        probe = subprocess.run(
            ["unshare", "--uts", "--pid", "--fork", "--kill-child", "hostname", "probe"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


class RedisServer:
    """A `redis-server` of the test's own on a free loopback port, with no persistence (a crash
    loses every queued message), that can be killed and started again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        self.start()

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir)]
        self.proc = subprocess.Popen(
            ["redis-server", *args, "--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

        def answers() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "redis-server exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    return conn.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, "redis-server answering", timeout_s=20)

    def kill(self) -> None:
        """SIGKILL: the broker crashes, its queue is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


def start_server(data_dir: Path, port: int, log_path: Path, **env: str) -> Process:
    server = Process(["serve"], argus_env(data_dir, ARGUS_PORT=str(port), **env), log_path)

    def healthy() -> bool:
        assert server.alive(), f"argus serve exited:\n{server.output()}"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, "argus serve answering /health", timeout_s=60)
    except BaseException:
        server.stop()
        raise
    return server


def read_job(data_dir: Path, job_id: str) -> Job | None:
    """The job with its items, read straight from the SQLite file under ``data_dir``."""

    async def read() -> Job | None:
        db = Database(f"sqlite:///{(data_dir / 'argus.db').resolve()}")
        try:
            return await job_store.get(db, job_id=job_id, tenant=None)
        finally:
            await db.dispose()

    return asyncio.run(read())


@contextlib.asynccontextmanager
async def job_context(
    settings: Settings, registry: Registry | None = None, *, worker: str | None = None
) -> AsyncIterator[JobContext]:
    """A runner's context on a migrated SQLite database under ``settings.data_dir``."""
    db = Database.from_settings(settings)
    await db.upgrade()
    pool = ModelPool(settings)
    try:
        yield JobContext(
            settings=settings,
            db=db,
            pool=pool,
            blobs=LocalBlobStore.from_settings(settings),
            registry=registry if registry is not None else builtin_kinds(),
            worker=worker or worker_name("local"),
        )
    finally:
        pool.close()
        await db.dispose()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
