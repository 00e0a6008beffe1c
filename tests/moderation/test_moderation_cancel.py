"""A client that disconnects mid-video stops the frame loop: the frames run through the model
(``argus_frames_classified_total``) stay far below the video's, and the request counts as
cancelled; a client that stays gets every frame classified."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from moderation_support import TINY, pull_tiny, solid, video

from argus.api.app import create_app
from argus.config import Settings
from support.asgi import post_multipart

ROUTE = "/api/video-classification"
FRAMES = 300


def multipart(data: bytes) -> bytes:
    return (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="clip.avi"\r\n'
        b"Content-Type: video/x-msvideo\r\n\r\n" + data + b"\r\n--b--\r\n"
    )


def post_video(settings: Settings, body: bytes, *, leave: bool) -> tuple[int, float, float]:
    """Status, frames classified and cancelled requests after one POST; with ``leave`` the
    client disconnects as soon as its body is sent."""
    app = create_app(settings)
    query = f"model_names={TINY}&labels=nsfw&score=0.99".encode()

    async def main() -> tuple[int, float, float]:
        async with app.router.lifespan_context(app):
            status = await post_multipart(app, ROUTE, body, query=query, leave=leave)
        registry = app.state.metrics.registry
        frames = registry.get_sample_value("argus_frames_classified_total", {"route": ROUTE})
        cancelled = registry.get_sample_value("argus_requests_cancelled_total", {"route": ROUTE})
        return status, frames or 0.0, cancelled or 0.0

    return asyncio.run(main())


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pull_tiny(tmp_path_factory.mktemp("cancel"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    grey = solid((128, 128, 128))  # never 0.99 of any label: the search reads every frame
    return video(tmp_path_factory.mktemp("clip") / "clip.avi", [grey] * FRAMES, "MJPG")


def test_the_frame_loop_stops_when_the_client_leaves(data_dir: Path, clip: bytes) -> None:
    settings = Settings(data_dir=data_dir, offline=True)
    _, frames, cancelled = post_video(settings, multipart(clip), leave=True)
    assert cancelled == 1
    assert frames < FRAMES / 2


def test_a_client_that_stays_gets_every_frame(data_dir: Path, clip: bytes) -> None:
    settings = Settings(data_dir=data_dir, offline=True)
    status, frames, cancelled = post_video(settings, multipart(clip), leave=False)
    assert status == 200
    assert (frames, cancelled) == (FRAMES, 0)
