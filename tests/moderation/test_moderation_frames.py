"""GIFs and videos on seed 001's routes: GIF frames numbered from 0, video frames from 1,
``fast_mode`` sampling (short clips included), each label reported once at its first frame, and
the search stopping early, which a file broken after the answer shows: it is still answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from moderation_support import (
    BLUE,
    GREEN,
    RED,
    RGB,
    SEED_MODEL,
    TINY,
    client_for,
    gif,
    pull_tiny,
    solid,
    upload,
    video,
)

from argus.config import Settings

# Pillow merges identical consecutive GIF frames: each frame is a slightly different shade
COLOURS_GIF = [solid([max(v - 8 * i, 0) for v in c]) for c in (RED, GREEN, BLUE) for i in range(3)]
COLOURS_VIDEO = [solid(c) for c in [RED] * 10 + [GREEN] * 10 + [BLUE] * 10]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = pull_tiny(tmp_path_factory.mktemp("frames"))
    with client_for(Settings(data_dir=data_dir, offline=True)) as c:
        yield c


def found(resp: httpx.Response, model: str = TINY) -> list[tuple[int, str]]:
    body = resp.json()
    assert resp.status_code == 200, body
    (answer,) = body
    return [(row["frame"], row["label"]) for row in answer[model]]


def gif_query(client: TestClient, data: bytes, params: str) -> httpx.Response:
    url = f"/api/image-query-classification?model_names={TINY}&score=0.5&{params}"
    return client.post(url, files=upload(data, "anim.gif", "image/gif"))


def video_query(
    client: TestClient, data: bytes, params: str, name: str = "clip.mp4"
) -> httpx.Response:
    url = f"/api/video-classification?model_names={TINY}&score=0.5&{params}"
    return client.post(url, files=upload(data, name, "video/mp4"))


# --------------------------------------------------------------------------- real photos


def test_a_gif_of_real_photos_is_normal_in_every_frame(
    client: TestClient, astronaut: RGB, coffee: RGB, chelsea: RGB, grace_hopper: RGB
) -> None:
    data = gif([astronaut, coffee, chelsea, grace_hopper], size=(256, 256))
    resp = client.post("/api/image-classification", files=upload(data, "p.gif", "image/gif"))
    assert resp.status_code == 200, resp.text
    frames = resp.json()
    assert len(frames) == 4
    for frame in frames:
        assert frame[0]["label"] == "normal" and frame[0]["score"] >= 0.7
    query = client.post(
        "/api/image-query-classification?labels=normal",
        files=upload(data, "p.gif", "image/gif"),
    )
    assert found(query, SEED_MODEL) == [(0, "normal")]


def test_an_mp4_of_real_photos_is_normal_from_frame_one(
    client: TestClient, tmp_path: Path, astronaut: RGB, coffee: RGB, chelsea: RGB
) -> None:
    data = video(tmp_path / "photos.mp4", [astronaut] * 3 + [coffee] * 3 + [chelsea] * 3)
    resp = client.post(
        "/api/video-classification?labels=normal", files=upload(data, "p.mp4", "video/mp4")
    )
    assert found(resp, SEED_MODEL) == [(1, "normal")]
    none = client.post("/api/video-classification", files=upload(data, "p.mp4", "video/mp4"))
    assert none.json() == [{SEED_MODEL: []}]
    assert none.headers["X-Argus-Models"] == f"{SEED_MODEL}=open-nsfw"


# --------------------------------------------------------------------------- GIF


def test_plain_gif_answer_is_one_list_per_frame_in_order(client: TestClient) -> None:
    resp = client.post(
        f"/api/image-classification?model_name={TINY}",
        files=upload(gif(COLOURS_GIF), "anim.gif", "image/gif"),
    )
    assert [frame[0]["label"] for frame in resp.json()] == ["red"] * 3 + ["green"] * 3 + [
        "blue"
    ] * 3
    assert all(len(frame) == 3 for frame in resp.json())


def test_a_one_frame_gif_is_a_still_image_as_in_the_seed(client: TestClient) -> None:
    data = gif([solid(GREEN)])
    resp = client.post(
        f"/api/image-classification?model_name={TINY}",
        files=upload(data, "still.gif", "image/gif"),
    )
    body = resp.json()
    assert resp.status_code == 200 and isinstance(body[0], dict), body  # not a list per frame
    assert body[0]["label"] == "green" and len(body) == 3
    (answer,) = gif_query(client, data, "labels=green").json()
    assert [row["label"] for row in answer[TINY]] == ["green"]
    assert "frame" not in answer[TINY][0]


def test_gif_labels_are_reported_once_at_their_first_frame_from_zero(client: TestClient) -> None:
    data = gif(COLOURS_GIF)
    assert found(gif_query(client, data, "labels=green&labels=blue")) == [
        (3, "green"),
        (6, "blue"),
    ]
    assert found(gif_query(client, data, "labels=red&labels=nsfw")) == [(0, "red")]


def test_gif_fast_mode_classifies_every_step_th_frame(client: TestClient) -> None:
    # 9 frames at 50 %: step int(4.5) = 4, frames 0, 4, 8
    params = "labels=green&labels=blue&fast_mode=true&skip_frames_percentage=50"
    assert found(gif_query(client, gif(COLOURS_GIF), params)) == [(4, "green"), (8, "blue")]


def test_gif_return_on_first_matching_label_stops_at_the_first_match(client: TestClient) -> None:
    params = "labels=blue&labels=green&return_on_first_matching_label=true"
    assert found(gif_query(client, gif(COLOURS_GIF), params)) == [(3, "green")]


def test_gif_search_stops_once_every_label_is_found(client: TestClient) -> None:
    data = gif(COLOURS_GIF)
    broken = data[: len(data) - 6]  # the last frame is cut short
    assert found(gif_query(client, broken, "labels=red&labels=green")) == [
        (0, "red"),
        (3, "green"),
    ]
    resp = gif_query(client, broken, "labels=blue")  # must read the broken last frame
    assert resp.status_code == 400
    assert "truncated" in resp.json()["detail"]


# --------------------------------------------------------------------------- video


def test_video_frames_are_numbered_from_one(client: TestClient, tmp_path: Path) -> None:
    data = video(tmp_path / "c.mp4", COLOURS_VIDEO)
    assert found(video_query(client, data, "labels=red&labels=green&labels=blue")) == [
        (1, "red"),
        (11, "green"),
        (21, "blue"),
    ]


def test_video_fast_mode_classifies_frames_numbered_by_multiples_of_the_step(
    client: TestClient, tmp_path: Path
) -> None:
    data = video(tmp_path / "c.mp4", COLOURS_VIDEO)
    # 30 frames at 10 %: step 3, frames 3, 6, 9, 12, ...
    params = "labels=red&labels=green&labels=blue&fast_mode=true&skip_frames_percentage=10"
    assert found(video_query(client, data, params)) == [(3, "red"), (12, "green"), (21, "blue")]


def test_fast_mode_on_a_clip_too_short_for_a_step_reads_every_frame(
    client: TestClient, tmp_path: Path
) -> None:
    data = video(tmp_path / "short.mp4", [solid(RED)] * 4 + [solid(BLUE)] * 4)
    # 8 frames at 5 % gave the seed a step of 0 and a ZeroDivisionError
    params = "labels=blue&fast_mode=true&skip_frames_percentage=5"
    assert found(video_query(client, data, params)) == [(5, "blue")]


def test_video_return_on_first_matching_label(client: TestClient, tmp_path: Path) -> None:
    data = video(tmp_path / "c.mp4", COLOURS_VIDEO)
    params = "labels=blue&labels=green&return_on_first_matching_label=true"
    assert found(video_query(client, data, params)) == [(11, "green")]


def test_video_search_stops_once_every_label_is_found(client: TestClient, tmp_path: Path) -> None:
    data = video(tmp_path / "c.avi", COLOURS_VIDEO, fourcc="MJPG")
    broken = data[: int(len(data) * 0.6)]  # frames after the first dozen or so are gone
    assert found(video_query(client, broken, "labels=red", "c.avi")) == [(1, "red")]
    resp = video_query(client, broken, "labels=blue", "c.avi")
    assert resp.status_code == 400
    assert "truncated" in resp.json()["detail"]


def test_video_answer_is_wrapped_per_model(client: TestClient, tmp_path: Path) -> None:
    data = video(tmp_path / "c.mp4", COLOURS_VIDEO[:10])
    url = f"/api/video-classification?model_names={TINY}&model_names={SEED_MODEL}&labels=red"
    body = client.post(url, files=upload(data, "c.mp4", "video/mp4")).json()
    assert [list(d) for d in body] == [[TINY], [SEED_MODEL]]
    assert [row["frame"] for row in body[0][TINY]] == [1]
    assert body[1][SEED_MODEL] == []
