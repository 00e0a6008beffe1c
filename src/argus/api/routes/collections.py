"""Per-tenant collections (seed 003's classifiers): list them, train a new version.

``GET /api/v1/collections``, ``GET /api/v1/collections/{id}``,
``POST /api/v1/collections/{id}/train`` with ``{embedding, samples: [{embedding, label}]}``
(seed 003's training-data shape). Training runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends

from argus.api.auth import principal
from argus.api.deps import AnalyzerDep, Tenant
from argus.api.schemas.analysis import (
    CollectionInfo,
    CollectionList,
    TrainRequest,
    TrainResponse,
)
from argus.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["collections"], dependencies=[Depends(principal)])


@router.get("/collections", response_model=CollectionList, summary="This tenant's collections")
async def list_collections(analyzer: AnalyzerDep, tenant: Tenant) -> Any:
    store = analyzer.collections
    return {"collections": await asyncio.to_thread(store.list, tenant)}


@router.get("/collections/{collection_id}", response_model=CollectionInfo, summary="One collection")
async def get_collection(collection_id: int, analyzer: AnalyzerDep, tenant: Tenant) -> Any:
    manifest = analyzer.collections.manifest(tenant, collection_id)
    if manifest is None:
        raise NotFound(f"No collection {collection_id}.")
    return manifest


@router.post(
    "/collections/{collection_id}/train",
    response_model=TrainResponse,
    summary="Train a new version; the best version on the new held-out split is served",
)
async def train_collection(
    collection_id: int, body: TrainRequest, analyzer: AnalyzerDep, tenant: Tenant
) -> Any:
    store = analyzer.collections
    report = await asyncio.to_thread(
        store.train,
        tenant,
        collection_id,
        [s.embedding for s in body.samples],
        [s.label for s in body.samples],
        embedding=body.embedding,
    )
    return report.__dict__
