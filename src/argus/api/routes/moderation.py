"""Moderation routes: seed 001's ``/api/*-classification`` and Argus's ``/api/v1/moderation/*``.

Seed 001's five routes keep its paths, form fields, query parameters, JSON shapes and error
bodies (``{"detail": message}``); ``model_name`` and ``model_names`` are both accepted on every
route. Keys: with ``moderation.use_api_keys`` (seed's ``USE_API_KEYS``) or when Argus requires
keys, ``X-API-Key`` must be an Argus key or one of ``moderation.api_keys`` (seed's ``API_KEYS``),
else 401 ``{"detail": "Invalid or missing API Key!"}``; otherwise keys are not needed. Each answer
carries ``X-Argus-Models: <requested>=<answered>[+<second>]`` naming the models that really
answered. Uploads are read with their size limit (413); videos are copied to a temporary file
on disk, never held in memory, and those at least ``moderation.job_min_duration_s`` long (when
set) are answered 202 with a ``moderate-video`` job. ``/api/v1/moderation/detect`` gives
NudeNet's body parts with boxes in Argus's own shape. Blocking work runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from argus.api import state
from argus.api.auth import (
    DEFAULT_TENANT,
    Principal,
    auth_check,
    credentials,
    keys_required,
    principal,
)
from argus.api.deps import AppSettings, Pool
from argus.api.disconnect import cancel_on_disconnect
from argus.api.schemas.jobs import JobAccepted
from argus.api.schemas.moderation import BodyPart, ExposureOut
from argus.api.seeds import moderation as seed001
from argus.api.seeds.routing import seed_route_class
from argus.api.uploads import read_bounded
from argus.config import Settings
from argus.config.units import mb_to_bytes
from argus.errors import InvalidVideo, NotAVideo, PayloadTooLarge, Unauthorized

if TYPE_CHECKING:
    from argus.jobs.service import JobService
    from argus.models.pool import ModelPool
    from argus.pipelines.moderation import Moderator
    from argus.pipelines.moderation import Query as ModerationQuery


SEED_UNAUTHORIZED = seed001.UNAUTHORIZED
MODELS_HEADER = "X-Argus-Models"


@auth_check
async def seed_caller(request: Request) -> Principal:
    """Seed 001's X-API-Key check mapped onto Argus's keys (see the module docstring)."""
    settings: Settings = request.app.state.settings
    mod = settings.moderation
    sent = request.headers.get("x-api-key", "").strip()
    if sent and any(hmac.compare_digest(sent, k.get_secret_value()) for k in mod.api_keys):
        request.state.tenant = DEFAULT_TENANT
        return Principal(DEFAULT_TENANT)
    required = mod.use_api_keys or keys_required(settings)
    if required and credentials(request) is None:
        raise Unauthorized(SEED_UNAUTHORIZED)
    try:
        return await principal(request)
    except Unauthorized:
        if required:
            raise Unauthorized(SEED_UNAUTHORIZED) from None
        request.state.tenant = DEFAULT_TENANT  # the seed ignored keys when they were off
        return Principal(DEFAULT_TENANT)


seed = APIRouter(
    route_class=seed_route_class(seed001.render_error),
    tags=["moderation (seed 001)"],
    dependencies=[Depends(seed_caller)],
)
v1 = APIRouter(prefix="/api/v1/moderation", tags=["moderation"], dependencies=[Depends(principal)])

_SEED_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": '{"detail": "The uploaded file is not a valid image."}'},
    401: {"description": '{"detail": "Invalid or missing API Key!"} when keys are required'},
    409: {"description": "The model is not installed (the message names `argus models pull`)"},
    413: {"description": "A file, frame count, duration or number of files is over the limit"},
    422: {"description": "Malformed request, or a model that is not an image classifier"},
}

ModelName = Annotated[
    str | None,
    Query(description="Model to use (default: moderation.default_model, the seed's default)."),
]
ModelNames = Annotated[
    list[str] | None,
    Query(description="Models to use, repeatable; each answer is wrapped in {model: ...}."),
]
Cascade = Annotated[
    bool | None,
    Query(
        description="Argus: ask the built-in first and the named model only when unsure "
        "(default: moderation.cascade)."
    ),
]


@dataclass(frozen=True)
class QueryRequest:
    names: list[str]
    query: ModerationQuery
    cascade: bool | None


async def query_request(
    settings: AppSettings,
    model_names: ModelNames = None,
    model_name: ModelName = None,
    labels: Annotated[
        list[str] | None, Query(description='Labels to look for (default ["nsfw"]).')
    ] = None,
    score: Annotated[
        float | None, Query(description="Threshold (default: moderation.default_score, 0.7).")
    ] = None,
    return_on_first_matching_label: Annotated[
        bool, Query(description="Frames: stop at the first frame where a label matches.")
    ] = False,
    fast_mode: Annotated[
        bool, Query(description="Frames: classify one frame in skip_frames_percentage %.")
    ] = False,
    skip_frames_percentage: Annotated[float, Query(ge=0, le=100)] = 5,
    cascade: Cascade = None,
) -> QueryRequest:
    from argus.pipelines.moderation import Query as ModerationQuery

    query = ModerationQuery(
        labels=tuple(labels) if labels is not None else ("nsfw",),
        score=settings.moderation.default_score if score is None else score,
        first_only=return_on_first_matching_label,
        fast_mode=fast_mode,
        skip_frames_percentage=skip_frames_percentage,
    )
    return QueryRequest(_names(settings, model_names, model_name), query, cascade)


Params = Annotated[QueryRequest, Depends(query_request)]


def _names(settings: Settings, many: list[str] | None, one: str | None) -> list[str]:
    if many:
        return list(many)
    return [one or settings.moderation.default_model]


def _moderator(pool: ModelPool, settings: Settings, cascade: bool | None) -> Moderator:
    from argus.pipelines.moderation import Moderator

    return Moderator(pool, settings, settings.moderation.cascade if cascade is None else cascade)


def _answer(body: Any, moderator: Moderator) -> JSONResponse:
    return JSONResponse(body, headers={MODELS_HEADER: moderator.header()})


async def _read(upload: UploadFile, max_mb: float) -> bytes:
    """The upload's bytes; 413 beyond ``max_mb`` without reading past it."""
    return await read_bounded(
        upload,
        mb_to_bytes(max_mb),
        lambda _size: PayloadTooLarge(f"The file is over the limit of {max_mb:g} MB"),
    )


