"""FastAPI dependencies that hand routes what the lifespan built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from argus.config import Settings
from argus.models.pool import ModelPool


def get_pool(request: Request) -> ModelPool:
    pool: ModelPool = request.app.state.pool
    return pool


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Pool = Annotated[ModelPool, Depends(get_pool)]
AppSettings = Annotated[Settings, Depends(get_settings)]
