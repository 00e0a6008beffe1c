"""Shapes of Argus's own moderation API (``/api/v1/moderation/detect``).

Seed 001's routes answer plain JSON lists exactly as that service did; those are rendered by
:mod:`argus.api.seeds.moderation`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class BodyPart(BaseModel):
    """One NudeNet detection."""

    label: str = Field(description="One of NudeNet's 18 labels, e.g. FEMALE_BREAST_EXPOSED.")
    score: float = Field(description="Detector confidence in [0, 1].")
    box: list[float] = Field(description="x1, y1, x2, y2 in pixels of the uploaded image.")
    exposed: bool = Field(description="One of the explicit labels that count towards nsfw.")


class ExposureOut(BaseModel):
    """What NudeNet sees in one image, and the built-in classifier's verdict."""

    model: str = Field(description="The model that answered.")
    width: int
    height: int
    label: str = Field(description='"nsfw" when nsfw_score >= 0.5, else "normal".')
    nsfw_score: float = Field(
        description="The built-in classifier's nsfw score (see the README for the rule)."
    )
    threshold: float = Field(description="Exposed-part score at which the verdict turns nsfw.")
    detections: list[BodyPart]
