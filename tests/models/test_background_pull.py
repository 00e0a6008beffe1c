"""First use of a hub model that is not on disk: the pool starts its pull in the background and
answers "downloading (N %), try again shortly" until the files are there; then the same call
works. A loopback fake hub serves a tiny classifier; nothing is mocked on Argus's side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from argus.config import Settings
from argus.errors import DownloadsDisabled, ModelDownloading, ModelNotInstalled
from argus.models import hub as models_hub
from argus.models.catalog import Catalog
from argus.models.hub.background import BackgroundPulls, PullState
from argus.models.pool import ModelPool
from argus.models.tasks import ImageClassifier
from fakehub import (
    FakeHub,
    classifier_repo,
    classifier_spec,
    pull_settings,
    running_hub,
)
from support.waiting import wait_until

REPO = "argus-test/tiny-rgb"
SPEC = classifier_spec(REPO, "tiny-rgb")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    with running_hub(monkeypatch, tmp_path) as h:
        yield h


@pytest.fixture
def online(tmp_path: Path, hub: FakeHub) -> Settings:
    return pull_settings(tmp_path, hub)


def pool_with_pulls(settings: Settings) -> ModelPool:
    def pull(name: str, s: Settings, **kwargs: Any) -> object:
        return models_hub.pull(name, s, known=(SPEC,), **kwargs)

    catalog = Catalog(settings.models_dir, (SPEC,))
    return ModelPool(settings, catalog, pulls=BackgroundPulls(settings, pull_fn=pull))


def finished(pulls: BackgroundPulls, name: str, timeout_s: float = 60.0) -> PullState:
    def ended() -> PullState | None:
        state = pulls.get(name)
        return state if state is not None and state.status != "running" else None

    return wait_until(ended, f"the pull of {name} to end", timeout_s=timeout_s)


def test_first_use_pulls_in_the_background_then_the_model_answers(
    hub: FakeHub, online: Settings
) -> None:
    hub.add_repo(REPO, classifier_repo())
    pool = pool_with_pulls(online)
    with pytest.raises(ModelDownloading, match=r"Downloading tiny-rgb \(.*\), try again") as err:
        pool.get("tiny-rgb", ImageClassifier)
    assert err.value.status == 503 and err.value.retry_after_s > 0
    assert pool.pulls is not None
    state = finished(pool.pulls, "tiny-rgb")
    assert state.status == "completed" and state.percent == 100

    blue = np.zeros((40, 56, 3), np.uint8)
    blue[..., 2] = 250
    assert pool.get("tiny-rgb", ImageClassifier).predict([blue])[0][0][0] == "blue"
    [status] = [s for s in pool.status() if s.name == "tiny-rgb"]
    assert status.installed and status.download is not None
    assert status.download["status"] == "completed" and status.download["percent"] == 100


def test_a_failed_pull_is_reported_and_retried_by_the_next_request(
    hub: FakeHub, online: Settings
) -> None:
    pool = pool_with_pulls(online)  # the hub does not have the repository yet
    with pytest.raises(ModelDownloading):
        pool.get("tiny-rgb", ImageClassifier)
    assert pool.pulls is not None
    failed = finished(pool.pulls, "tiny-rgb")
    assert failed.status == "failed" and failed.error and "not found" in failed.error
    [status] = [s for s in pool.status() if s.name == "tiny-rgb"]
    assert not status.installed and status.download and status.download["status"] == "failed"

    hub.add_repo(REPO, classifier_repo())
    with pytest.raises(ModelDownloading):
        pool.get("tiny-rgb", ImageClassifier)
    assert finished(pool.pulls, "tiny-rgb").status == "completed"
    assert pool.get("tiny-rgb", ImageClassifier).loaded


def test_without_background_pulls_the_answer_names_the_command(online: Settings) -> None:
    pool = ModelPool(online, Catalog(online.models_dir, (SPEC,)))
    with pytest.raises(ModelNotInstalled, match="argus models pull tiny-rgb"):
        pool.get("tiny-rgb", ImageClassifier)


def test_background_pulls_refuse_offline(tmp_path: Path) -> None:
    offline = Settings(data_dir=tmp_path / "data", offline=True)
    with pytest.raises(DownloadsDisabled):
        BackgroundPulls(offline).start("tiny-rgb")
