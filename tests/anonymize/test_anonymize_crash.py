"""Kill a real `argus serve` in the middle of a 20-file seed task, start it again: the task
completes with all 20 results, and files done before the kill are not redone."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from plates_support import encode, street

sys.path.insert(0, str(Path(__file__).parents[1] / "jobs"))
from jobs_support import (  # type: ignore[import-not-found]
    free_port,
    read_job,
    start_server,
)

from support.waiting import wait_until

FILES = 20


@pytest.mark.slow
def test_seed_task_survives_a_kill_and_completes(
    tmp_path: Path, coffee: npt.NDArray[np.uint8]
) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    car, _ = street(coffee)
    photo = encode(car)  # ~0.35 s each with the cascade alone: the task lasts ~7 s
    # no OCR (speed); short leases: the restarted server takes the job back once the killed
    # server's lease lapses (lease + sweep), not after the 30 s default
    fast = {
        "ARGUS_ANONYMIZE__PLATE_OCR": "false",
        "ARGUS_JOBS__LEASE_S": "6",
        "ARGUS_JOBS__SWEEP_INTERVAL_S": "1",
    }

    server = start_server(data_dir, port, tmp_path / "serve-1.log", **fast)
    try:
        resp = httpx.post(
            f"{base}/api/v1/process-task/",
            files=[("files", (f"car-{i:02d}.jpg", photo, "image/jpeg")) for i in range(FILES)],
            timeout=30,
        )
        assert resp.status_code == 202, resp.text
        task_id = resp.json()["task_id"]

        def some_done() -> bool:
            job = read_job(data_dir, task_id)
            return job is not None and job.progress_done >= 2

        wait_until(some_done, "two files to be done", timeout_s=90, every_s=0.1)
        assert httpx.get(f"{base}/api/v1/task-status/{task_id}").json()["status"] == "processing"
        server.kill()
    finally:
        server.stop()

    before = read_job(data_dir, task_id)
    assert before is not None and before.status == "running"
    done_before = {i.index: i.finished_at for i in before.items if i.status == "completed"}
    assert 2 <= len(done_before) < FILES

    server = start_server(data_dir, port, tmp_path / "serve-2.log", **fast)
    try:

        def finished() -> dict[str, object] | None:
            body: dict[str, object] = httpx.get(f"{base}/api/v1/task-status/{task_id}").json()
            return body if body["status"] in ("completed", "failed") else None

        body = wait_until(finished, "the resumed task to finish", timeout_s=120)
        assert body["status"] == "completed", body
        results = body["results"]
        assert isinstance(results, list)
        assert [r["filename"] for r in results] == [
            f"covered_car-{i:02d}.webp" for i in range(FILES)
        ]
        for r in results[:: FILES - 1]:
            assert httpx.get(f"{base}{r['url']}").content[8:12] == b"WEBP"
    finally:
        server.stop()
    after = read_job(data_dir, task_id)
    assert after is not None and after.attempts == 2
    for index, finished_at in done_before.items():
        assert after.items[index].finished_at == finished_at, "not redone"
