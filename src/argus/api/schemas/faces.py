"""Schemas of seed 004's face routes and of Argus's face galleries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

MAX_FEATURE_DIM = 65536


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


class GalleryIn(BaseModel):
    name: str = Field(..., description="Unique per tenant: letters, digits, _ . -")
    threshold: float | None = Field(
        None, ge=-1.0, le=1.0, description="Same-person threshold; default the model's."
    )
    model: str | None = Field(None, description="Face model; default faces.model.")


class GalleryPatch(BaseModel):
    threshold: float | None = Field(
        None, ge=-1.0, le=1.0, description="New threshold; null returns to the default."
    )


class GalleryOut(BaseModel):
    name: str
    model: str
    feature_dim: int
    threshold: float = Field(description="The threshold in force.")
    threshold_is_default: bool
    subjects: int | None = None
    faces: int | None = None
    created_at: datetime


class GalleryList(BaseModel):
    galleries: list[GalleryOut]


class FaceOut(BaseModel):
    id: int
    image_name: str | None
    image_sha256: str
    box: list[float]
    created_at: datetime


class SubjectOut(BaseModel):
    name: str
    faces: int
    created_at: datetime


class SubjectDetail(SubjectOut):
    face_list: list[FaceOut]


class SubjectList(BaseModel):
    subjects: list[SubjectOut]


class Rejected(BaseModel):
    image: str
    message: str
    failed_checks: list[str]


class EnrolOut(BaseModel):
    subject: str
    added: list[FaceOut]
    rejected: list[Rejected]


class MatchOut(BaseModel):
    subject: str
    similarity: float
    face_id: int


class IdentifyOut(BaseModel):
    subject: str = Field(description="The best subject, or 'unknown' below the threshold.")
    identified: bool
    similarity: float | None = Field(description="Best similarity (null: empty gallery).")
    threshold: float
    matches: list[MatchOut] = Field(description="Top subjects, best face each, best first.")
    model: str
    face: dict[str, Any]


class VerifyOut(BaseModel):
    subject: str
    similarity: float
    is_same_person: bool
    threshold: float
    model: str
    face: dict[str, Any]
