"""Seed 003's request and response shapes (``/analyze_image/`` and friends) and the collections
API's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl


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


class TrainingSample(BaseModel):
    embedding: list[float]
    label: bool | int | str = Field(..., description="In the collection or not (true/false).")


class TrainRequest(BaseModel):
    embedding: Literal["clip", "dino_v2"] = Field(
        "clip", description="Which embedding the samples are (classify computes the same one)."
    )
    samples: list[TrainingSample] = Field(..., description="Seed 003's training data shape.")


class CollectionVersion(BaseModel):
    version: str
    trained_at: str
    samples: int
    macro_precision: float | None = None


class CollectionInfo(BaseModel):
    collection_id: int
    embedding: str
    dimensionality: int
    best: str
    test_samples: int
    versions: list[CollectionVersion]


class CollectionList(BaseModel):
    collections: list[CollectionInfo]


class TrainResponse(BaseModel):
    collection_id: int
    version: str
    best_version: str
    embedding: str
    dimensionality: int
    samples: int
    test_samples: int
    scores: dict[str, float] = Field(..., description="Macro precision per kept version.")
