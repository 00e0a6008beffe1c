"""Completion webhooks: one JSON POST when a job ends; a failure is logged, never raised.

The body is ``{"job_id", "status", "kind", "progress": {"done", "total"}, "error",
"finished_at"}``. There is no retry: the job's status URL stays the truth for a client that
missed the call. A webhook URL comes from a client, so it passes the same address policy as
fetched image URLs (:func:`argus.net.fetch.check_destination`) when the job is created and again
when it is called, connecting to the checked address.

With ``jobs.webhook_secret`` set, each call is signed: ``X-Argus-Signature: t=<unix time>,
v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>``. A receiver recomputes it over the
bytes it received, compares in constant time, and refuses old timestamps (replays).

:func:`deliver` is the one HTTP POST every outgoing notification goes through (these webhooks
and seed 002's task callbacks, whose URLs come from the operator's settings): Argus's
``User-Agent``, no redirects, no proxy from the environment, a timeout, and a failure logged and
answered False, never raised.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Mapping, Sequence
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

    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
        headers[SIGNATURE_HEADER] = signature(secret, int(time.time()), raw)
    try:
        target = await check(url, settings)
    except ArgusError as exc:
        log.warning("webhook %s for job %s refused: %s", url, body.get("job_id"), exc.message)
        return False
    return await deliver(
        target.connect_url,
        what=f"webhook {url} for job {body.get('job_id')}",
        timeout_s=settings.webhook_timeout_s,
        content=raw,
        headers={**headers, "Host": target.host_header},
        extensions={"sni_hostname": target.server_name},
    )


async def deliver(
    url: str,
    *,
    what: str,
    timeout_s: float,
    content: bytes | None = None,
    json_body: Any = None,
    data: Mapping[str, str] | None = None,
    files: Sequence[tuple[str, tuple[str, bytes, str]]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> bool:
    """POST to ``url`` (raw ``content``, a JSON body, or a multipart form of ``data`` and
    ``files``); True on a 2xx answer. A failure is logged as ``what`` and never raised."""
    import httpx  # imported on first use: the server starts without it

    try:
        async with httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": f"argus/{__version__}"},
        ) as client:
            response = await client.post(
                url,
                content=content,
                json=json_body,
                data=dict(data) if data is not None else None,
                files=list(files) if files is not None else None,
                headers=dict(headers or {}),
                extensions=dict(extensions or {}),
            )
    except httpx.HTTPError as exc:
        log.warning("%s failed: %s", what, exc)
        return False
    if not response.is_success:
        log.warning("%s answered %d", what, response.status_code)
        return False
    return True
