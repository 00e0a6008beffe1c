"""Completion webhooks: one JSON POST when a job ends; a failure is logged, never raised.

The body is ``{"job_id", "status", "kind", "progress": {"done", "total"}, "error",
"finished_at"}``. There is no retry: the job's status URL stays the truth for a client that
missed the call.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from argus import __version__
from argus.store.tables import Job

log = logging.getLogger(__name__)


def payload(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "status": job.status,
        "kind": job.kind,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "error": job.error,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


async def send(url: str, body: dict[str, Any], *, timeout_s: float) -> bool:
    """POST ``body`` to ``url``; True on a 2xx answer. Never raises."""
    try:
        async with httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"User-Agent": f"argus/{__version__}"},
        ) as client:
            response = await client.post(url, json=body)
    except httpx.HTTPError as exc:
        log.warning("webhook %s for job %s failed: %s", url, body.get("job_id"), exc)
        return False
    if not response.is_success:
        log.warning(
            "webhook %s for job %s answered %d", url, body.get("job_id"), response.status_code
        )
        return False
    return True
