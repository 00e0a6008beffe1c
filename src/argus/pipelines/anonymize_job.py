"""The ``anonymize`` job kind: seed 002's batch task on Argus's jobs platform.

Each item is one stored image. The handler decodes it (an unreadable file fails that item only;
a job whose items all failed ends ``failed``, as the seed's task did), hides plates and/or faces
(:mod:`argus.pipelines.anonymize`) and stores ``covered_<stem>.webp`` as an output file of the
job; the blob store never overwrites, so two inputs with the same stem give
``covered_photo.webp`` and ``covered_photo-1.webp``. The item's output is
``{"filename", "width", "height", "targets", "detections"}``.

When the job was created with ``seed_callbacks`` (``/api/v1/process-task/`` does) and it
completed, :func:`seed_callbacks` does what the seed did after a task: a JSON POST of
``{task_id, status: "completed", results}`` to ``anonymize.callback_url`` and a multipart POST
(form ``task_id``, files ``images``, ``image/webp``) of the results to ``anonymize.upload_url``.
Both run in the process that ran the job (server or Celery worker); failures are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from argus import __version__
from argus.imaging.decode import decode
from argus.pipelines.anonymize import (
    AnonymizeOptions,
    anonymize,
    encode_result,
    face_model,
    result_name,
)
from argus.store.files import make_key
from argus.store.tables import Job, JobStatus
from argus.timing import span

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.jobs.registry import ItemContext, JobInput, JobKind
    from argus.models.pool import ModelPool
    from argus.store.files import BlobStore

log = logging.getLogger(__name__)

KIND = "anonymize"


def validate(options: Mapping[str, Any], pool: ModelPool) -> dict[str, Any]:
    """Parsed options; the plate model must be readable when plates are a target (503)."""
    from argus.jobs.registry import parse_options
    from argus.models.plates import user_model

    parsed = parse_options(AnonymizeOptions, options)
    assert isinstance(parsed, AnonymizeOptions)
    settings = pool.settings.anonymize
    if parsed.targets in ("plates", "both") and settings.plate_model is not None:
        user_model(pool, settings)
    if parsed.targets in ("faces", "both"):
        face_model(pool, pool.settings)  # UnknownModel / ModelNotInstalled up front
    return parsed.model_dump()


def handle(ctx: ItemContext, item: JobInput, options: Mapping[str, Any]) -> dict[str, Any]:
    """Anonymize one stored image and store the result; its name and what was hidden."""
    parsed = AnonymizeOptions.model_validate(dict(options))
    with span("decode"):
        picture = decode(item.data, ctx.settings.imaging)  # 400/413/415 fail this item only
    done = anonymize(ctx.pool, ctx.settings, picture.pixels, parsed)
    data = encode_result(done.image, parsed.format, ctx.settings.anonymize.webp_quality)
    saved = ctx.save_output(result_name(item.name, parsed.format), data)
    return {
        "filename": saved,
        "width": picture.width,
        "height": picture.height,
        "targets": parsed.targets,
        "detections": done.detections.to_list(),
    }


def seed_results(job: Job) -> list[dict[str, str]]:
    """Seed 002's ``results``: ``[{filename, url}]`` of every completed item, in input order."""
    out: list[dict[str, str]] = []
    for item in sorted(job.items, key=lambda i: i.index):
        if item.status == JobStatus.COMPLETED.value and isinstance(item.output, dict):
            name = str(item.output["filename"])
            out.append({"filename": name, "url": f"/tasks_storage/{job.id}/output/{name}"})
    return out


async def seed_callbacks(settings: Settings, blobs: BlobStore, job: Job) -> None:
    """Seed 002's notifications of a completed task (see the module docstring)."""
    if not job.options.get("seed_callbacks") or job.status != JobStatus.COMPLETED.value:
        return
    conf = settings.anonymize
    results = seed_results(job)
    async with httpx.AsyncClient(
        timeout=conf.callback_timeout_s, headers={"User-Agent": f"argus/{__version__}"}
    ) as client:
        if conf.callback_url:
            body = {"task_id": job.id, "status": "completed", "results": results}
            try:
                resp = await client.post(conf.callback_url, json=body)
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                log.warning("task %s: callback to %s failed: %s", job.id, conf.callback_url, exc)
        if conf.upload_url and results:
            files = [
                (
                    "images",
                    (
                        r["filename"],
                        await blobs.read(make_key(job.id, "output", r["filename"])),
                        "image/webp",
                    ),
                )
                for r in results
            ]
            try:
                resp = await client.post(conf.upload_url, data={"task_id": job.id}, files=files)
                resp.raise_for_status()
            except httpx.HTTPError as exc:
                log.warning("task %s: upload to %s failed: %s", job.id, conf.upload_url, exc)


def job_kind() -> JobKind:
    from argus.jobs.registry import JobKind

    return JobKind(
        name=KIND,
        description="Hide licence plates and/or faces in each image (cover, blur, pixelate or "
        "solid); results as covered_<stem>.webp output files.",
        handler=handle,
        validate=validate,
        on_finish=seed_callbacks,
    )
