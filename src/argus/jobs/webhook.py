"""Completion webhooks: one JSON POST when a job ends; a failure is logged, never raised.

The body is ``{"job_id", "status", "kind", "progress": {"done", "total"}, "error",
"finished_at"}``. There is no retry: the job's status URL stays the truth for a client that
missed the call. A webhook URL comes from a client, so it passes the same address policy as
fetched image URLs (:func:`argus.net.fetch.check_destination`) when the job is created and again
when it is called, connecting to the checked address.

With ``jobs.webhook_secret`` set, each call is signed: ``X-Argus-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>``. A receiver recomputes it over the
bytes it received, compares in constant time, and refuses old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
from typing import Any

from argus import __version__
from argus.config import JobSettings
from argus.errors import ArgusError
from argus.net.fetch import Target, check_destination
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


async def check(url: str, settings: JobSettings) -> Target:
    """Refuse a webhook URL Argus must not call (InvalidInput, 400); where to connect."""
    allowed = [ipaddress.ip_network(n, strict=False) for n in settings.webhook_allowed_networks]
    return await check_destination(
        url, allowed, setting="ARGUS_JOBS__WEBHOOK_ALLOWED_NETWORKS", verb="called"
    )


SIGNATURE_HEADER = "X-Argus-Signature"


def signature(secret: str, timestamp: int, raw: bytes) -> str:
    """The ``X-Argus-Signature`` value of a body sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


async def send(url: str, body: dict[str, Any], *, settings: JobSettings) -> bool:
    """POST ``body`` to ``url`` after checking its address again, signed when a secret is set;
    True on a 2xx answer. Never raises."""
    import httpx  # imported on first use: the server starts without it

    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
        headers[SIGNATURE_HEADER] = signature(secret, int(time.time()), raw)
    try:
        target = await check(url, settings)
        async with httpx.AsyncClient(
            timeout=settings.webhook_timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"argus/{__version__}"},
        ) as client:
            response = await client.post(
                target.connect_url,
                content=raw,
                headers={**headers, "Host": target.host_header},
                extensions={"sni_hostname": target.server_name},
            )
    except ArgusError as exc:
        log.warning("webhook %s for job %s refused: %s", url, body.get("job_id"), exc.message)
        return False
    except httpx.HTTPError as exc:
        log.warning("webhook %s for job %s failed: %s", url, body.get("job_id"), exc)
        return False
    if not response.is_success:
        log.warning(
            "webhook %s for job %s answered %d", url, body.get("job_id"), response.status_code
        )
        return False
    return True
