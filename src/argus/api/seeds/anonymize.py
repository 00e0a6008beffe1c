"""Seed 002 (licence plates) at the edge: its shapes, Russian messages, result URLs, callbacks.

The task API's answers (``{"task_id"}``, ``{task_id, status, results}`` with the seed's
statuses and ``/tasks_storage/<task_id>/output/<filename>`` URLs), the seed's error messages
(its ``{"detail": ...}`` bodies are FastAPI's), and what the seed did after a completed task
(:func:`seed_callbacks`, run as the ``anonymize`` job kind's ``on_finish`` in the process that
ran the job: server or Celery worker).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from argus import __version__
from argus.config.units import bytes_to_mb
from argus.store.files import make_key
from argus.store.tables import Job, JobStatus

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.store.files import BlobStore

log = logging.getLogger(__name__)

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


def result_url(task_id: str, filename: str) -> str:
    """Where the seed served a task's result file."""
    return f"/tasks_storage/{task_id}/output/{filename}"


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
            out.append({"filename": name, "url": result_url(job.id, name)})
    return out


async def seed_callbacks(settings: Settings, blobs: BlobStore, job: Job) -> None:
    """Seed 002's notifications of a completed task (the ``anonymize`` kind's ``on_finish``):
    a JSON POST of ``{task_id, status: "completed", results}`` to ``anonymize.callback_url`` and
    a multipart POST (form ``task_id``, files ``images``, ``image/webp``) of the results to
    ``anonymize.upload_url``; failures are logged."""
    import httpx  # imported on first use: the server starts without it

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
