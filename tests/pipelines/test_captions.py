"""Captions without HTTP: the configured LLM providers in order (a loopback fake of the
OpenAI API), the answer's whitespace tidied, every reason named when all fail, and the pull
command named when nothing can caption."""

from __future__ import annotations

import asyncio
import base64
import io
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from argus.config import Settings
from argus.models.pool import ModelPool
from argus.pipelines.captions import CaptionerMissing, CaptionFailed, describe

_LLM_TESTS = str(Path(__file__).resolve().parents[1] / "llm")
if _LLM_TESTS not in sys.path:
    sys.path.append(_LLM_TESTS)

from llm_fakes import FakeLlm, Reply, running_llm  # noqa: E402

RGB = npt.NDArray[np.uint8]


def with_providers(settings: Settings, fake: FakeLlm, *models: str) -> Settings:
    providers = [
        {"kind": "openai", "model": m, "base_url": fake.openai_url, "api_key": "k"} for m in models
    ]
    data = settings.model_dump()
    data["classify"] |= {"providers": providers, "max_retries": 0, "llm_max_side": 256}
    return Settings.model_validate(data)


def sent_image(request: dict[str, object]) -> Image.Image:
    body = request["body"]
    assert isinstance(body, dict)
    url = body["messages"][0]["content"][1]["image_url"]["url"]
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_the_first_provider_that_answers_writes_the_caption(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    with running_llm(Reply(status=500), Reply("  An astronaut\n in  an orange suit. ")) as fake:
        configured = with_providers(settings, fake, "first-model", "second-model")
        caption = asyncio.run(describe(configured, pool, astronaut, max_length=30))
    assert caption.text == "An astronaut in an orange suit."
    assert caption.engine == "llm:openai:second-model"
    assert [r["body"]["model"] for r in fake.requests] == ["first-model", "second-model"]
    assert all(r["body"]["max_tokens"] == 30 for r in fake.requests)
    image = sent_image(fake.requests[1])
    assert image.format == "JPEG" and image.size == (256, 256)  # 512 px shrunk to the side


def test_when_every_provider_fails_each_reason_is_named(
    settings: Settings, pool: ModelPool, chelsea: RGB
) -> None:
    with running_llm(Reply(status=503), Reply("   ")) as fake:
        configured = with_providers(settings, fake, "first-model", "second-model")
        with pytest.raises(CaptionFailed) as failed:
            asyncio.run(describe(configured, pool, chelsea, max_length=20))
    message = failed.value.message
    assert "503" in message
    assert "second-model: the answer is empty" in message


def test_nothing_to_caption_with_names_the_pull_command(
    settings: Settings, pool: ModelPool, chelsea: RGB
) -> None:
    with pytest.raises(CaptionerMissing, match="argus models pull"):
        asyncio.run(describe(settings, pool, chelsea, max_length=20))
