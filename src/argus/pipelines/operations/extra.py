"""Argus's own capabilities as operations: all faces with landmarks, a face embedding, OCR,
NSFW detections, licence plates, and the photo category when that pipeline is present.

Boxes are image pixels ``[x1, y1, x2, y2]`` (floats, two decimals) even when the operation ran on
a crop (``prominent_person``): they are moved back into the image's coordinates.
"""

from __future__ import annotations

import asyncio
import importlib.util
from typing import TYPE_CHECKING, Any

import numpy as np

from argus.models.nudenet import EXPOSED_LABELS
from argus.models.tasks import Detector, FaceEmbedder, FaceLandmarker
from argus.pipelines.operations import regions
from argus.pipelines.operations.base import (
    PROMINENT_FACE,
    PROMINENT_PERSON,
    WHOLE_IMAGE,
    Operation,
    OperationResult,
    TaskSpec,
)
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.pipelines.analysis import AnalysisRun as Run

#: NudeNet scores below this are not called explicit (its saucer false positive on coffee: 0.30).
EXPLICIT_SCORE = 0.5


def _rows(dets: Detections, **extra: Any) -> list[dict[str, Any]]:
    rows = []
    for i, det in enumerate(dets):
        row: dict[str, Any] = {
            "box": [round(v, 2) for v in det.box],
            "score": round(det.score, 4),
            "label": det.label,
        }
        if det.landmarks is not None:
            row["landmarks"] = [[round(x, 2), round(y, 2)] for x, y in det.landmarks]
        for key, values in extra.items():
            row[key] = values[i]
        rows.append(row)
    return rows


async def _in_target(run: Run, target: str, dets: Detections) -> Detections:
    if target != PROMINENT_PERSON:
        return dets
    person = await run.person()
    return dets if person is None else regions.faces_inside(dets, person)


async def detect_faces(run: Run, task: TaskSpec, target: str) -> OperationResult:
    faces = await _in_target(run, target, await run.faces())
    marked: Detections = await run.predict(
        "dlib-landmarks-5", FaceLandmarker, (run.picture.pixels, faces)
    )
    return OperationResult("success", _rows(marked))


async def embed_face(run: Run, task: TaskSpec, target: str) -> OperationResult:
    region = await run.region(PROMINENT_FACE, task)
    assert region.bbox is not None  # region() skips when there is no face
    box = Detections.from_arrays([region.bbox], [1.0], ["face"])
    vectors = await run.predict("dlib-resnet-face", FaceEmbedder, (run.picture.pixels, box))
    return region.result([float(v) for v in np.asarray(vectors)[0]])


async def _on_region(run: Run, task: TaskSpec, target: str, model: str) -> Detections:
    region = await run.region(target, task)
    dets: Detections = await run.predict(model, Detector, region.pixels)
    if region.bbox is None:
        return dets
    return regions.offset(dets, region.bbox[0], region.bbox[1])


async def ocr(run: Run, task: TaskSpec, target: str) -> OperationResult:
    dets = await _on_region(run, task, target, "ppocr-v4")
    texts = list(dets.data.get("text", [""] * len(dets)))
    lines = [
        {"text": str(t), "box": [round(float(v), 2) for v in b], "score": round(float(s), 4)}
        for t, b, s in zip(texts, dets.xyxy, dets.scores, strict=True)
    ]
    return OperationResult("success", {"text": "\n".join(str(t) for t in texts), "lines": lines})


async def detect_nsfw(run: Run, task: TaskSpec, target: str) -> OperationResult:
    dets = await _on_region(run, task, target, "nudenet-320n")
    explicit = any(
        label in EXPOSED_LABELS and score >= EXPLICIT_SCORE
        for label, score in zip(dets.labels, dets.scores, strict=True)
    )
    return OperationResult("success", {"explicit": explicit, "detections": _rows(dets)})


async def detect_plates(run: Run, task: TaskSpec, target: str) -> OperationResult:
    dets = await _on_region(run, task, target, "haar-plate-ru")
    return OperationResult("success", _rows(dets))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "detect_faces",
        "Every face (CenterFace; dlib HOG without it) with dlib's 5 landmarks, in image pixels.",
        (WHOLE_IMAGE, PROMINENT_PERSON),
        WHOLE_IMAGE,
        detect_faces,
    ),
    Operation(
        "embed_face",
        "128-d dlib face embedding of the prominent face (same person below distance 0.6).",
        (PROMINENT_FACE,),
        PROMINENT_FACE,
        embed_face,
    ),
    Operation(
        "ocr",
        "Text lines read by PP-OCRv4 (Chinese and Latin), with their boxes.",
        (WHOLE_IMAGE, PROMINENT_PERSON),
        WHOLE_IMAGE,
        ocr,
    ),
    Operation(
        "detect_nsfw",
        "NudeNet body-part detections and whether any exposed part scores >= 0.5.",
        (WHOLE_IMAGE, PROMINENT_PERSON),
        WHOLE_IMAGE,
        detect_nsfw,
    ),
    Operation(
        "detect_plates",
        "Licence plates (Haar cascade, Russian-format plates; weak on others).",
        (WHOLE_IMAGE,),
        WHOLE_IMAGE,
        detect_plates,
    ),
)


def photo_category_available() -> bool:
    """Whether the photo-category pipeline (another Argus capability) is installed."""
    return importlib.util.find_spec("argus.pipelines.photo_category") is not None


async def photo_category(run: Run, task: TaskSpec, target: str) -> OperationResult:
    """Seed 000's category from the offline engine (no LLM, no cache: that is /api/v1/classify)."""
    from argus.pipelines.local_category import classify_local
    from argus.pipelines.local_evidence import CLASSIFIER, DETECTOR, FACES

    async with (
        run.model_lock(DETECTOR),
        run.model_lock(FACES),
        run.model_lock(CLASSIFIER),
        run.model_lock("ppocr-v4"),
    ):
        found = await asyncio.to_thread(classify_local, run.picture, run.pool)
    return OperationResult(
        "success",
        {
            "category": found.category,
            "confidence": round(float(found.confidence), 4),
            "description": found.description,
            "engine": "local",
        },
    )


PHOTO_CATEGORY = Operation(
    "classify_photo_category",
    "Seed 000's photo category (8 classes) from the offline engine: COCO objects, faces, "
    "ImageNet classes, OCR, layout cues.",
    (WHOLE_IMAGE,),
    WHOLE_IMAGE,
    photo_category,
)
