"""Anonymization routes: seed 002's task API, unchanged, and Argus's own ``/api/v1/anonymize``.

Seed 002 (its clients send exactly this): ``POST /api/v1/process-task/`` stores the ``files``
and answers 202 ``{"task_id"}``; ``GET /api/v1/task-status/{task_id}`` answers
``{task_id, status, results}`` with the seed's statuses (the job's ``running`` is the seed's
``processing``, ``cancelled`` its ``failed``); results are served under
``/tasks_storage/{task_id}/output/`` (shapes, messages, URLs: :mod:`argus.api.seeds.anonymize`).
Errors keep the seed's ``{"detail": ...}`` bodies and Russian messages, in the seed's order:
body over ``max_request_mb`` (413, checked from Content-Length before the body is read, and
again from the parsed sizes for chunked bodies), more than ``max_files`` files (413), a file
over ``max_file_bytes`` (413), a declared type not in ``allowed_mime_types`` (415), no usable
model or broker (503). Both APIs run the ``anonymize``
job kind, so a task survives a restart and Celery workers can run it. Argus's API adds options
(targets, mode, strength, format, webhook) and returns every file's detections; it also takes
videos (MP4/MOV, WebM, AVI: sniffed from their first bytes), each limited by
``video.max_video_mb`` instead of ``anonymize.max_file_bytes`` and anonymized frame by frame
into ``covered_<stem>.mp4`` with its progress in frames.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from argus.api.auth import principal
from argus.api.deps import AppSettings, Db, Jobs, Pool, Tenant
from argus.api.routes.jobs import _webhook
from argus.api.schemas.anonymize import AnonymizedItem, AnonymizeJob, FrameProgress
from argus.api.schemas.jobs import JobAccepted, Progress
from argus.api.seeds import anonymize as seed002
from argus.api.seeds.anonymize import TaskCreated, TaskResult, TaskStatus, seed_results
from argus.api.seeds.routing import seed_route_class
from argus.config.units import mb_to_bytes
from argus.errors import (
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from argus.store import jobs as job_store
from argus.store.files import make_key, media_type, safe_name
from argus.store.tables import Job

log = logging.getLogger(__name__)


class _ProcessTaskRoute(seed_route_class()):  # type: ignore[misc]
    """Refuses a body whose Content-Length is over the limit before reading it (the seed's
    middleware did the same)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            limit_mb = request.app.state.settings.anonymize.max_request_mb
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > mb_to_bytes(limit_mb):
                return JSONResponse({"detail": seed002.too_big(limit_mb)}, status_code=413)
            response: Response = await handler(request)
            return response

        return handle


auth = [Depends(principal)]
seed = APIRouter(tags=["seed 002: plates"], route_class=seed_route_class(), dependencies=auth)
seed_submit = APIRouter(tags=["seed 002: plates"], route_class=_ProcessTaskRoute, dependencies=auth)
own = APIRouter(prefix="/api/v1/anonymize", tags=["anonymize"], dependencies=auth)


async def _anonymize_job(db: Db, job_id: str, tenant: str, missing: str) -> Job:
    from argus.compose.anonymize_kind import KIND

    job = await job_store.get(db, job_id=job_id, tenant=tenant)
    if job is None or job.kind != KIND:
        raise NotFound(missing)
    return job


@seed_submit.post(
    "/api/v1/process-task/",
    status_code=202,
    response_model=TaskCreated,
    summary="Seed 002: anonymize licence plates in a batch of images (background task)",
    responses={413: {"description": "Too many files or bytes"}, 415: {"description": "MIME"}},
)
async def process_task(
    jobs: Jobs,
    settings: AppSettings,
    tenant: Tenant,
    files: Annotated[list[UploadFile], File(description="Images (JPEG, PNG, WebP).")],
) -> TaskCreated:
    from argus.compose.anonymize_kind import KIND

    conf = settings.anonymize
    if sum(f.size or 0 for f in files) > mb_to_bytes(conf.max_request_mb):  # chunked bodies
        raise PayloadTooLarge(seed002.too_big(conf.max_request_mb))
    if len(files) > conf.max_files:
        raise PayloadTooLarge(seed002.too_many_files(conf.max_files))
    for f in files:
        if f.size is not None and f.size > conf.max_file_bytes:
            raise PayloadTooLarge(seed002.file_too_big(f.filename, conf.max_file_bytes))
        if f.content_type not in conf.allowed_mime_types:
            raise UnsupportedMediaType(
                seed002.unsupported_type(f.filename, conf.allowed_mime_types)
            )
    try:
        job = await jobs.create(
            tenant=tenant,
            kind=KIND,
            uploads=files,
            options={"targets": "plates", "seed_callbacks": True},
            max_bytes=conf.max_file_bytes,
        )
    except ServiceUnavailable as exc:
        log.error("process-task refused: %s", exc.message)
        raise ServiceUnavailable(seed002.UNAVAILABLE) from None
    return TaskCreated(task_id=job.id)


