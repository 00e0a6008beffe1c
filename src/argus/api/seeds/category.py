"""Seed 000 (photo categories) at the edge: its shapes, its failure message, its renderer.

The shapes are those of the seed's classify, check-cache, stats and location routes (field for
field). Argus adds fields a seed client ignores: ``inference_method``, ``engine`` and
``location`` (the city of the photo's EXIF GPS position) in ``ClassificationData``;
``admin1``/``admin2`` in ``CityInfo``. :func:`classification_data` renders the pipeline's
:class:`~argus.pipelines.photo_category.Outcome`; :func:`message` gives the seed's Chinese text
for the pipeline's refusals (``{"detail": message}`` bodies, batch items' ``error``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, WithJsonSchema

from argus.config.units import bytes_to_mb
from argus.errors import ArgusError, FormatNotAllowed, ImageTooLarge, UnreadableImage

if TYPE_CHECKING:
    from argus.pipelines.photo_category import Outcome


#: The seed's ``datetime.now().isoformat()``: naive local time, no offset, so not an OpenAPI
#: ``date-time`` (which requires one).
SeedTimestamp = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 8601 local time without offset, e.g. 2024-05-01T12:00:00.123456",
        }
    ),
]

FAILED = "分类失败："  # seed 000's description of its "other" at 0.5 when no engine answered
NO_ENGINE = "没有可用的分类引擎"  # ... and the reason when there was no engine to ask
TOO_LARGE = "图片过大："
NOT_ALLOWED = "不支持的图片格式："
UNREADABLE = "无效的图片文件："


class ClassificationData(BaseModel):
    category: str = Field(description="One of the eight keys.")
    confidence: float = Field(ge=0.0, le=1.0)
    description: str | None = None
    local_inference_result: dict[str, Any] | None = Field(
        None, description="What the local engine saw (faces, OCR text, layout cues)."
    )
    inference_method: str | None = Field(
        None, description="llm, llm_fallback, local, local_fallback or cache."
    )
    engine: str | None = Field(
        None,
        description="Argus's engine behind the answer: llm, clip (reported by inference_method "
        "as local/local_fallback) or local; for a cache hit, the engine that answered first.",
    )
    location: dict[str, Any] | None = Field(
        None, description="EXIF GPS position and the nearest city (offline GeoNames)."
    )


class ClassificationResponse(BaseModel):
    success: bool = True
    data: ClassificationData
    from_cache: bool
    processing_time_ms: int
    request_id: str
    timestamp: SeedTimestamp


class BatchClassifyItem(BaseModel):
    index: int
    filename: str
    success: bool
    data: ClassificationData | None = None
    error: str | None = None
    from_cache: bool = False
    processing_time_ms: int


class BatchClassifyResponse(BaseModel):
    success: bool = True
    total: int
    success_count: int
    fail_count: int
    items: list[BatchClassifyItem]
    request_id: str
    total_processing_time_ms: int
    timestamp: SeedTimestamp


class CheckCacheRequest(BaseModel):
    image_hash: str = Field(min_length=64, max_length=64, description="SHA-256 hex.")
    user_id: str | None = None


class CheckCacheResponse(BaseModel):
    success: bool = True
    cached: bool
    data: ClassificationData | None = None
    from_cache: bool
    request_id: str
    timestamp: SeedTimestamp


class BatchCheckCacheRequest(BaseModel):
    image_hashes: list[str] = Field(min_length=1, max_length=100)
    user_id: str | None = None


class CacheItem(BaseModel):
    image_hash: str
    cached: bool
    data: ClassificationData | None = None


class BatchCheckCacheResponse(BaseModel):
    success: bool = True
    total: int
    cached_count: int
    items: list[CacheItem]
    request_id: str
    timestamp: SeedTimestamp


class CityInfo(BaseModel):
    """Seed 000's city; population, GeoNames id and Chinese name for places of 15,000+ people."""

    id: int = Field(description="The GeoNames id, else the place's row in the 1000+ file.")
    geoname_id: int | None = None
    name: str
    name_zh: str | None = None
    ascii_name: str | None = None
    latitude: float
    longitude: float
    country_code: str
    population: int | None = None
    distance_km: float
    admin1: str = ""
    admin2: str = ""


class StatsResponse(BaseModel):
    success: bool = True
    data: Any


def description(outcome: Outcome) -> str | None:
    """The answer's description; for a failure, seed 000's message with the engines' reasons."""
    answer = outcome.answer
    if answer.failed:
        return FAILED + ("; ".join(answer.notes) or NO_ENGINE)
    return answer.description


def classification_data(outcome: Outcome) -> ClassificationData:
    """Seed 000's ``ClassificationData`` (plus Argus's extra fields) for one answer."""
    answer = outcome.answer
    return ClassificationData(
        category=answer.category,
        confidence=round(answer.confidence, 4),
        description=description(outcome),
        local_inference_result=answer.seen,
        inference_method=answer.method,
        engine=answer.engine,
        location=outcome.location,
    )


def message(exc: ArgusError) -> str:
    """Seed 000's message for an error (its Chinese text for the upload checks)."""
    if isinstance(exc, ImageTooLarge):
        if exc.size is None:
            return TOO_LARGE + exc.reason
        return f"{TOO_LARGE}{bytes_to_mb(exc.size):.2f}MB，最大允许{exc.limit_mb:g}MB"
    if isinstance(exc, FormatNotAllowed):
        return f"{NOT_ALLOWED}{exc.format}，支持的格式：{', '.join(exc.allowed)}"
    if isinstance(exc, UnreadableImage):
        return UNREADABLE + exc.reason
    return exc.message


def render_error(exc: ArgusError) -> Response:
    """FastAPI's ``{"detail": message}`` with the error's status, in seed 000's words."""
    return JSONResponse({"detail": message(exc)}, status_code=exc.status)


def too_many_files(limit: int, count: int) -> str:
    """A batch of more than ``classify.max_batch_files`` photos."""
    return f"一次最多上传{limit}张图片，当前: {count}"
