"""Seed 002's task answers outside the pipelines: result URLs and the completion callbacks.

:func:`seed_results` is the seed's ``results`` list of a finished ``anonymize`` job
(``[{filename, url}]``, ``/tasks_storage/<task_id>/output/<filename>``), read by the seed routes
and by the callbacks. :func:`seed_callbacks` is the ``anonymize`` kind's finish hook: when the
job was created with ``seed_callbacks`` (``/api/v1/process-task/`` does) and it completed, it does
what the seed did after a task: a JSON POST of ``{task_id, status: "completed", results}`` to
``anonymize.callback_url`` and a multipart POST (form ``task_id``, files ``images``,
``image/webp``) of the results to ``anonymize.upload_url``. Both go through the one sender,
:func:`argus.jobs.webhook.deliver`, in the process that ran the job (server or Celery worker);
failures are logged.
"""

from __future__ import annotations

from argus.config import Settings
from argus.jobs.webhook import deliver
from argus.store.files import BlobStore, make_key
from argus.store.tables import Job, JobStatus


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
    if conf.callback_url:
        body = {"task_id": job.id, "status": "completed", "results": results}
        await deliver(
            conf.callback_url,
            what=f"task {job.id}: callback to {conf.callback_url}",
            timeout_s=conf.callback_timeout_s,
            json_body=body,
        )
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
        await deliver(
            conf.upload_url,
            what=f"task {job.id}: upload to {conf.upload_url}",
            timeout_s=conf.callback_timeout_s,
            data={"task_id": job.id},
            files=files,
        )
