"""Seed 002 (licence plates) at the edge: its shapes, statuses and Russian messages.

The task API's answers (``{"task_id"}``, ``{task_id, status, results}`` with the seed's
statuses and ``/tasks_storage/<task_id>/output/<filename>`` URLs) and the seed's error messages
(its ``{"detail": ...}`` bodies are FastAPI's). :func:`seed_callbacks` is what the seed did after
a completed task: the ``anonymize`` job kind (registered by :mod:`argus.compose`) runs it as its
finish hook in the process that ran the job (server or Celery worker): when the job was created
with ``seed_callbacks`` (``/api/v1/process-task/`` does) and it completed, a JSON POST of
``{task_id, status: "completed", results}`` to ``anonymize.callback_url`` and a multipart POST
(form ``task_id``, files ``images``, ``image/webp``) of the results to ``anonymize.upload_url``,
both through the one sender, :func:`argus.jobs.webhook.deliver`; failures are logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from argus.config import Settings
from argus.config.units import bytes_to_mb
from argus.store.files import BlobStore, make_key
from argus.store.tables import Job, JobStatus

STATUS = {
    "pending": "pending",
    "running": "processing",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "failed",
}
"""The job's statuses in the seed's words."""

UNAVAILABLE = "Сервис временно недоступен. Попробуйте позже."


def too_big(limit_mb: float) -> str:
    """The request body is over ``limit_mb``."""
    return f"Запрос отклонен: размер тела превышает установленный лимит ({limit_mb:.2f} MB)."


def too_many_files(limit: int) -> str:
    return f"Слишком много файлов. Лимит: {limit}."


def file_too_big(filename: str | None, limit_bytes: int) -> str:
    return f"Файл '{filename}' слишком большой. Лимит: {bytes_to_mb(limit_bytes)}MB."


def unsupported_type(filename: str | None, allowed: Sequence[str]) -> str:
    return f"Неподдерживаемый тип файла: '{filename}'. Поддерживаются: {allowed}"


def task_not_found(task_id: str) -> str:
    return f"Задача с ID '{task_id}' не найдена."


SeedStatus = Literal["pending", "processing", "completed", "failed"]


class TaskCreated(BaseModel):
    """Seed 002's 202 answer."""

    task_id: str = Field(description="A UUID; poll /api/v1/task-status/{task_id}.")


class TaskResult(BaseModel):
    filename: str = Field(description="covered_<original stem>.webp")
    url: str = Field(description="/tasks_storage/<task_id>/output/<filename>")


class TaskStatus(BaseModel):
    """Seed 002's task status; ``results`` stays empty until the task completed."""

    task_id: str
    status: SeedStatus
    results: list[TaskResult] = Field(default_factory=list)


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
    from argus.jobs.webhook import deliver

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