@seed.get(
    "/api/v1/task-status/{task_id}",
    response_model=TaskStatus,
    summary="Seed 002: a task's status and, once completed, its result URLs",
    responses={404: {"description": "Unknown or expired task"}},
)
async def task_status(task_id: str, db: Db, tenant: Tenant) -> TaskStatus:
    job = await _anonymize_job(db, task_id, tenant, seed002.task_not_found(task_id))
    status = seed002.STATUS.get(job.status, "failed")
    results = [TaskResult(**r) for r in seed_results(job)] if status == "completed" else []
    return TaskStatus(task_id=job.id, status=status, results=results)


@seed.get(
    "/tasks_storage/{task_id}/output/{name}",
    summary="Seed 002: a result image",
    response_class=Response,
    responses={200: {"content": {"image/webp": {}}}, 404: {"description": "No such file"}},
)
async def task_file(task_id: str, name: str, db: Db, jobs: Jobs, tenant: Tenant) -> Response:
    job = await _anonymize_job(db, task_id, tenant, "Not Found")
    if safe_name(name, default="") != name:
        raise NotFound("Not Found")
    key = make_key(job.id, "output", name)
    path = jobs.blobs.local_path(key)
    if path is not None:
        if not path.is_file():
            raise NotFound("Not Found")
        return FileResponse(path, media_type=media_type(name))
    return Response(await jobs.blobs.read(key), media_type=media_type(name))


@own.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    summary="Hide plates and/or faces in images and videos (a job; poll its status_url)",
    responses={413: {"description": "Too many files or a file too big"}, 422: {}},
)
async def create_anonymize_job(
    request: Request,
    response: Response,
    jobs: Jobs,
    settings: AppSettings,
    models: Pool,
    tenant: Tenant,
    files: Annotated[list[UploadFile], File(description="The images and videos, one item each.")],
    targets: Annotated[str, Form(description="plates, faces or both.")] = "plates",
    mode: Annotated[
        str | None,
        Form(description="cover, blur, pixelate or solid; default cover plates, blur faces."),
    ] = None,
    strength: Annotated[float, Form(description="Scales blur and pixel blocks (0-10].")] = 1.0,
    format: Annotated[str, Form(description="webp, png or jpeg.")] = "webp",
    webhook_url: Annotated[str | None, Form(description="JSON POST when the job ends.")] = None,
) -> JobAccepted:
    from argus.compose.anonymize_kind import KIND
    from argus.imaging.transcode import looks_like_video

    conf = settings.anonymize
    if len(files) > conf.max_files:
        raise PayloadTooLarge(f"{len(files)} files in one job; at most {conf.max_files}")
    video_bytes = mb_to_bytes(settings.video.max_video_mb)
    videos = 0
    for f in files:
        head = await f.read(4096)
        await f.seek(0)
        is_video = looks_like_video(head)
        videos += is_video
        limit = video_bytes if is_video else conf.max_file_bytes
        if f.size is not None and f.size > limit:
            raise PayloadTooLarge(f"{safe_name(f.filename)}: {f.size} bytes; at most {limit}")
    if videos and targets in ("faces", "both"):
        models.model(conf.video_face_model)  # 404 unknown / 409 not installed, before storing
    options: dict[str, Any] = {"targets": targets, "strength": strength, "format": format}
    if mode:
        options["mode"] = mode
    job = await jobs.create(
        tenant=tenant,
        kind=KIND,
        uploads=files,
        options=options,
        webhook_url=_webhook(webhook_url),
        max_bytes=max(conf.max_file_bytes, video_bytes) if videos else conf.max_file_bytes,
    )
    status_url = str(request.url_for("get_anonymize_job", job_id=job.id))
    response.headers["Location"] = status_url
    return JobAccepted(job_id=job.id, status=job.status, status_url=status_url)


@own.get(
    "/{job_id}",
    response_model=AnonymizeJob,
    summary="An anonymize job: status, progress, each file's result URL and detections",
    responses={404: {"description": "No such job (or another tenant's)"}},
)
async def get_anonymize_job(job_id: str, request: Request, db: Db, tenant: Tenant) -> AnonymizeJob:
    job = await _anonymize_job(db, job_id, tenant, f"no anonymize job {job_id!r}")
    items: list[AnonymizedItem] = []
    for item in sorted(job.items, key=lambda i: i.index):
        out = item.output if isinstance(item.output, dict) else {}
        name = out.get("filename")
        url = str(request.url_for("get_job_file", job_id=job.id, name=name)) if name else None
        items.append(
            AnonymizedItem(
                index=item.index,
                name=item.input_name,
                status=item.status,
                error=item.error,
                filename=name,
                url=url,
                width=out.get("width"),
                height=out.get("height"),
                detections=out.get("detections", []),
                progress=FrameProgress(**out["progress"]) if "progress" in out else None,
                video=out.get("video"),
            )
        )
    return AnonymizeJob(
        job_id=job.id,
        status=job.status,
        progress=Progress(done=job.progress_done, total=job.progress_total),
        error=job.error,
        options=job.options,
        items=items,
    )


router = APIRouter()
router.include_router(seed_submit)
router.include_router(seed)
router.include_router(own)
