"""Seed 000's classify routes: ``/api/v1/classify``, ``/classify/batch``, the cache checks.

Shapes, limits and error bodies are the seed's (``{"detail": message}``, 400 for an image that
is too large, unreadable or of a format not allowed; 422 for a missing field). ``X-User-ID`` and
the body's ``user_id`` are only recorded, as in the seed: the cache is global. Each image gives
one ``classify_requests`` row for the stats routes, written in batches off the request path
(:mod:`argus.store.write_behind`); the stats routes flush them before they read.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile

from argus.api import jsonform, state
from argus.api.auth import principal
from argus.api.deps import Caller, Classifier
from argus.api.seeds import category as seed000
from argus.api.seeds.category import (
    BatchCheckCacheRequest,
    BatchCheckCacheResponse,
    BatchClassifyItem,
    BatchClassifyResponse,
    CacheItem,
    CheckCacheRequest,
    CheckCacheResponse,
    ClassificationData,
    ClassificationResponse,
    classification_data,
)
from argus.api.seeds.routing import seed_route_class
from argus.api.uploads import read_bounded
from argus.errors import ArgusError, InvalidInput
from argus.store.tables import ClassifyRequest

if TYPE_CHECKING:
    from argus.pipelines.photo_category import Outcome, PhotoClassifier


router = APIRouter(
    prefix="/api/v1",
    tags=["classify (seed 000)"],
    route_class=seed_route_class(seed000.render_error),
    dependencies=[Depends(principal)],
)

UserHeader = Annotated[str | None, Header(alias="X-User-ID")]


def new_request_id() -> str:
    """Seed 000's ``req_<unix seconds>_<12 hex>``."""
    return f"req_{int(time.time())}_{secrets.token_hex(6)}"


def _row(
    outcome: Outcome | None,
    *,
    request_id: str,
    request_type: str,
    caller: Caller,
    user_id: str | None,
    request: Request,
    image_hash: str | None = None,
    elapsed_ms: int = 0,
    success: bool | None = None,
) -> dict[str, Any]:
    """One ``classify_requests`` row's column values (plain values: a mapped object costs a
    cached answer several times more to build; the batch makes the rows)."""
    client = request.client
    row: dict[str, Any] = {
        "request_id": request_id,
        "request_type": request_type,
        "tenant": caller.tenant,
        "user_id": (user_id or None) and user_id[:64],
        "ip_address": client.host if client else None,
        "image_hash": image_hash[:64] if image_hash else None,
        "success": outcome is not None if success is None else success,
        "from_cache": bool(outcome and outcome.from_cache),
        "processing_time_ms": elapsed_ms,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
    }
    if outcome is not None:
        answer = outcome.answer
        row["image_hash"] = outcome.image_hash
        row["image_size"] = outcome.image_size
        row["category"] = answer.category
        row["confidence"] = answer.confidence
        row["inference_method"] = answer.method
        row["model"] = answer.model[:128]
        row["input_tokens"] = answer.input_tokens
        row["output_tokens"] = answer.output_tokens
        row["cost_usd"] = answer.cost_usd
        row["processing_time_ms"] = outcome.processing_time_ms or elapsed_ms
    return row


def _count(request: Request, outcome: Outcome | None) -> None:
    """The platform's cache counter: a hit or a miss of the photo-category task."""
    from argus.pipelines.photo_category import TASK

    hit = outcome is not None and outcome.from_cache
    state.metrics(request).cache_lookup(TASK, "hit" if hit else "miss")


async def _log(request: Request, classifier: PhotoClassifier, rows: list[dict[str, Any]]) -> None:
    """Record the rows: batched off the request path when the app defers its writes."""
    await state.services(request).writes.insert([(ClassifyRequest, row) for row in rows])


def _data(outcome: Outcome) -> ClassificationData:
    return classification_data(outcome)


async def _read(classifier: PhotoClassifier, upload: UploadFile) -> bytes:
    """The upload's bytes, never more than one past the limit (the spooled file may be huge)."""
    if upload.size is not None:
        classifier.check_size(upload.size)
    return await read_bounded(upload, classifier.max_bytes)


@router.post("/classify", response_model=ClassificationResponse, summary="Classify one photo")
async def classify(
    request: Request,
    caller: Caller,
    classifier: Classifier,
    image: Annotated[UploadFile, File(description="The photo.")],
    image_hash: Annotated[str | None, Form(description="SHA-256 of the original file.")] = None,
    x_user_id: UserHeader = None,
) -> ClassificationResponse:
    outcome = await classifier.classify(await _read(classifier, image), image_hash=image_hash)
    _count(request, outcome)
    request_id = new_request_id()
    row = _row(
        outcome,
        request_id=request_id,
        request_type="single_classify",
        caller=caller,
        user_id=x_user_id,
        request=request,
    )
    await _log(request, classifier, [row])
    return ClassificationResponse(
        data=_data(outcome),
        from_cache=outcome.from_cache,
        processing_time_ms=outcome.processing_time_ms,
        request_id=request_id,
        timestamp=datetime.now(),
    )


