"""A synchronous video request has a budget: frames run through its models (after sampling)
and model seconds. The batch that would cross it answers 413 naming the setting, and no frame
beyond the budget is classified; within the budget every frame is."""

from __future__ import annotations

from pathlib import Path

import pytest
from moderation_support import TINY, client_for, pull_tiny, solid, video

from argus.config import Settings, VideoSettings

ROUTE = "/api/video-classification"
FRAMES = 120


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pull_tiny(tmp_path_factory.mktemp("budget"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    grey = solid((128, 128, 128))  # never 0.99 of any label: the search reads every frame
    return video(tmp_path_factory.mktemp("clip") / "clip.avi", [grey] * FRAMES, "MJPG")


def post(settings: Settings, clip: bytes) -> tuple[int, str, float]:
    """Status, body text and frames classified after one request."""
    with client_for(settings) as client:
        answer = client.post(
            f"{ROUTE}?model_names={TINY}&labels=nsfw&score=0.99",
            files={"file": ("clip.avi", clip, "video/x-msvideo")},
        )
        registry = client.app.state.metrics.registry  # type: ignore[attr-defined]
        frames = registry.get_sample_value("argus_frames_classified_total", {"route": ROUTE})
    return answer.status_code, answer.text, frames or 0.0


def test_frames_over_the_budget_answer_413_naming_the_limit(data_dir: Path, clip: bytes) -> None:
    video_limits = VideoSettings(max_sampled_frames=40)
    settings = Settings(data_dir=data_dir, offline=True, video=video_limits)
    status, text, frames = post(settings, clip)
    assert status == 413
    assert "video.max_sampled_frames" in text and "40 frames" in text
    assert 0 < frames <= 40


def test_model_time_over_the_budget_answers_413_naming_the_limit(
    data_dir: Path, clip: bytes
) -> None:
    video_limits = VideoSettings(max_model_s=1e-9)  # the first batch spends it all
    settings = Settings(data_dir=data_dir, offline=True, video=video_limits)
    status, text, frames = post(settings, clip)
    assert status == 413
    assert "video.max_model_s" in text
    assert 0 < frames < FRAMES


def test_a_video_within_the_budget_gets_every_frame(data_dir: Path, clip: bytes) -> None:
    video_limits = VideoSettings(max_sampled_frames=FRAMES)
    settings = Settings(data_dir=data_dir, offline=True, video=video_limits)
    status, _, frames = post(settings, clip)
    assert status == 200
    assert frames == FRAMES
