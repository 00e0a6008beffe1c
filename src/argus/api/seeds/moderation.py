"""Seed 001 (NSFW moderation) at the edge: its item shapes, its messages, its renderers.

Seed 001 answered plain JSON lists, built here from the pipeline's typed answers
(:class:`~argus.pipelines.moderation.Labels`, :class:`~argus.pipelines.moderation.Finding`):
``/api/image-classification`` gives ``[{"label", "score"}]`` (a list of those per frame for an
animated GIF), the query routes ``[{"<model>": [{"label", "score"}]}]`` (``{"frame", "label",
"score"}`` for frames), and the multi-file routes wrap each file's answer in ``{"<index>": ...}``.
Errors are FastAPI's ``{"detail": message}``, with the seed's own message for an upload that is
no image, and a file that is no video is answered 200 ``{"error": "file is not a video"}``
(:func:`not_a_video`). The item shapes are here for the OpenAPI page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from argus.api.seeds.routing import detail_body
from argus.errors import ArgusError, NotAnImage, NotAVideo

if TYPE_CHECKING:
    from argus.pipelines.moderation import Finding, Labels, LabelScore, Match


UNAUTHORIZED = "Invalid or missing API Key!"
NOT_AN_IMAGE = "The uploaded file is not a valid image."
NOT_A_VIDEO = "file is not a video"  # answered with 200 as {"error": ...}, as the seed did
DETAIL_HEADER = "X-Argus-Detail"


class LabelScoreOut(BaseModel):
    """One label of seed 001's answers."""

    label: str
    score: float


class FrameLabelScoreOut(BaseModel):
    """A label found in a frame (GIF frames from 0, video frames from 1)."""

    frame: int
    label: str
    score: float


def label_scores(labels: Sequence[LabelScore]) -> list[dict[str, Any]]:
    """``[{"label", "score"}]``."""
    return [{"label": item.label, "score": item.score} for item in labels]


def render_labels(labels: Labels) -> list[Any]:
    """``/api/image-classification``'s answer: one list, or one list per frame of a GIF."""
    if labels.animated:
        return [label_scores(frame) for frame in labels.frames]
    return label_scores(labels.frames[0])


def render_match(match: Match) -> dict[str, Any]:
    if match.frame is None:
        return {"label": match.label, "score": match.score}
    return {"frame": match.frame, "label": match.label, "score": match.score}


def render_findings(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """The query routes' answer: ``[{"<model>": [matches]}]``, one dict per model, in order."""
    return [{f.model: [render_match(m) for m in f.matches]} for f in findings]


def by_index(answers: Sequence[Any]) -> list[dict[str, Any]]:
    """The multi-file routes' answer: ``[{"<index>": answer}]`` in upload order."""
    return [{str(index): answer} for index, answer in enumerate(answers)]


def render_error(exc: ArgusError) -> Response:
    """Seed 001's error body: ``{"detail": message}``, its own text for a non-image."""
    if isinstance(exc, NotAnImage):
        return JSONResponse({"detail": NOT_AN_IMAGE}, status_code=exc.status)
    return detail_body(exc)


def not_a_video(exc: NotAVideo) -> JSONResponse:
    """Seed 001's 200 answer for a non-video (its clients test for it); the reason in a header."""
    reason = f"{NOT_A_VIDEO} ({exc.reason})".encode("ascii", "replace").decode()
    return JSONResponse({"error": NOT_A_VIDEO}, headers={DETAIL_HEADER: reason})
