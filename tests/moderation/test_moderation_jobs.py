"""Long videos become ``moderate-video`` jobs: the seed route answers 202 with a job whose item
output is the answer the route gives synchronously; the kind is usable on /api/v1/jobs too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from moderation_support import BLUE, GREEN, RED, TINY, client_for, pull_tiny, solid, upload, video

from argus.config import ModerationSettings, Settings
from support.waiting import wait_until

COLOURS = [solid(c) for c in [RED] * 10 + [GREEN] * 10 + [BLUE] * 10]  # 3 s at 10 fps
QUERY = f"model_names={TINY}&labels=green&labels=blue&score=0.5"


def wait(client: TestClient, url: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(url).json()
        return body if body["status"] not in ("pending", "running") else None

    return wait_until(ended, f"{url} to end")


def test_a_long_video_becomes_a_job_with_the_same_answer(tmp_path: Path) -> None:
    data_dir = pull_tiny(tmp_path)
    data = video(tmp_path / "c.mp4", COLOURS)
    short = Settings(data_dir=data_dir, offline=True)
    with client_for(short) as client:
        direct = client.post(f"/api/video-classification?{QUERY}", files=upload(data, "c.mp4"))
        assert direct.status_code == 200
    expected = [{TINY: [{"frame": 11, "label": "green"}, {"frame": 21, "label": "blue"}]}]
    assert [{TINY: [{k: r[k] for k in ("frame", "label")} for r in direct.json()[0][TINY]]}] == (
        expected
    )

    long = short.model_copy(update={"moderation": ModerationSettings(job_min_duration_s=2.0)})
    with client_for(long) as client:
        resp = client.post(f"/api/video-classification?{QUERY}", files=upload(data, "c.mp4"))
        assert resp.status_code == 202, resp.text
        accepted = resp.json()
        assert accepted["status"] == "pending"
        assert resp.headers["Location"] == accepted["status_url"]
        job = wait(client, accepted["status_url"])
        assert job["status"] == "completed", job
        assert job["kind"] == "moderate-video"
        assert job["progress"] == {"done": 1, "total": 1}
        (item,) = job["items"]
        assert item["output"] == direct.json()
        # a clip shorter than the setting is still answered in the request
        quick = video(tmp_path / "q.mp4", COLOURS[:10])
        resp = client.post(f"/api/video-classification?{QUERY}", files=upload(quick, "q.mp4"))
        assert resp.status_code == 200 and resp.json() == [{TINY: []}]


def test_the_job_kind_on_the_jobs_api_checks_its_models_first(tmp_path: Path) -> None:
    data = video(tmp_path / "c.mp4", COLOURS[:12])
    with client_for(Settings(data_dir=tmp_path / "data", offline=True)) as client:
        refused = client.post(
            "/api/v1/jobs",
            data={"kind": "moderate-video", "options": '{"model_names": ["nobody/model"]}'},
            files=[("files", ("c.mp4", data, "video/mp4"))],
        )
        assert refused.status_code == 409
        assert "argus models pull nobody/model" in refused.json()["error"]["message"]
        made = client.post(
            "/api/v1/jobs",
            data={"kind": "moderate-video", "options": '{"labels": ["normal"], "score": 0.5}'},
            files=[
                ("files", ("c.mp4", data, "video/mp4")),
                ("files", ("t.mp4", b"x", "video/mp4")),
            ],
        )
        assert made.status_code == 202, made.text
        job = wait(client, made.json()["status_url"])
        good, bad = job["items"]
        assert good["output"][0]["Falconsai/nsfw_image_detection"][0]["frame"] == 1
        assert bad["status"] == "failed" and bad["error"].startswith("file is not a video")
        assert job["progress"] == {"done": 2, "total": 2}
