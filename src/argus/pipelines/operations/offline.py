"""Operations answered by the offline package built-ins: age and gender, and an image embedding.

``estimate_age_gender`` runs face-api's age/gender network (``faceapi-age-gender``) on the
request's face crops (CenterFace by default, ``analysis.face_model``): the prominent face, or
every face of the image (``whole_image``), each with its box. ``embed_image`` is
EfficientNet-Lite0's 1280-d pooled feature of the target (not L2-normalised): a generic offline
image descriptor for similarity between images embedded the same way. It lives in its own space:
it is never comparable with CLIP or DINOv2 vectors, so it is not one of the embeddings a
collection classifier may be trained on and is never stored in their indexes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import numpy as np

from argus.arrays import rounded
from argus.models.efficientnet_lite import EfficientNetLite
from argus.models.tasks import FaceAttributes
from argus.pipelines.operations import regions
from argus.pipelines.operations.base import (
    ALL_TARGETS,
    PROMINENT_FACE,
    WHOLE_IMAGE,
    Operation,
    OperationResult,
    TaskSpec,
)

if TYPE_CHECKING:
    from argus.pipelines.analysis import AnalysisRun as Run

AGE_GENDER_MODEL = "faceapi-age-gender"
IMAGE_EMBEDDING_MODEL = "efficientnet-lite0"


async def estimate_age_gender(run: Run, task: TaskSpec, target: str) -> OperationResult:
    if target == PROMINENT_FACE:
        region = await run.region(PROMINENT_FACE, task)
        estimate = await run.predict(AGE_GENDER_MODEL, FaceAttributes, region.pixels)
        return region.result(estimate.to_dict())
    rows = []
    for face in await run.faces():
        x1, y1, x2, y2 = regions.int_box(np.asarray(face.box, np.float32), run.size)
        estimate = await run.predict(
            AGE_GENDER_MODEL, FaceAttributes, run.picture.pixels[y1:y2, x1:x2]
        )
        rows.append({"box": [x1, y1, x2, y2], "score": round(face.score, 4), **estimate.to_dict()})
    return OperationResult("success", rows)


async def embed_image(run: Run, task: TaskSpec, target: str) -> OperationResult:
    region = await run.region(target, task)
    async with run.model_lock(IMAGE_EMBEDDING_MODEL):
        (vector,) = await asyncio.to_thread(
            lambda: run.pool.get(IMAGE_EMBEDDING_MODEL, EfficientNetLite).features([region.pixels])
        )
    return region.result(rounded(vector, 6))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "estimate_age_gender",
        "Age in years and gender (face-api, offline) of the prominent face, or of every face "
        "(whole_image) with its box.",
        (PROMINENT_FACE, WHOLE_IMAGE),
        PROMINENT_FACE,
        estimate_age_gender,
    ),
    Operation(
        "embed_image",
        "1280-d EfficientNet-Lite0 image feature (offline; its own space, never comparable "
        "with CLIP or DINOv2 vectors).",
        ALL_TARGETS,
        WHOLE_IMAGE,
        embed_image,
    ),
)
