"""Seed 003's operations: bounding boxes, CLIP, DINOv2 and AuraFace embeddings, collection
classifiers, captions.

``detect_bounding_box`` answers ``[xmin, ymin, xmax, ymax]`` integers or null (still a success).
The embeddings come from pulled ONNX models (``argus models pull clip-vit-b-32`` /
``dinov2-base``); ``classify`` embeds the task's target with the embedding the collection was
trained on and runs its best classifier. ``describe_image`` writes one caption of the target
(``max_length`` tokens at most, default ``analysis.caption_max_length``) with the pulled
captioner, else a configured LLM provider, else it is an ``error`` naming the pull command
(see :mod:`argus.pipelines.captions`). ``embed_auraface`` (seed 003 HEAD) embeds the prominent
face, aligned on dlib's 5 landmarks, with the pulled ``auraface-v1`` (512 unit-length floats).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from argus.models.tasks import FaceEmbedder, FaceLandmarker, ImageEmbedder
from argus.pipelines import captions
from argus.pipelines.operations import regions
from argus.pipelines.operations.base import (
    ALL_TARGETS,
    PROMINENT_FACE,
    PROMINENT_PERSON,
    WHOLE_IMAGE,
    IntegerOutOfRange,
    MissingParameter,
    NoClassifier,
    NotAnInteger,
    Operation,
    OperationResult,
    Skipped,
    TaskSpec,
)
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.pipelines.analysis import AnalysisRun as Run

#: Embedding names a collection may be trained on -> the setting naming the model.
EMBEDDINGS = ("clip", "dino_v2")


def embedding_model(run: Run, embedding: str) -> str:
    if embedding == "dino_v2":
        return run.settings.analysis.dino_model
    return run.settings.analysis.clip_model


async def detect_bounding_box(run: Run, task: TaskSpec, target: str) -> OperationResult:
    if target == PROMINENT_FACE:
        box = await run.face(str(task.params.get("face_context") or PROMINENT_PERSON))
    else:
        box = await run.person()
    data = None if box is None else regions.int_box(box, run.size)
    return OperationResult("success", data)


def _embedder(embedding: str) -> Any:
    async def embed(run: Run, task: TaskSpec, target: str) -> OperationResult:
        region = await run.region(target, task)
        vector = await run.predict(embedding_model(run, embedding), ImageEmbedder, region.pixels)
        return region.result([float(v) for v in vector])

    return embed


async def classify(run: Run, task: TaskSpec, target: str) -> OperationResult:
    raw = task.params.get("collection_id")
    if raw is None:
        raise Skipped(MissingParameter(task.type, "collection_id"))
    try:
        collection_id = int(raw)
    except (TypeError, ValueError) as exc:
        raise Skipped(NotAnInteger("collection_id", raw)) from exc
    classifier = run.collections.best(run.tenant, collection_id)
    if classifier is None:
        raise Skipped(NoClassifier(collection_id))
    region = await run.region(target, task)
    vector = await run.predict(
        embedding_model(run, classifier.embedding), ImageEmbedder, region.pixels
    )
    is_in, probability = classifier.predict(vector)
    return region.result({"is_in_collection": is_in, "probability": probability})


def max_length(run: Run, task: TaskSpec) -> int:
    """The task's ``max_length`` (tokens), within 1..``caption_max_length_limit``."""
    raw = task.params.get("max_length")
    if raw is None:
        return run.settings.analysis.caption_max_length
    limit = run.settings.analysis.caption_max_length_limit
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Skipped(NotAnInteger("max_length", raw)) from exc
    fractional = isinstance(raw, float) and raw != value
    if isinstance(raw, bool) or fractional or not 1 <= value <= limit:
        raise Skipped(IntegerOutOfRange("max_length", raw, 1, limit))
    return value


async def describe_image(run: Run, task: TaskSpec, target: str) -> OperationResult:
    length = max_length(run, task)
    region = await run.region(target, task)
    caption = await captions.describe(
        run.settings,
        run.pool,
        region.pixels,
        length,
        run.model_lock(run.settings.analysis.caption_model),
    )
    return region.result(caption.text)


async def embed_auraface(run: Run, task: TaskSpec, target: str) -> OperationResult:
    """Seed 003 HEAD's AuraFace embedding of the prominent face: 512 unit-length floats."""
    region = await run.region(PROMINENT_FACE, task)
    assert region.bbox is not None  # region() skips when there is no face
    box = Detections.from_arrays([region.bbox], [1.0], ["face"])
    marked = await run.predict("dlib-landmarks-5", FaceLandmarker, (run.picture.pixels, box))
    vectors = await run.predict(
        run.settings.analysis.auraface_model, FaceEmbedder, (run.picture.pixels, marked)
    )
    return region.result([float(v) for v in np.asarray(vectors)[0]])


OPERATIONS = (
    Operation(
        "detect_bounding_box",
        "Detects a bounding box for a specified target.",
        (PROMINENT_PERSON, PROMINENT_FACE),
        PROMINENT_PERSON,
        detect_bounding_box,
    ),
    Operation(
        "embed_clip_vit_b_32",
        "Generates an embedding using the CLIP ViT-B/32 model.",
        ALL_TARGETS,
        WHOLE_IMAGE,
        _embedder("clip"),
    ),
    Operation(
        "embed_dino_v2",
        "Generates a visual embedding using the DINOv2 model (768-d).",
        ALL_TARGETS,
        WHOLE_IMAGE,
        _embedder("dino_v2"),
    ),
    Operation(
        "classify",
        "Determines if an image region belongs to a specific collection using a binary classifier.",
        ALL_TARGETS,
        WHOLE_IMAGE,
        classify,
    ),
    Operation(
        "describe_image",
        "Generates a text description of an image region using a captioning model.",
        ALL_TARGETS,
        WHOLE_IMAGE,
        describe_image,
    ),
    Operation(
        "embed_auraface",
        "Generates a 512-d L2-normalised AuraFace embedding of the prominent face.",
        (PROMINENT_FACE,),
        PROMINENT_FACE,
        embed_auraface,
    ),
)
