"""Anonymization: find licence plates and/or faces in an image and hide them.

``targets`` chooses what is hidden: ``plates`` (the default, as seed 002), ``faces`` or ``both``.
Plates come from :func:`argus.models.plates.detect_plates` (the built-in detector or the user's
YOLO model, oriented boxes included); faces from the face detector of ``anonymize.face_model``
(CenterFace by default: small, turned and blurred faces too), each box grown by
``anonymize.face_expand``. Every region is hidden with ``mode``: by default plates get the
cover image (seed 002) and faces a blur; ``cover``, ``blur``, ``pixelate`` or ``solid`` apply
to both. The result has the input's size and is encoded as WebP (seed 002, quality
``anonymize.webp_quality``), PNG or JPEG; the detections (with ``polygon`` corners) come back
with it. No HTTP and no SQL here: the job
handler, the CLI and the bench all call :func:`anonymize`.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from argus.arrays import RGB
from argus.config import Settings
from argus.errors import ModelNotInstalled
from argus.models.plates import detect_plates
from argus.models.pool import ModelPool
from argus.models.tasks import Detector
from argus.redact import Mode, box_quads, load_cover, redact
from argus.timing import span
from argus.vision.boxes import clip, expand
from argus.vision.detections import Detections

Targets = Literal["plates", "faces", "both"]
Format = Literal["webp", "png", "jpeg"]
EXTENSIONS: dict[str, str] = {"webp": ".webp", "png": ".png", "jpeg": ".jpg"}
DEFAULT_MODES: dict[str, Mode] = {"plate": "cover", "face": "blur"}
DEFAULT_FACE_MODEL = "centerface"
FALLBACK_FACE_MODEL = "dlib-hog-face"
log = logging.getLogger(__name__)


class AnonymizeOptions(BaseModel):
    """What to hide and how (the options of an ``anonymize`` job)."""

    model_config = ConfigDict(extra="forbid")

    targets: Targets = Field("plates", description="plates, faces or both.")
    mode: Mode | None = Field(
        None, description="cover, blur, pixelate or solid; default cover plates, blur faces."
    )
    strength: float = Field(
        1.0, gt=0, le=10, description="Scales blur radius and pixel-block size."
    )
    format: Format = Field("webp", description="Encoding of the result images.")
    seed_callbacks: bool = Field(
        False,
        description="Send seed 002's BACKEND_CALLBACK_URL / BACKEND_UPLOAD_URL notifications "
        "when the job completes (set by /api/v1/process-task/).",
    )


@dataclass(frozen=True)
class Anonymized:
    """One anonymized image: its pixels (same size as the input) and what was hidden."""

    image: RGB
    detections: Detections


def face_model(pool: ModelPool, settings: Settings) -> str:
    """``anonymize.face_model``; dlib HOG when that is CenterFace and it is not converted yet
    (``make models`` not run). Any other missing model is :class:`ModelNotInstalled`."""
    name = settings.anonymize.face_model
    try:
        pool.model(name)
    except ModelNotInstalled:
        if name != DEFAULT_FACE_MODEL:
            raise
        log.warning("%s is not installed: faces from %s", name, FALLBACK_FACE_MODEL)
        return FALLBACK_FACE_MODEL
    return name


def find_faces(pool: ModelPool, settings: Settings, image: RGB) -> Detections:
    name = face_model(pool, settings)
    found = pool.get(name, Detector).predict_one(image)
    h, w = image.shape[:2]
    grown = clip(expand(found.xyxy, (settings.anonymize.face_expand - 1) / 2), (w, h))
    polygons = [[[float(x), float(y)] for x, y in quad] for quad in box_quads(grown)]
    return Detections.from_arrays(
        grown,
        found.scores,
        ["face"] * len(found),
        data={"polygon": polygons, "source": [name] * len(found)},
    )


def find_targets(pool: ModelPool, settings: Settings, image: RGB, targets: Targets) -> Detections:
    """Plates and/or faces, each with ``data["polygon"]`` (4 corners) and ``data["source"]``."""
    parts: list[Detections] = []
    if targets in ("plates", "both"):
        parts.append(detect_plates(pool, settings.anonymize, image))
    if targets in ("faces", "both"):
        parts.append(find_faces(pool, settings, image))
    return Detections.concat(parts)


def anonymize(
    pool: ModelPool, settings: Settings, image: RGB, options: AnonymizeOptions
) -> Anonymized:
    """``image`` (RGB uint8) with the chosen targets hidden."""
    found = find_targets(pool, settings, image, options.targets)
    out = image
    with span("redact"):
        for label in ("plate", "face"):
            rows = [i for i, lab in enumerate(found.labels) if lab == label]
            if not rows:
                continue
            quads = np.asarray([found.data["polygon"][i] for i in rows], np.float32)
            mode = options.mode or DEFAULT_MODES[label]
            cover = load_cover(settings.anonymize.cover_image_path) if mode == "cover" else None
            out = redact(out, quads, mode, strength=options.strength, cover=cover)
    if out is image:
        out = np.array(image, dtype=np.uint8, copy=True)
    return Anonymized(image=out, detections=found)


def encode_result(image: RGB, fmt: Format, quality: int) -> bytes:
    """The result image as WebP (seed 002's format), PNG or JPEG bytes."""
    buf = io.BytesIO()
    pil = Image.fromarray(image)
    if fmt == "webp":
        pil.save(buf, format="WEBP", quality=quality)
    elif fmt == "jpeg":
        pil.save(buf, format="JPEG", quality=quality)
    else:
        pil.save(buf, format="PNG")
    return buf.getvalue()


def result_name(input_name: str, fmt: Format) -> str:
    """``covered_<stem>.<ext>`` (seed 002's naming; ``photo.jpg`` -> ``covered_photo.webp``)."""
    stem = PurePath(input_name).stem or "image"
    return f"covered_{stem}{EXTENSIONS[fmt]}"
