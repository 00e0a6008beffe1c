"""Shapes of the model-management API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelInfo(BaseModel):
    name: str
    task: str
    description: str
    license: str
    builtin: bool = Field(description="Ships inside an installed package; works offline.")
    installed: bool
    loaded: bool
    providers: list[str] = Field(description="Execution providers of the loaded model.")
    memory_mb: float = Field(description="Estimated memory when loaded.")
    idle_s: float | None = Field(description="Seconds since last use, when loaded.")
    pull_command: str | None = Field(description="How to install it, when it is not installed.")
    download: dict[str, Any] | None = Field(
        None,
        description="A background pull since the server started: status (running, completed, "
        "failed), percent, bytes_done, bytes_total, error.",
    )


class ModelList(BaseModel):
    models: list[ModelInfo]
    available_providers: list[str]