def _check_count(files: list[UploadFile], settings: Settings) -> None:
    most = settings.moderation.max_files
    if len(files) > most:
        raise PayloadTooLarge(f"{len(files)} files in one request; at most {most}")


# --------------------------------------------------------------------------- seed 001


@seed.post(
    "/api/image-classification",
    summary="Top labels of an image, or of every frame of a GIF (seed 001)",
    responses=_SEED_ERRORS,
)
async def image_classification(
    request: Request,
    pool: Pool,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="An image or GIF.")],
    model_name: ModelName = None,
    model_names: ModelNames = None,
    cascade: Cascade = None,
) -> JSONResponse:
    data = await _read(file, settings.imaging.max_image_mb)
    moderator = _moderator(pool, settings, cascade)
    name = _names(settings, model_names, model_name)[0]
    async with cancel_on_disconnect(request) as progress:
        labels = await asyncio.to_thread(moderator.classify, data, name, progress)
    return _answer(seed001.render_labels(labels), moderator)


@seed.post(
    "/api/multi-image-classification",
    summary='[{"<index>": answer of /api/image-classification}] (seed 001)',
    responses=_SEED_ERRORS,
)
async def multi_image_classification(
    pool: Pool,
    settings: AppSettings,
    files: Annotated[list[UploadFile], File(description="Images or GIFs.")],
    model_name: ModelName = None,
    model_names: ModelNames = None,
    cascade: Cascade = None,
) -> JSONResponse:
    _check_count(files, settings)
    moderator = _moderator(pool, settings, cascade)
    name = _names(settings, model_names, model_name)[0]
    answers: list[Any] = []
    for upload in files:
        data = await _read(upload, settings.imaging.max_image_mb)
        labels = await asyncio.to_thread(moderator.classify, data, name)
        answers.append(seed001.render_labels(labels))
    return _answer(seed001.by_index(answers), moderator)


@seed.post(
    "/api/image-query-classification",
    summary='[{"<model>": labels at or above score}] for an image or GIF (seed 001)',
    responses=_SEED_ERRORS,
)
async def image_query_classification(
    request: Request,
    pool: Pool,
    settings: AppSettings,
    params: Params,
    file: Annotated[UploadFile, File(description="An image or GIF.")],
) -> JSONResponse:
    data = await _read(file, settings.imaging.max_image_mb)
    moderator = _moderator(pool, settings, params.cascade)
    async with cancel_on_disconnect(request) as progress:
        found = await asyncio.to_thread(moderator.query, data, params.names, params.query, progress)
    return _answer(seed001.render_findings(found), moderator)


@seed.post(
    "/api/multi-image-query-classification",
    summary='[{"<index>": [{"<model>": [...]}]}] (seed 001)',
    responses=_SEED_ERRORS,
)
async def multi_image_query_classification(
    pool: Pool,
    settings: AppSettings,
    params: Params,
    files: Annotated[list[UploadFile], File(description="Images or GIFs.")],
) -> JSONResponse:
    _check_count(files, settings)
    moderator = _moderator(pool, settings, params.cascade)
    answers: list[Any] = []
    for upload in files:
        data = await _read(upload, settings.imaging.max_image_mb)
        found = await asyncio.to_thread(moderator.query, data, params.names, params.query)
        answers.append(seed001.render_findings(found))
    return _answer(seed001.by_index(answers), moderator)


