"""The ``detect`` job kind: boxes from a detection model for each stored image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from argus.errors import ModelLoadFailed, ValidationFailed
from argus.imaging.decode import decode
from argus.jobs.registry import ItemContext, JobInput, JobKind, parse_options
from argus.models.pool import ModelPool
from argus.models.tasks import Detector
from argus.vision.detections import Detections

KIND = "detect"

DETECTION_TASKS = ("face-detection", "object-detection", "nsfw-detection")


class DetectOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = "dlib-hog-face"


def validate_detect(options: Mapping[str, Any], pool: ModelPool) -> dict[str, Any]:
    parsed = parse_options(DetectOptions, options)
    assert isinstance(parsed, DetectOptions)
    spec = pool.catalog.get(parsed.model)  # UnknownModel (404)
    if spec.task not in DETECTION_TASKS:
        raise ValidationFailed(
            f"model {spec.name!r} is a {spec.task} model; detect needs one of: "
            + ", ".join(DETECTION_TASKS)
        )
    pool.model(spec.name)  # ModelNotInstalled (409) names the install command
    return parsed.model_dump()


def detect(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> dict[str, Any]:
    """Boxes found by a detector in one stored image, in the image's original pixels."""
    name = str(options.get("model", DetectOptions().model))
    picture = decode(item.data, ctx.settings.imaging)  # 400/413/415 fail this item only
    model = ctx.pool.get(name, Detector)  # 400 if not a detector
    found = model.predict_one(picture.pixels)
    if not isinstance(found, Detections):
        raise ModelLoadFailed(f"model {name!r} does not return detections")
    return {
        "model": name,
        "width": picture.width,
        "height": picture.height,
        "detections": found.to_list(),
    }


def job_kind() -> JobKind:
    return JobKind(
        name=KIND,
        description="Boxes from a detection model (default dlib-hog-face) for each image.",
        handler=detect,
        validate=validate_detect,
    )
