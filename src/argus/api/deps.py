"""FastAPI dependencies that hand routes what the lifespan built."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from argus.config import Settings
from argus.models.pool import ModelPool
from argus.store.db import Database


def get_pool(request: Request) -> ModelPool:
    pool: ModelPool = request.app.state.pool
    return pool


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Pool = Annotated[ModelPool, Depends(get_pool)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Db = Annotated[Database, Depends(get_db)]

# Re-exported so routes take every dependency from one place.
from argus.api.auth import Admin, Caller, Tenant  # noqa: E402

__all__ = ["Admin", "AppSettings", "Caller", "Db", "Pool", "Tenant", "get_db", "get_pool"]