@seed.post(
    "/api/video-classification",
    summary='[{"<model>": [{"frame", "label", "score"}]}], frames from 1 (seed 001)',
    responses={
        **_SEED_ERRORS,
        200: {
            "description": 'The frames found, or (as the seed) `{"error": "file is not a video"}` '
            "for a file that is no video; the reason is in the X-Argus-Detail header."
        },
    },
)
async def video_classification(
    request: Request,
    pool: Pool,
    settings: AppSettings,
    params: Params,
    caller: Annotated[Principal, Depends(seed_caller)],
    file: Annotated[UploadFile, File(description="A video (anything FFmpeg reads).")],
) -> JSONResponse:
    from argus.pipelines.frames import spool
    from argus.pipelines.progress import Progress

    path = await asyncio.to_thread(
        spool, file.file, settings.data_dir / "tmp", settings.video.max_video_mb
    )
    try:
        if await asyncio.to_thread(_long_video, path, settings):
            return await _submit_job(request, caller, file, params, settings)
        moderator = _moderator(pool, settings, params.cascade)
        budget = Progress(
            max_frames=settings.video.max_sampled_frames,
            max_model_s=settings.video.max_model_s,
            frames_setting="video.max_sampled_frames",
            model_s_setting="video.max_model_s",
        )
        async with cancel_on_disconnect(request, budget) as progress:
            found = await asyncio.to_thread(
                moderator.query_video, path, params.names, params.query, progress
            )
    except NotAVideo as exc:
        return seed001.not_a_video(exc)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
    return _answer(seed001.render_findings(found), moderator)


def _long_video(path: Path, settings: Settings) -> bool:
    """Whether the video is long enough to become a job (never when the setting is 0)."""
    from argus.imaging import probe

    least = settings.moderation.job_min_duration_s
    if least <= 0:
        return False
    try:
        duration = probe(path).duration_s
    except InvalidVideo as exc:
        raise NotAVideo(exc.message) from exc
    return duration is not None and duration >= least


async def _submit_job(
    request: Request,
    caller: Principal,
    file: UploadFile,
    params: QueryRequest,
    settings: Settings,
) -> JSONResponse:
    """202 with a moderate-video job holding the upload (GET its status_url for the answer)."""
    from argus.compose import moderation_kind

    await file.seek(0)
    query = params.query
    options = {
        "model_names": params.names,
        "labels": list(query.labels),
        "score": query.score,
        "return_on_first_matching_label": query.first_only,
        "fast_mode": query.fast_mode,
        "skip_frames_percentage": query.skip_frames_percentage,
        "cascade": params.cascade,
    }
    jobs: JobService = state.services(request).jobs
    job = await jobs.create(
        tenant=caller.tenant,
        kind=moderation_kind.KIND,
        uploads=[file],
        options=options,
        max_bytes=mb_to_bytes(settings.video.max_video_mb),
    )
    status_url = str(request.url_for("get_job", job_id=job.id))
    accepted = JobAccepted(job_id=job.id, status=job.status, status_url=status_url)
    return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": status_url})


# --------------------------------------------------------------------------- Argus


@v1.post(
    "/detect",
    response_model=ExposureOut,
    summary="NudeNet's body parts with boxes, and the built-in nsfw verdict",
    responses={
        400: {"description": "Not a readable image"},
        413: {"description": "Over a size limit"},
        415: {"description": "Not an image format Argus reads"},
    },
)
async def detect(
    pool: Pool,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="An image (the first frame of animations).")],
    min_score: Annotated[
        float | None,
        Query(ge=0, le=1, description="Show detections from this score (default 0.25)."),
    ] = None,
    exposed_only: Annotated[
        bool, Query(description="Only the explicit labels that count towards nsfw.")
    ] = False,
) -> ExposureOut:
    from argus.models.nudenet import EXPOSED_LABELS
    from argus.pipelines.moderation import BUILTIN, detect_exposed

    data = await _read(file, settings.imaging.max_image_mb)
    found = await asyncio.to_thread(detect_exposed, pool, settings, data, min_score=min_score)
    parts = [
        BodyPart(
            label=d.label,
            score=round(d.score, 4),
            box=[round(v, 2) for v in d.box],
            exposed=d.label in EXPOSED_LABELS,
        )
        for d in found.detections
        if d.label in EXPOSED_LABELS or not exposed_only
    ]
    return ExposureOut(
        model=BUILTIN,
        width=found.picture.width,
        height=found.picture.height,
        label=found.label,
        nsfw_score=round(found.nsfw_score, 4),
        threshold=found.threshold,
        detections=parts,
    )


router = APIRouter()
router.include_router(seed)
router.include_router(v1)
