"""Kill a real `argus serve` while a job runs, start it again: the job finishes, nothing is lost
and nothing already done is done again."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from jobs_support import free_port, read_job, start_server

from support.images import jpeg
from support.waiting import wait_until

ITEMS = 4  # dlib-cnn-face takes ~2 s per 512 px photo here: the job lasts ~8 s
LEASES = {"ARGUS_JOBS__LEASE_S": "6", "ARGUS_JOBS__SWEEP_INTERVAL_S": "1"}


@pytest.mark.slow
def test_job_interrupted_by_sigkill_resumes_without_redoing_items(
    tmp_path: Path, astronaut: npt.NDArray[np.uint8]
) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    photo = jpeg(astronaut)

    server = start_server(data_dir, port, tmp_path / "serve-1.log", **LEASES)
    try:
        resp = httpx.post(
            f"{base}/api/v1/jobs",
            data={"kind": "detect", "options": json.dumps({"model": "dlib-cnn-face"})},
            files=[("files", (f"astronaut-{i}.jpg", photo, "image/jpeg")) for i in range(ITEMS)],
            timeout=30,
        )
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]
        status_url = resp.json()["status_url"]

        def one_item_done() -> bool:
            return bool(httpx.get(status_url, timeout=5).json()["progress"]["done"] >= 1)

        wait_until(one_item_done, "the first item to complete", timeout_s=60, every_s=0.05)
        server.kill()
    finally:
        server.stop()

    before = read_job(data_dir, job_id)
    assert before is not None
    assert before.status == "running", "the killed server left the job unfinished"
    completed_before = {i.index: i for i in before.items if i.status == "completed"}
    assert 1 <= len(completed_before) < ITEMS, [i.status for i in before.items]

    server = start_server(data_dir, port, tmp_path / "serve-2.log", **LEASES)
    try:

        def finished() -> dict[str, object] | None:
            body: dict[str, object] = httpx.get(status_url, timeout=5).json()
            return None if body["status"] in ("pending", "running") else body

        body = wait_until(finished, "the resumed job to finish", timeout_s=120)
    finally:
        server.stop()

    assert body["status"] == "completed", body
    assert body["progress"] == {"done": ITEMS, "total": ITEMS}
    after = read_job(data_dir, job_id)
    assert after is not None
    assert after.attempts == 2, "resumed once after the crash"
    assert [i.input_name for i in after.items] == [f"astronaut-{i}.jpg" for i in range(ITEMS)]
    for item in after.items:  # nothing lost: every photo has its one face
        assert item.status == "completed", (item.index, item.error)
        assert len(item.output["detections"]) == 1, item.output
    for index, done in completed_before.items():  # nothing redone
        assert after.items[index].finished_at == done.finished_at
        assert after.items[index].started_at == done.started_at
        assert after.items[index].output == done.output
