"""Seed 004's face routes: ``/api/extract_feature``, ``/api/compare_features``,
``/api/compare_image_feature``; :data:`router` also carries the galleries.

Bodies, messages and error bodies are the seed's, rendered by :mod:`argus.api.seeds.faces`
(``success``, ``message``, ``feature``, ... plus Argus extras the seed's clients ignore).
Features are in the seed's space (:mod:`argus.pipelines.seed_features`: 1024 values, centred on
the model's population mean, so that the seed's 0.7 is a useful decision) and ``threshold`` is
``faces.seed_threshold`` (0.7). No qualified face is a 200 with ``success: false``; an
unreadable file (not an image at all included) or a feature dimension mismatch is a 400 and any
other error its own status, always as ``{"success": false, "message"}``.
The face pipeline and the galleries (their search indexes built from the database at start)
come from the composition root, :mod:`argus.compose.services`.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from argus.api import jsonform
from argus.api.auth import principal
from argus.api.deps import AppSettings, Faces
from argus.api.routes import galleries as galleries_routes
from argus.api.routes.galleries import read_picture
from argus.api.seeds import faces as seed004
from argus.api.seeds.faces import CompareFeaturesIn, CompareOut, ExtractFeatureOut
from argus.api.seeds.routing import seed_route_class
from argus.errors import InvalidInput, NoQualifiedFace

if TYPE_CHECKING:
    from argus.pipelines.faces import FaceFeature


async def _start_clock() -> None:
    await seed004.start_clock()


seed = APIRouter(
    route_class=seed_route_class(seed004.render_error, seed004.render_validation),
    tags=["faces (seed 004)"],
    dependencies=[Depends(_start_clock), Depends(principal)],
)
_SEED_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unreadable image, bad feature or feature dimension mismatch"},
    409: {"description": "The face model is not installed (names `argus models pull`)"},
    413: {"description": "The image is over the size or pixel limit"},
    415: {"description": "Not an image format Argus reads"},
    422: {"description": "Malformed request"},
}


@seed.post(
    "/api/extract_feature",
    response_model=ExtractFeatureOut,
    response_model_exclude_none=True,
    summary="The feature of the largest face, after quality checks",
    responses=_SEED_ERRORS,
)
async def extract_feature(
    settings: AppSettings,
    faces: Faces,
    image: Annotated[UploadFile, File(description="Face image (jpg, png, ...)")],
) -> dict[str, Any]:
    picture = await read_picture(image, settings)
    try:
        feature = await asyncio.to_thread(faces.extract, picture.pixels)
    except NoQualifiedFace as exc:
        return seed004.no_face(exc, settings.faces.model)
    quality = feature.quality
    return seed004.extracted(
        _seed_vector(feature),
        passed=quality.passed,
        failures=quality.describe_failures(),
        model=feature.model,
        failed_checks=quality.failed,
        face=feature.summary(),
    )


@seed.post(
    "/api/compare_features",
    response_model=CompareOut,
    response_model_exclude_none=True,
    summary="Cosine similarity of two features and the same-person decision",
    responses=_SEED_ERRORS,
)
async def compare_features(body: CompareFeaturesIn, settings: AppSettings) -> dict[str, Any]:
    from argus.pipelines.faces import cosine_similarity

    similarity = cosine_similarity(body.feature1, body.feature2)
    threshold = body.threshold if body.threshold is not None else settings.faces.seed_threshold
    return seed004.compared(similarity, threshold)


def _seed_vector(feature: FaceFeature) -> list[float]:
    """The feature as seed 004's clients get it: centred and in 1024 dimensions."""
    from argus.pipelines.seed_features import seed_feature

    return [float(v) for v in seed_feature(feature.vector, feature.model)]


def _feature_form(raw: str) -> list[float]:
    from argus.pipelines.faces import as_feature

    try:
        value = jsonform.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"feature: not a JSON list of numbers ({exc.msg})") from None
    as_feature(value, "feature")
    return [float(v) for v in value]


@seed.post(
    "/api/compare_image_feature",
    response_model=CompareOut,
    response_model_exclude_none=True,
    summary="Compare the largest face of an image with a known feature",
    responses=_SEED_ERRORS,
)
async def compare_image_feature(
    settings: AppSettings,
    faces: Faces,
    image: Annotated[UploadFile, File(description="Face image")],
    feature: Annotated[str, Form(description="The known feature as a JSON list")],
) -> dict[str, Any]:
    from argus.pipelines.faces import cosine_similarity

    known = _feature_form(feature)
    picture = await read_picture(image, settings)
    try:
        found = await asyncio.to_thread(faces.extract, picture.pixels)
    except NoQualifiedFace as exc:
        return seed004.no_face(exc, settings.faces.model)
    similarity = cosine_similarity(_seed_vector(found), known)
    return {
        **seed004.compared(similarity, settings.faces.seed_threshold),
        "model": found.model,
    }


router = APIRouter()
router.include_router(seed)
router.include_router(galleries_routes.router)
