"""The ``moderate-video`` job kind: seed 001's video search run in the background, an adapter
from the jobs protocol to :class:`argus.pipelines.moderation.Moderator`.

Each item of a job is one video; its output is exactly what ``/api/video-classification``
answers (``[{"<model>": [{"frame", "label", "score"}]}]``), and the job's progress is its items
done over its items. Submit one with ``POST /api/v1/jobs`` (``kind=moderate-video``, the videos
as ``files``, options as JSON: ``model_names``, ``labels``, ``score``,
``return_on_first_matching_label``, ``fast_mode``, ``skip_frames_percentage``, ``cascade``), or
let ``/api/video-classification`` answer 202 with one for videos at least
``moderation.job_min_duration_s`` long. The handler copies the stored bytes to a temporary file
(OpenCV reads files) and removes it afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from argus.api.seeds.moderation import render_findings
from argus.jobs.registry import ItemContext, JobInput, JobKind, parse_options
from argus.models.pool import ModelPool
from argus.pipelines.moderation import Moderator, Query

KIND = "moderate-video"


class VideoOptions(BaseModel):
    """The options of a ``moderate-video`` job (seed 001's query parameters)."""

    model_config = ConfigDict(extra="forbid")

    model_names: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=lambda: ["nsfw"])
    score: float | None = None
    return_on_first_matching_label: bool = False
    fast_mode: bool = False
    skip_frames_percentage: float = Field(5, ge=0, le=100)
    cascade: bool | None = None

    def query(self, default_score: float) -> Query:
        return Query(
            labels=tuple(self.labels),
            score=default_score if self.score is None else self.score,
            first_only=self.return_on_first_matching_label,
            fast_mode=self.fast_mode,
            skip_frames_percentage=self.skip_frames_percentage,
        )


def validate(options: Mapping[str, Any], pool: ModelPool) -> dict[str, Any]:
    """Parsed options with the default model filled in; every model must be able to answer."""
    parsed = parse_options(VideoOptions, options)
    assert isinstance(parsed, VideoOptions)
    if not parsed.model_names:
        parsed.model_names = [pool.settings.moderation.default_model]
    moderator = Moderator(pool, pool.settings)
    for name in parsed.model_names:
        moderator.resolve(name)  # ModelNotInstalled (409) / ValidationFailed (422) up front
    return parsed.model_dump()


def handle(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> Any:
    """Seed 001's video answer for one stored video."""
    parsed = VideoOptions.model_validate(dict(options))
    mod = ctx.settings.moderation
    cascade = mod.cascade if parsed.cascade is None else parsed.cascade
    folder = ctx.settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="job-video-", suffix=".upload", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(item.data)
        moderator = Moderator(ctx.pool, ctx.settings, cascade)
        names = parsed.model_names or [mod.default_model]
        found = moderator.query_video(name, names, parsed.query(mod.default_score))
        return render_findings(found)  # the item's output is seed 001's answer
    finally:
        Path(name).unlink(missing_ok=True)


def job_kind() -> JobKind:
    return JobKind(
        name=KIND,
        description="Seed 001's video search (/api/video-classification) for each video.",
        handler=handle,
        validate=validate,
    )
