"""Model catalog: what is known, installed and loaded, and on which execution provider."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends

from argus.api.auth import principal
from argus.api.deps import Pool
from argus.api.schemas.models import ModelInfo, ModelList

router = APIRouter(prefix="/api/v1", tags=["models"], dependencies=[Depends(principal)])


@router.get("/models", response_model=ModelList, summary="The model catalog with its state")
async def list_models(pool: Pool) -> ModelList:
    from argus.runtime.ort import available_providers

    statuses = await asyncio.to_thread(pool.status)
    return ModelList(
        models=[ModelInfo(**s.to_dict()) for s in statuses],
        available_providers=available_providers(),
    )


@router.get(
    "/models/{name:path}",
    response_model=ModelInfo,
    summary="One model's state",
    responses={404: {"description": "No model of that name in the catalog"}},
)
async def get_model(name: str, pool: Pool) -> ModelInfo:
    spec = pool.catalog.get(name)  # raises UnknownModel -> 404
    statuses = await asyncio.to_thread(pool.status)
    return next(ModelInfo(**s.to_dict()) for s in statuses if s.name == spec.name)
