"""Seed 004 (face features) at the edge: its shapes, its Chinese messages, its renderers.

Bodies keep the seed's shape: ``success``, ``message`` (its Chinese messages), ``feature``,
``feature_dim``, ``quality_passed``, ``similarity``, ``is_same_person``, ``threshold``,
``processing_time``, plus Argus extras (``model``, ``failed_checks``, ``face``) that the seed's
clients ignore. No qualified face is a 200 with ``success: false`` and :data:`NO_FACE` followed
by the pipeline's reason; errors are ``{"success": false, "message", "processing_time"}`` with
their status (a file that is not an image is a 400, as the seed said), a feature dimension
mismatch with the seed's :data:`DIMENSION_MISMATCH`. ``processing_time`` counts from
:func:`start_clock`, a dependency of the seed's router.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from argus.errors import ArgusError, DimensionMismatch, NoQualifiedFace, UnsupportedMediaType

MAX_FEATURE_DIM = 65536
EXTRACTED = "特征提取成功"
COMPARED = "对比成功"
NO_FACE = "未检测到合格的人脸"
DIMENSION_MISMATCH = "特征维度不匹配"
BAD_REQUEST = "请求参数错误"

_started: ContextVar[float | None] = ContextVar("argus_face_started", default=None)


class CompareFeaturesIn(BaseModel):
    """Seed 004's ``/api/compare_features`` body (``threshold`` is an Argus extra)."""

    feature1: list[float] = Field(..., max_length=MAX_FEATURE_DIM, description="A feature.")
    feature2: list[float] = Field(..., max_length=MAX_FEATURE_DIM, description="Another one.")
    threshold: float | None = Field(
        None, description="Override of the same-person threshold (default 0.7) for this call."
    )


class ExtractFeatureOut(BaseModel):
    success: bool = Field(description="False when no qualified face was found.")
    message: str = Field(description="特征提取成功, or why it failed (the failed check).")
    feature: list[float] | None = Field(
        None,
        description="Unit feature in seed 004's 1024-d space: the model's vector centred on "
        "its population mean, normalised and embedded by a fixed rotation (cosines are kept).",
    )
    feature_dim: int | None = Field(None, description="Its length: 1024, as the seed's.")
    quality_passed: bool | None = Field(None, description="Whether every quality check passed.")
    processing_time: float = Field(description="Seconds spent on the request.")
    model: str | None = Field(None, description="The face model that answered.")
    failed_checks: list[str] | None = Field(
        None, description="Names of failed checks (face_detected, face_size, sharpness, ...)."
    )
    face: dict[str, Any] | None = Field(
        None, description="Box, landmarks, upscale factor and every quality check's value."
    )


class CompareOut(BaseModel):
    success: bool
    message: str
    similarity: float | None = Field(None, description="Cosine similarity, -1 to 1.")
    is_same_person: bool | None = Field(None, description="similarity >= threshold.")
    threshold: float | None = Field(None, description="The threshold used.")
    processing_time: float | None = None
    model: str | None = None
    failed_checks: list[str] | None = None


async def start_clock() -> None:
    """Start the request's ``processing_time`` (a router dependency)."""
    _started.set(time.perf_counter())


def elapsed() -> float:
    """Seconds since :func:`start_clock`, rounded as the seed did (0 when not started)."""
    start = _started.get()
    return round(time.perf_counter() - start, 4) if start is not None else 0.0


def message(exc: ArgusError) -> str:
    """The seed's message for an error: its Chinese text where the seed had one."""
    if isinstance(exc, NoQualifiedFace):
        return f"{NO_FACE} ({exc.message})"
    if isinstance(exc, DimensionMismatch):
        return f"{DIMENSION_MISMATCH} ({exc.message})"
    return exc.message


def render_error(exc: ArgusError) -> Response:
    """The seed's error body; a file that is not an image is a 400 as the seed says (Argus
    answers 415 elsewhere)."""
    status = 400 if isinstance(exc, UnsupportedMediaType) else exc.status
    return JSONResponse(
        {"success": False, "message": message(exc), "processing_time": elapsed()},
        status_code=status,
    )


def render_validation(exc: RequestValidationError) -> Response:
    """A malformed request: the seed's message with every field's problem, and FastAPI's list."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return JSONResponse(
        {
            "success": False,
            "message": f"{BAD_REQUEST} (invalid request: " + "; ".join(parts) + ")",
            "detail": jsonable_encoder(exc.errors()),
            "processing_time": elapsed(),
        },
        status_code=422,
    )


def no_face(exc: NoQualifiedFace, model: str | None = None) -> dict[str, Any]:
    """The 200 ``success: false`` answer when no face (or no face passing the checks) is found."""
    return {
        "success": False,
        "message": message(exc),
        "processing_time": elapsed(),
        "model": model,
        "failed_checks": exc.failed,
        "quality_passed": False if exc.quality is not None else None,
    }


def extracted(
    vector: list[float],
    *,
    passed: bool,
    failures: str,
    model: str,
    failed_checks: list[str],
    face: dict[str, Any],
) -> dict[str, Any]:
    """``/api/extract_feature``'s answer (``failures`` describes the failed checks, if any)."""
    text = EXTRACTED if passed else f"{EXTRACTED} (quality check failed: {failures})"
    return {
        "success": True,
        "message": text,
        "feature": vector,
        "feature_dim": len(vector),
        "quality_passed": passed,
        "processing_time": elapsed(),
        "model": model,
        "failed_checks": failed_checks,
        "face": face,
    }


def compared(similarity: float, threshold: float) -> dict[str, Any]:
    """The comparison routes' answer."""
    return {
        "success": True,
        "message": COMPARED,
        "similarity": round(similarity, 4),
        "is_same_person": similarity >= threshold,
        "threshold": threshold,
        "processing_time": elapsed(),
    }
