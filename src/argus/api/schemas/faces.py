"""Schemas of Argus's face galleries (seed 004's own shapes are in :mod:`argus.api.seeds.faces`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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
