"""The ``clip`` engine through the real pull, model load and HTTP path, with a tiny CLIP.

Both catalog entries (``clip-vit-b-32``, ``clip-vit-b-32-text``) are pulled from the loopback
fake hub; the tiny towers of :mod:`clip_support` make "a photo of a cat" point where a red
picture does and "a screenshot of a phone app" where a blue one does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clip_support import BLUE, RED, clip_repo, solid
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import ClassifySettings, Settings
from argus.models import hub
from fakehub import pull_settings, running_hub
from support.images import encode


@pytest.fixture
def pulled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo("Xenova/clip-vit-base-patch32", clip_repo())
        settings = pull_settings(tmp_path, fake)
        hub.pull("clip-vit-b-32", settings)
        hub.pull("clip-vit-b-32-text", settings)
    yield settings.model_copy(update={"offline": True})


def classify(client: TestClient, data: bytes) -> Any:
    response = client.post("/api/v1/classify", files={"image": ("p.png", data, "image/png")})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_pulled_clip_answers_zero_shot_and_its_answer_is_cached(pulled: Settings) -> None:
    with TestClient(create_app(pulled)) as client:
        red = classify(client, encode(solid(RED), "PNG"))
        data = red["data"]
        assert data["category"] == "pets"
        assert data["confidence"] > 0.99
        assert data["engine"] == "clip"
        assert data["inference_method"] == "local"  # seed 000's vocabulary
        seen = data["local_inference_result"]
        assert seen["model"] == "clip-vit-b-32"
        assert set(seen["scores"]) == {
            "social_activities",
            "pets",
            "single_person",
            "foods",
            "travel_scenery",
            "screenshot",
            "idcard",
            "other",
        }
        assert abs(sum(seen["scores"].values()) - 1.0) < 1e-3
        assert "宠物" in data["description"]

        blue = classify(client, encode(solid(BLUE, (200, 400)), "PNG"))["data"]
        assert (blue["category"], blue["engine"]) == ("screenshot", "clip")

        again = classify(client, encode(solid(RED), "PNG"))
        assert again["from_cache"] is True
        assert again["data"]["category"] == "pets"
        assert again["data"]["engine"] == "clip"

        models = {m["name"]: m for m in client.get("/api/v1/models").json()["models"]}
        assert models["clip-vit-b-32-text"]["installed"] is True


def test_an_unsure_clip_passes_the_turn_and_long_prompts_are_truncated(
    pulled: Settings,
) -> None:
    # 90 filler words push "cat" past the 77-token window: the pets vector is the blue one's,
    # so nothing is like a red picture and CLIP is unsure (1/6 each) -> the local engine.
    long_prompt = "phone " + "a " * 90 + "cat"
    settings = pulled.model_copy(
        update={"classify": ClassifySettings(clip_prompts={"pets": [long_prompt]})}
    )
    with TestClient(create_app(settings)) as client:
        data = classify(client, encode(solid(RED), "PNG"))["data"]
        assert data["engine"] == "local"
        assert data["inference_method"] == "local_fallback"
        notes = data["local_inference_result"]["engine_notes"]
        assert notes and notes[0].startswith("clip: ")
        assert "llm_errors" not in data["local_inference_result"]


def test_without_the_text_tower_the_clip_engine_is_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with running_hub(monkeypatch, tmp_path) as fake:
        fake.add_repo("Xenova/clip-vit-base-patch32", clip_repo())
        settings = pull_settings(tmp_path, fake)
        hub.pull("clip-vit-b-32", settings)
    with TestClient(create_app(settings.model_copy(update={"offline": True}))) as client:
        data = classify(client, encode(solid(RED), "PNG"))["data"]
        assert data["engine"] == "local"
        assert data["inference_method"] == "local"
