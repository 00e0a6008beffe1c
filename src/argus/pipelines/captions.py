"""Captions for seed 003's ``describe_image``: a pulled captioning model, else a hosted LLM.

:func:`describe` picks the engine in this order: the pulled captioner named by
``analysis.caption_model`` when it is installed (``argus models pull vit-gpt2-captioning``),
else the LLM providers configured for photo classification (``classify.providers``, tried in
order, each with its retries, as the photo pipeline does), asked "Describe this image in one
sentence" with ``max_length`` as the answer's token limit; with neither, the task fails with
:class:`CaptionerMissing` naming the pull command. A failing LLM chain is an ``error`` listing
every provider's reason. The model runs in a worker thread; the LLM call is awaited.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from argus.arrays import RGB
from argus.config import Settings
from argus.errors import ArgusError, CaptionerMissing, CaptionFailed
from argus.llm.base import LlmFailed, RetryPolicy
from argus.llm.image import jpeg_for_llm
from argus.llm.providers import make_provider
from argus.models.pool import ModelPool
from argus.models.tasks import Captioner


@dataclass(frozen=True)
class Caption:
    """A caption and the engine that wrote it (``model:<name>`` or ``llm:<kind>:<model>``)."""

    text: str
    engine: str


def captioner_installed(settings: Settings, pool: ModelPool) -> bool:
    name = settings.analysis.caption_model
    try:
        return pool.installed_spec(name) is not None
    except ArgusError:
        return False


async def caption_with_llm(settings: Settings, pixels: RGB, max_length: int) -> Caption:
    """The first non-empty answer of the configured providers, in order."""
    config = settings.classify
    policy = RetryPolicy(config.max_retries, config.retry_backoff_s)
    jpeg = await asyncio.to_thread(jpeg_for_llm, pixels, config.llm_max_side)
    reasons: list[str] = []
    for provider_config in config.providers:
        provider = make_provider(provider_config, timeout_s=config.timeout_s, max_tokens=max_length)
        try:
            answer = await provider.ask(settings.analysis.caption_prompt, jpeg, policy)
        except LlmFailed as exc:
            reasons.append(str(exc))
            continue
        text = " ".join(answer.text.split())
        if text:
            return Caption(text, f"llm:{provider.name}")
        reasons.append(f"{provider.name}: the answer is empty")
    raise CaptionFailed("No LLM provider could caption the image: " + "; ".join(reasons))


async def describe(
    settings: Settings, pool: ModelPool, pixels: RGB, max_length: int, lock: Any = None
) -> Caption:
    """A caption of ``pixels`` from the first available engine (see the module docstring).

    ``lock``: an async context manager held while the local model runs (one call at a time).
    """
    name = settings.analysis.caption_model
    if captioner_installed(settings, pool):

        def work() -> str:
            text = pool.get(name, Captioner).predict_one((pixels, max_length))
            return text

        if lock is None:
            return Caption(await asyncio.to_thread(work), f"model:{name}")
        async with lock:
            return Caption(await asyncio.to_thread(work), f"model:{name}")
    if settings.classify.providers:
        return await caption_with_llm(settings, pixels, max_length)
    raise CaptionerMissing(
        "No captioning model is installed and no LLM provider is configured: install one with "
        f"`argus models pull {name}` or set ARGUS_CLASSIFY__PROVIDERS."
    )
