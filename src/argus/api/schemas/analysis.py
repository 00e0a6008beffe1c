"""Shapes of the collections API (seed 003's ``/analyze_image/`` shapes are in
:mod:`argus.api.seeds.analysis`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


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
