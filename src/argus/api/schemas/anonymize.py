"""Shapes of Argus's own anonymization API (seed 002's are in :mod:`argus.api.seeds.anonymize`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from argus.api.schemas.jobs import Progress


class FrameProgress(BaseModel):
    done: int = Field(description="Frames written.")
    total: int | None = Field(description="Frames in the video, when its container says.")


class AnonymizedItem(BaseModel):
    """One input of an anonymize job and what became of it."""

    index: int
    name: str = Field(description="The uploaded file's (sanitised) name.")
    status: str = Field(description="pending, running, completed, failed or cancelled.")
    error: str | None = Field(None, description="Why this file failed (unreadable, too big...).")
    filename: str | None = Field(None, description="The result file's name.")
    url: str | None = Field(None, description="Where to download the result.")
    width: int | None = None
    height: int | None = None
    detections: list[dict[str, Any]] = Field(
        default_factory=list,
        description="What was hidden: box, score, label (plate/face), polygon (4 corners), "
        "source (the detector).",
    )
    progress: FrameProgress | None = Field(
        None, description="A video's frames written so far while it runs."
    )
    video: dict[str, Any] | None = Field(
        None,
        description="A video's result: width, height, frames, fps, duration_s, audio (codec), "
        "audio_copied, workers, regions (hidden per frame: hit, filled between hits, held "
        "around them) and tracks (label, track, first_frame, last_frame, hits).",
    )


class AnonymizeJob(BaseModel):
    """An anonymize job with per-file results and detections."""

    job_id: str
    status: str = Field(description="pending, running, completed, failed or cancelled.")
    progress: Progress
    error: str | None = None
    options: dict[str, Any]
    items: list[AnonymizedItem]
