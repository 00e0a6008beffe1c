"""The lease keeper's process: renews job leases on orders read from stdin.

Started by :class:`argus.jobs.keeper.LeaseKeeper` as ``python -m argus.store.lease_keeper
LEASE_S`` with the database URL in ``ARGUS_LEASE_KEEPER_DATABASE_URL``. It imports only the
store (it starts in a fraction of a worker's time), prints ``ready``, then applies orders, one a
line: ``hold JOB ATTEMPT`` and ``drop JOB``. Every ``LEASE_S / 3`` seconds it renews each held
lease; a refused renewal (the attempt lost the job) forgets it. At end of input (its parent
exited or was killed) it stops at once, so the leases it kept lapse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from typing import IO

from argus.store import jobs as job_store
from argus.store.db import Database

log = logging.getLogger(__name__)

URL_ENV = "ARGUS_LEASE_KEEPER_DATABASE_URL"


async def keep(db: Database, lease_s: float, lines: IO[str]) -> None:
    """Apply the orders read from ``lines`` and renew held leases until end of input."""
    loop = asyncio.get_running_loop()
    held: dict[str, int] = {}
    ended = asyncio.Event()

    def apply(words: list[str]) -> None:
        if len(words) == 3 and words[0] == "hold" and words[2].isdigit():
            held[words[1]] = int(words[2])
        elif len(words) == 2 and words[0] == "drop":
            held.pop(words[1], None)

    def read() -> None:
        for line in lines:
            loop.call_soon_threadsafe(apply, line.split())
        loop.call_soon_threadsafe(ended.set)

    threading.Thread(target=read, name="argus-keeper-stdin", daemon=True).start()
    while not ended.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ended.wait(), timeout=lease_s / 3)
        for job_id, attempt in list(held.items()):
            if ended.is_set():
                break
            try:
                renewed = await job_store.renew(db, job_id=job_id, attempt=attempt, lease_s=lease_s)
            except Exception as exc:  # the database is away: try again next round
                log.warning("lease keeper: renewing job %s failed: %s", job_id, exc)
                continue
            if not renewed and held.get(job_id) == attempt:
                del held[job_id]


def main() -> None:
    lease_s = float(sys.argv[1])
    db = Database(os.environ[URL_ENV])
    print("ready", flush=True)

    async def run() -> None:
        try:
            await keep(db, lease_s, sys.stdin)
        finally:
            await db.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    main()
