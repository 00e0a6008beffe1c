"""Shapes of the jobs API: a submitted job, its status with per-item outcomes, lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from argus.store.tables import Job, JobItem


class Progress(BaseModel):
    done: int = Field(description="Items finished (completed or failed).")
    total: int = Field(description="Items in the job.")


class JobAccepted(BaseModel):
    job_id: str
    status: str = Field(description="pending: stored and queued.")
    status_url: str = Field(description="Where to poll the job (GET).")


class JobItemOut(BaseModel):
    index: int
    name: str = Field(description="The uploaded file's (sanitised) name.")
    status: str = Field(description="pending, running, completed, failed or cancelled.")
    output: Any | None = Field(description="What the job kind produced for this item.")
    error: str | None = Field(description="Why this item failed.")
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, item: JobItem) -> JobItemOut:
        return cls(
            index=item.index,
            name=item.input_name,
            status=item.status,
            output=item.output,
            error=item.error,
            started_at=item.started_at,
            finished_at=item.finished_at,
        )


class OutputFile(BaseModel):
    name: str
    url: str


class JobSummary(BaseModel):
    job_id: str
    kind: str
    status: str = Field(description="pending, running, completed, failed or cancelled.")
    progress: Progress
    error: str | None = Field(description="Why the job failed, when it did.")
    attempts: int = Field(description="Times a worker started it (more than 1 after a crash).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def fields_of(cls, job: Job) -> dict[str, Any]:
        return {
            "job_id": job.id,
            "kind": job.kind,
            "status": job.status,
            "progress": Progress(done=job.progress_done, total=job.progress_total),
            "error": job.error,
            "attempts": job.attempts,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        }

    @classmethod
    def of(cls, job: Job) -> JobSummary:
        return cls(**cls.fields_of(job))


class JobOut(JobSummary):
    options: dict[str, Any]
    items: list[JobItemOut]
    files: list[OutputFile] = Field(description="Output files the job made, with their URLs.")


class JobList(BaseModel):
    jobs: list[JobSummary] = Field(description="Newest first.")
