"""Settings of seed 000's photo classification: LLM providers, engines, cache, and the seed's
own environment names."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator


class LlmProviderSettings(BaseModel):
    """One hosted vision LLM; ``classify.providers`` are tried in order (a fallback chain)."""

    kind: Literal["openai", "anthropic"] = Field(
        "openai",
        description="openai: any OpenAI-compatible chat-completions endpoint with image input "
        "(OpenAI, Qwen through DashScope's compatible mode, vLLM, Ollama); anthropic: the "
        "Messages API.",
    )
    model: str = Field(..., description="Model name, e.g. gpt-4o-mini, qwen-vl-plus.")
    base_url: str | None = Field(
        None, description="Endpoint URL; default the SDK's (api.openai.com, api.anthropic.com)."
    )
    api_key: SecretStr | None = Field(None, description="API key (vLLM and Ollama take any).")
    input_usd_per_mtok: float = Field(
        0.0, description="Price of one million input tokens in USD, for the recorded cost."
    )
    output_usd_per_mtok: float = Field(
        0.0, description="Price of one million output tokens in USD, for the recorded cost."
    )


_SEED_DASHSCOPE_URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"


def _seed_000_env(data: Any) -> Any:
    """Seed 000's environment names fill the fields not set the Argus way (environment only)."""
    if not isinstance(data, dict):
        return data
    env = os.environ
    data = dict(data)
    simple = {
        "CLASSIFICATION_PROMPT": "prompt",
        "COST_PER_API_CALL": "cost_per_api_call",
        "MAX_IMAGE_SIZE_MB": "max_image_mb",
        "LLM_TIMEOUT": "timeout_s",
        "LLM_MAX_TOKENS": "max_tokens",
    }
    for name, field in simple.items():
        if env.get(name) and field not in data:
            data[field] = env[name]
    if env.get("ALLOWED_IMAGE_FORMATS") and "allowed_formats" not in data:
        data["allowed_formats"] = [f.strip() for f in env["ALLOWED_IMAGE_FORMATS"].split(",")]
    if env.get("LLM_API_KEY") and "providers" not in data:
        kind = env.get("LLM_PROVIDER", "openai").lower()
        provider: dict[str, Any] = {
            "kind": "anthropic" if kind in ("claude", "anthropic") else "openai",
            "model": env.get("LLM_MODEL", "gpt-4-vision-preview"),
            "api_key": env["LLM_API_KEY"],
        }
        if kind in ("aliyun", "qwen", "dashscope"):
            provider["base_url"] = env.get("LLM_BASE_URL", _SEED_DASHSCOPE_URL)
        elif env.get("LLM_BASE_URL"):
            provider["base_url"] = env["LLM_BASE_URL"]
        data["providers"] = [provider]
    if "engines" not in data and env.get("USE_LOCAL_INFERENCE", "").lower() in ("1", "true"):
        fallback = env.get("LOCAL_INFERENCE_FALLBACK", "true").lower() in ("1", "true")
        data["engines"] = ["clip", "local", "llm"] if fallback else ["clip", "local"]
    return data


class ClassifySettings(BaseModel):
    """Photo category classification (seed 000): engines, LLM providers, cache and limits.

    Seed 000's variables work too when the Argus ones are not set: ``CLASSIFICATION_PROMPT``,
    ``COST_PER_API_CALL``, ``MAX_IMAGE_SIZE_MB``, ``ALLOWED_IMAGE_FORMATS``, ``LLM_TIMEOUT``,
    ``LLM_MAX_TOKENS``, ``LLM_PROVIDER``/``LLM_API_KEY``/``LLM_MODEL`` (one provider; aliyun and
    qwen mean DashScope's OpenAI-compatible endpoint), ``USE_LOCAL_INFERENCE`` and
    ``LOCAL_INFERENCE_FALLBACK`` (offline engines first: clip, local, then llm unless the
    fallback is off). They are read from the environment only, not from ``.env``.
    """

    engines: list[Literal["llm", "clip", "local"]] = Field(
        ["llm", "clip", "local"],
        description="Engines tried in order; llm is skipped while no provider is configured, "
        "clip while clip_model or clip_text_model is not pulled. An engine answering after an "
        "earlier one failed is reported as <engine>_fallback (clip answers as local/"
        "local_fallback, seed 000's vocabulary, with engine=clip).",
    )
    clip_model: str = Field(
        "clip-vit-b-32", description="CLIP image tower of the clip engine (a pulled model)."
    )
    clip_text_model: str = Field(
        "clip-vit-b-32-text",
        description="CLIP text tower + tokenizer of the clip engine (a pulled model).",
    )
    clip_prompts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="English prompts replacing the built-in ones of a category (key -> list); "
        "the class vector is the mean of the prompts' text vectors.",
    )
    providers: list[LlmProviderSettings] = Field(
        default_factory=list, description="Hosted vision LLMs, tried in order (JSON list)."
    )
    prompt: str | None = Field(None, description="Classification prompt; default seed 000's.")
    timeout_s: float = Field(30.0, description="Timeout of one LLM call, in seconds.")
    max_retries: int = Field(2, description="Retries of one provider on 429, 5xx or no connection.")
    retry_backoff_s: float = Field(
        1.0, description="First retry delay in seconds; doubles each retry (Retry-After wins)."
    )
    max_tokens: int = Field(500, description="Most tokens an LLM may answer with.")
    llm_max_side: int = Field(1024, description="Longer side of the JPEG sent to an LLM, px.")
    cost_per_api_call: float = Field(
        0.01, description="What one LLM call costs (seed's COST_PER_API_CALL), for cost saved."
    )
    max_image_mb: float = Field(10.0, description="Largest image classified, in MiB (400 above).")
    allowed_formats: list[str] = Field(
        default_factory=lambda: ["jpg", "jpeg", "png", "webp", "gif", "mpo"],
        description="Formats accepted by /api/v1/classify (Pillow's names, lower case).",
    )
    max_batch_files: int = Field(20, description="Most images in one /classify/batch.")
    local_ocr: Literal["auto", "always", "never"] = Field(
        "auto",
        description="OCR in the local engine: auto runs it only on screen- or card-like "
        "images (0.2-0.8 s each), always on every image, never turns screenshots and ID "
        "documents into layout-only guesses.",
    )
    cache_local: bool = Field(
        True,
        description="Also cache trustworthy local-engine answers (not 'other'); they are "
        "ignored by lookups while an LLM engine comes first.",
    )

    @model_validator(mode="before")
    @classmethod
    def _seed_env(cls, data: Any) -> Any:
        return _seed_000_env(data)
