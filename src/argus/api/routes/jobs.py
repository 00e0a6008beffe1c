"""Jobs API: submit long work (202), poll it, list, cancel, download output files.

A job's inputs are stored in the blob store and its row written before the 202 answer, so a
crash right after it loses nothing. Every route is tenant-scoped: another tenant's job is a 404,
exactly like a job that does not exist.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from argus.api import jsonform
from argus.api.deps import AppSettings, Db, Jobs, Tenant
from argus.api.schemas.jobs import JobAccepted, JobItemOut, JobList, JobOut, JobSummary, OutputFile
from argus.config.units import mb_to_bytes
from argus.errors import NotFound, PayloadTooLarge, ValidationFailed
from argus.store import jobs as job_store
from argus.store.files import make_key, media_type, safe_name
from argus.store.tables import Job, JobStatus

if TYPE_CHECKING:
    from argus.jobs.service import JobService


router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

#: Files per request when ``jobs.max_files`` is not in the settings.
DEFAULT_MAX_FILES = 500
MAX_WEBHOOK_URL = 2000


_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such job (or it belongs to another tenant)"},
}


def _options(raw: str) -> dict[str, Any]:
    try:
        value = jsonform.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"options: not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ValidationFailed("options: must be a JSON object")
    return value


def _webhook(url: str | None) -> str | None:
    if not url:
        return None
    import httpx  # imported on first use: the server starts without it

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if (
        parsed is None
        or parsed.scheme not in ("http", "https")
        or not parsed.host
        or len(url) > MAX_WEBHOOK_URL
    ):
        raise ValidationFailed("webhook_url: must be an absolute http(s) URL")
    return url


async def _job_out(request: Request, jobs: JobService, job: Job) -> JobOut:
    names = await jobs.blobs.names(job.id, "output")
    files = [
        OutputFile(name=n, url=str(request.url_for("get_job_file", job_id=job.id, name=n)))
        for n in names
    ]
    return JobOut(
        **JobSummary.fields_of(job),
        options=job.options,
        items=[JobItemOut.of(item) for item in job.items],
        files=files,
    )


@router.post(
    "",
    status_code=202,
    response_model=JobAccepted,
    summary="Submit a job: its inputs are stored, it runs in the background",
    responses={
        404: {"description": "Unknown model in the options"},
        409: {"description": "The model is not installed"},
        413: {"description": "A file or the number of files is over the limit"},
        422: {"description": "Unknown kind, malformed options or no files"},
        503: {"description": "The job broker (Celery) cannot be reached"},
    },
)
async def create_job(
    request: Request,
    response: Response,
    jobs: Jobs,
    settings: AppSettings,
    tenant: Tenant,
    kind: Annotated[str, Form(description="What to do with each file, e.g. `detect`.")],
    files: Annotated[list[UploadFile], File(description="The inputs, one item each.")],
    options: Annotated[
        str,
        Form(description='JSON object of the kind\'s options, e.g. {"model": "dlib-cnn-face"}.'),
    ] = "{}",
    webhook_url: Annotated[
        str | None, Form(description="Called with a JSON POST when the job ends.")
    ] = None,
) -> JobAccepted:
    max_files = int(getattr(settings.jobs, "max_files", DEFAULT_MAX_FILES))
    if len(files) > max_files:
        raise PayloadTooLarge(f"{len(files)} files in one job; at most {max_files}")
    max_bytes = mb_to_bytes(settings.imaging.max_image_mb)
    for upload in files:  # sizes are known once the body is parsed: refuse before storing
        if upload.size is not None and upload.size > max_bytes:
            raise PayloadTooLarge(
                f"{safe_name(upload.filename)}: {upload.size} bytes; at most "
                f"{settings.imaging.max_image_mb:g} MiB per file"
            )
    job = await jobs.create(
        tenant=tenant,
        kind=kind,
        uploads=files,
        options=_options(options),
        webhook_url=_webhook(webhook_url),
        max_bytes=max_bytes,
    )
    status_url = str(request.url_for("get_job", job_id=job.id))
    response.headers["Location"] = status_url
    return JobAccepted(job_id=job.id, status=job.status, status_url=status_url)


@router.get("", response_model=JobList, summary="This tenant's jobs, newest first")
async def list_jobs(
    db: Db,
    tenant: Tenant,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    found = await job_store.list_jobs(
        db, tenant=tenant, status=status.value if status else None, limit=limit
    )
    return JobList(jobs=[JobSummary.of(job) for job in found])


@router.get(
    "/{job_id}",
    response_model=JobOut,
    summary="A job's status, progress and per-item outcomes",
    responses=_ERRORS,
)
async def get_job(job_id: str, request: Request, db: Db, jobs: Jobs, tenant: Tenant) -> JobOut:
    job = await job_store.get(db, job_id=job_id, tenant=tenant)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return await _job_out(request, jobs, job)


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a pending or running job (a running item finishes first)",
    responses={**_ERRORS, 409: {"description": "The job already ended"}},
)
async def cancel_job(job_id: str, request: Request, jobs: Jobs, tenant: Tenant) -> JobOut:
    job = await jobs.cancel(job_id=job_id, tenant=tenant)
    return await _job_out(request, jobs, job)


@router.get(
    "/{job_id}/files/{name}",
    summary="An output file of a job",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
async def get_job_file(job_id: str, name: str, db: Db, jobs: Jobs, tenant: Tenant) -> Response:
    job = await job_store.get(db, job_id=job_id, tenant=tenant)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    if safe_name(name, default="") != name:
        raise NotFound(f"no output file {name!r}")
    key = make_key(job.id, "output", name)
    path = jobs.blobs.local_path(key)
    if path is not None:
        if not path.is_file():
            raise NotFound(f"no output file {name!r}")
        return FileResponse(path, media_type=media_type(name))
    return Response(await jobs.blobs.read(key), media_type=media_type(name))