@router.post("/classify/batch", response_model=BatchClassifyResponse, summary="Up to 20 photos")
async def classify_batch(
    request: Request,
    caller: Caller,
    classifier: Classifier,
    images: Annotated[list[UploadFile], File(description="The photos (at most 20).")],
    image_hashes: Annotated[str | None, Form(description="JSON list of SHA-256.")] = None,
    x_user_id: UserHeader = None,
) -> BatchClassifyResponse:
    limit = classifier.config.max_batch_files
    if len(images) > limit:
        raise InvalidInput(seed000.too_many_files(limit, len(images)))
    hashes: list[object] = []
    if image_hashes:
        try:
            parsed = jsonform.loads(image_hashes)
            hashes = parsed if isinstance(parsed, list) else []
        except ValueError:
            hashes = []  # the seed ignores a malformed list
    request_id = new_request_id()
    start = time.perf_counter()
    items: list[BatchClassifyItem] = []
    rows: list[dict[str, Any]] = []
    for index, upload in enumerate(images):
        item_start = time.perf_counter()
        given = hashes[index] if index < len(hashes) else None
        outcome: Outcome | None = None
        error: str | None = None
        try:
            data = await _read(classifier, upload)
            outcome = await classifier.classify(
                data, image_hash=given if isinstance(given, str) else None
            )
            _count(request, outcome)
        except ArgusError as exc:
            error = seed000.message(exc)
        elapsed = round((time.perf_counter() - item_start) * 1000)
        items.append(
            BatchClassifyItem(
                index=index,
                filename=upload.filename or f"image_{index}",
                success=outcome is not None,
                data=_data(outcome) if outcome else None,
                error=error,
                from_cache=bool(outcome and outcome.from_cache),
                processing_time_ms=elapsed,
            )
        )
        rows.append(
            _row(
                outcome,
                request_id=request_id,
                request_type="batch_classify",
                caller=caller,
                user_id=x_user_id,
                request=request,
                elapsed_ms=elapsed,
            )
        )
    await _log(request, classifier, rows)
    succeeded = sum(item.success for item in items)
    return BatchClassifyResponse(
        total=len(items),
        success_count=succeeded,
        fail_count=len(items) - succeeded,
        items=items,
        request_id=request_id,
        total_processing_time_ms=round((time.perf_counter() - start) * 1000),
        timestamp=datetime.now(),
    )


@router.post("/classify/check-cache", response_model=CheckCacheResponse, summary="Cached answer")
async def check_cache(
    body: CheckCacheRequest,
    request: Request,
    caller: Caller,
    classifier: Classifier,
    x_user_id: UserHeader = None,
) -> CheckCacheResponse:
    outcome = await classifier.lookup(body.image_hash.lower())
    _count(request, outcome)
    request_id = new_request_id()
    row = _row(
        outcome,
        request_id=request_id,
        request_type="single_cache",
        caller=caller,
        user_id=x_user_id or body.user_id,
        request=request,
        image_hash=body.image_hash.lower(),
        success=True,
    )
    await _log(request, classifier, [row])
    return CheckCacheResponse(
        cached=outcome is not None,
        data=_data(outcome) if outcome else None,
        from_cache=outcome is not None,
        request_id=request_id,
        timestamp=datetime.now(),
    )


@router.post(
    "/classify/batch-check-cache",
    response_model=BatchCheckCacheResponse,
    summary="Cached answers for 1 to 100 hashes",
)
async def batch_check_cache(
    body: BatchCheckCacheRequest,
    request: Request,
    caller: Caller,
    classifier: Classifier,
    x_user_id: UserHeader = None,
) -> BatchCheckCacheResponse:
    request_id = new_request_id()
    items: list[CacheItem] = []
    rows: list[dict[str, Any]] = []
    for image_hash in body.image_hashes:
        outcome = await classifier.lookup(image_hash.strip().lower())
        _count(request, outcome)
        items.append(
            CacheItem(
                image_hash=image_hash,
                cached=outcome is not None,
                data=_data(outcome) if outcome else None,
            )
        )
        row = _row(
            outcome,
            request_id=request_id,
            request_type="batch_cache",
            caller=caller,
            user_id=x_user_id or body.user_id,
            request=request,
            image_hash=image_hash.strip().lower(),
            success=True,
        )
        rows.append(row)
    await _log(request, classifier, rows)
    return BatchCheckCacheResponse(
        total=len(items),
        cached_count=sum(item.cached for item in items),
        items=items,
        request_id=request_id,
        timestamp=datetime.now(),
    )
