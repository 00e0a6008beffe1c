"""Seed 003 (image analysis) at the edge: its shapes, its messages, its renderers.

``/analyze_image/`` and ``/analyze_image_upload/`` answer ``{image_url, results}`` with one
``{status, data, cropped_image_bbox, cropped_image_base64, error_message}`` per operation id
(:func:`render_results`, from the pipeline's typed ``OperationResult``; a task's typed problem
becomes the seed's ``error_message`` sentence in :func:`problem_message`);
``/available_operations/`` lists each operation's description and targets
(:func:`available_operations`). Errors are the seed's ``{"detail": ...}`` with its prefixes
(:func:`failure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, HttpUrl

from argus.errors import ArgusError, UnsupportedMediaType
from argus.plainwords import describe

if TYPE_CHECKING:
    from argus.pipelines.operations.base import Operation, OperationResult, Problem


NOT_DOWNLOADED = "Could not download image from URL"
NOT_PROCESSED = "Could not process image"
BAD_TASKS = "Invalid tasks JSON format or structure"


class AnalysisTask(BaseModel):
    operation_id: str = Field(..., description="Key of this task's result in `results`.")
    type: str = Field(..., description="Operation type (see GET /available_operations/).")
    params: dict[str, Any] | None = Field(
        None,
        description="target (whole_image, prominent_person, prominent_face), face_context "
        "(prominent_person or whole_image), collection_id (classify), max_length (describe).",
    )


class AnalyzeImageRequest(BaseModel):
    image_url: HttpUrl = Field(..., description="http(s) URL of the image.")
    tasks: list[AnalysisTask]


class OperationResultOut(BaseModel):
    status: Literal["success", "error", "skipped"]
    data: Any = None
    cropped_image_bbox: list[int] | None = None
    cropped_image_base64: str | None = Field(None, description="PNG of the crop, base64.")
    error_message: str | None = None


class AnalysisResponse(BaseModel):
    image_url: str = Field(..., description="The URL analysed, or `uploaded:<filename>`.")
    results: dict[str, OperationResultOut]


class OperationInfo(BaseModel):
    description: str
    allowed_targets: list[str]
    default_target: str


class AvailableOperations(BaseModel):
    operations: dict[str, OperationInfo]


def failure(prefix: str, exc: ArgusError) -> JSONResponse:
    """The seed's ``{"detail"}``; a file that is not an image is its 400 (not Argus's 415)."""
    status = 400 if isinstance(exc, UnsupportedMediaType) else exc.status
    return JSONResponse({"detail": f"{prefix}: {exc.message}"}, status_code=status)


def bad_tasks(exc: Exception) -> JSONResponse:
    """400 for a ``tasks_json`` that is not a list of tasks."""
    return JSONResponse({"detail": f"{BAD_TASKS}: {describe(exc)}"}, status_code=400)


def too_many_tasks(count: int, most: int) -> JSONResponse:
    """413 for a task list longer than ``analysis.max_tasks``."""
    return JSONResponse(
        {"detail": f"{count} tasks in one request; at most {most} (analysis.max_tasks)"},
        status_code=413,
    )


def too_large(max_mb: float) -> JSONResponse:
    """413 for an upload over ``imaging.max_image_mb``."""
    return JSONResponse(
        {"detail": f"{NOT_PROCESSED}: the file is larger than {max_mb:g} MiB"}, status_code=413
    )


def problem_message(problem: Problem) -> str:
    """Seed 003's ``error_message`` for a task that did not succeed."""
    from argus.pipelines.operations.base import (
        Failed,
        IntegerOutOfRange,
        InternalFailure,
        MissingParameter,
        NoClassifier,
        NoProminentFace,
        NotAnInteger,
        UnsupportedTarget,
        UnsupportedType,
    )

    match problem:
        case UnsupportedType(operation_type):
            return f"Unsupported operation type: '{operation_type}'"
        case UnsupportedTarget(operation_type, target, allowed):
            return f"Unsupported target '{target}' for '{operation_type}'. Allowed: {list(allowed)}"
        case NoProminentFace(operation_id):
            return f"No prominent face found for operation '{operation_id}'."
        case MissingParameter(operation_type, parameter):
            return f"Missing required parameter '{parameter}' for {operation_type}."
        case NotAnInteger(parameter, value):
            return f"Invalid {parameter} '{value}': an integer is required."
        case IntegerOutOfRange(parameter, value, low, high):
            return f"Invalid {parameter} '{value}': an integer from {low} to {high} is required."
        case NoClassifier(collection_id):
            return f"Classifier not found for collection_id {collection_id}."
        case Failed(description):
            return description
        case InternalFailure(description):
            return f"Internal error processing task: {description}"


def render_result(result: OperationResult) -> OperationResultOut:
    return OperationResultOut(
        status=result.status,
        data=result.data,
        cropped_image_bbox=result.cropped_image_bbox,
        cropped_image_base64=result.cropped_image_base64,
        error_message=None if result.problem is None else problem_message(result.problem),
    )


def render_results(image_url: str, results: Mapping[str, OperationResult]) -> AnalysisResponse:
    """The analyse routes' answer."""
    return AnalysisResponse(
        image_url=image_url, results={k: render_result(v) for k, v in results.items()}
    )


def available_operations(operations: Mapping[str, Operation]) -> dict[str, Any]:
    """The body of ``GET /available_operations/``."""
    return {
        "operations": {
            name: {
                "description": op.description,
                "allowed_targets": list(op.allowed_targets),
                "default_target": op.default_target,
            }
            for name, op in operations.items()
        }
    }
