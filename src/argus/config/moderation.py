"""Settings of seed 001's NSFW moderation, and the seed's own environment names."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator


def _seed_001_env(data: Any) -> Any:
    """Seed 001's environment names fill the fields not set the Argus way (environment only)."""
    if not isinstance(data, dict):
        return data
    env = os.environ
    data = dict(data)
    names = {
        "DEFAULT_MODEL_NAME": "default_model",
        "DEFAULT_SCORE": "default_score",
        "BATCH_SIZE": "batch_size",
    }
    for name, field in names.items():
        if env.get(name) and field not in data:
            data[field] = env[name]
    if env.get("USE_API_KEYS") and "use_api_keys" not in data:
        data["use_api_keys"] = env["USE_API_KEYS"].strip().lower() in ("true", "1", "yes")
    if env.get("API_KEYS") and "api_keys" not in data:
        data["api_keys"] = [k for k in env["API_KEYS"].split(",") if k]
    return data


def _seed_aliases() -> dict[str, str | list[str]]:
    return {
        "Falconsai/nsfw_image_detection": ["open-nsfw", "nudenet-nsfw"],
        "LukeJacob2023/nsfw-image-detector": ["nsfwjs-mobilenet-v2"],
    }


class ModerationSettings(BaseModel):
    """NSFW moderation of images, GIFs and videos (seed 001's ``/api/*-classification``).

    Seed 001's variables work too when the Argus ones are not set: ``DEFAULT_MODEL_NAME``,
    ``DEFAULT_SCORE``, ``BATCH_SIZE``, ``USE_API_KEYS`` (true/1/yes) and ``API_KEYS`` (comma
    list). They are read from the environment only, not from ``.env``. ``ACCESS_TOKEN`` (a hub
    token) is ``ARGUS_MODELS__HUB_TOKEN`` here: models are pulled ahead, never at request time.
    """

    default_model: str = Field(
        "Falconsai/nsfw_image_detection",
        description="Model used when a request names none (seed 001's DEFAULT_MODEL_NAME).",
    )
    aliases: dict[str, str | list[str]] = Field(
        default_factory=_seed_aliases,
        description="Model names answered by other models while they are not installed "
        "(pulled), the first installed one in order: by default seed 001's default model "
        "(labels normal, nsfw) is served by the built-in Open NSFW (NudeNet without it) and "
        "seed 001's example model (drawings, hentai, neutral, porn, sexy) by the built-in "
        "nsfwjs MobileNetV2.",
    )
    default_score: float = Field(
        0.7, description="Score threshold when a request sends none (seed's DEFAULT_SCORE)."
    )
    batch_size: int = Field(5, ge=1, description="Frames per model call (seed's BATCH_SIZE).")
    use_api_keys: bool = Field(
        False,
        description="Require X-API-Key on the seed routes (seed's USE_API_KEYS): a key from "
        "`argus keys create` or one listed in api_keys.",
    )
    api_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Extra plain keys accepted on the seed routes (seed's API_KEYS).",
    )
    max_files: int = Field(32, ge=1, description="Most files in one multi-image request.")
    cascade: bool = Field(
        False,
        description="Ask the fast built-in first and the requested model only when the "
        "built-in's nsfw score lies in cascade_band (a query parameter cascade= overrides).",
    )
    cascade_band: tuple[float, float] = Field(
        (0.15, 0.85),
        description="Built-in nsfw scores [low, high) that count as unsure in cascade mode.",
    )
    frame_side_px: int = Field(
        640, ge=32, description="Frames and images are reduced to this longer side first."
    )
    job_min_duration_s: float = Field(
        0.0,
        description="Videos at least this long are answered 202 with a moderate-video job "
        "(0: always answer in the request).",
    )

    _seed_env = model_validator(mode="before")(_seed_001_env)
