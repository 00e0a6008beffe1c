"""Service-level routes: what this server is and whether it is healthy."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from argus import __version__
from argus.api.deps import AppMetrics, AppSettings, Caller, Db, Health, Jobs

router = APIRouter(tags=["service"])


@router.get("/", summary="What this server is and where to look next")
def index(settings: AppSettings) -> dict[str, Any]:
    return {
        "name": "Argus",
        "version": __version__,
        "docs": "/docs",
        "health": "/health",
        "models": "/api/v1/models",
        "metrics": "/metrics",
        "offline": settings.offline,
    }


@router.get(
    "/health",
    summary="200 when every component works, 503 naming the one that does not",
    responses={503: {"description": "A component fails: {status, failing: {name: why}}"}},
)
async def health(monitor: Health) -> JSONResponse:
    """Liveness, answered from memory: the components' last background check (every
    ``server.health_interval_s``); it never waits on the database."""
    failing = monitor.failing()
    if failing:
        return JSONResponse({"status": "error", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/ready",
    summary="Readiness: 200 when the database (and, in Celery mode, the broker) answers now",
    responses={503: {"description": "The database did not answer in time, or failed"}},
)
async def ready(settings: AppSettings, db: Db, jobs: Jobs) -> JSONResponse:
    timeout = settings.server.check_timeout_s
    try:
        async with asyncio.timeout(timeout):
            error = await db.check()
    except TimeoutError:
        error = f"no answer within {timeout:g} s"
    failing = {} if error is None else {"database": error}
    failing.update(await jobs.health())  # the broker, in Celery mode
    if failing:
        return JSONResponse({"status": "error", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics (an API key is needed where keys are required)",
    response_class=Response,
    responses={401: {"description": "Keys are required and none valid was sent"}},
)
def metrics(registry: AppMetrics, _: Caller) -> Response:
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/health", summary="Seed 000's health shape (always 200)")
async def seed_health(monitor: Health, settings: AppSettings) -> dict[str, str]:
    """``status`` is healthy when the database answered its last background check. ``model_api``
    says whether an LLM provider is configured; Argus answers without one (built-in models), so
    unlike the seed it does not make the service unhealthy."""
    connected = "database" not in monitor.failing()
    return {
        "status": "healthy" if connected else "unhealthy",
        "timestamp": datetime.now().isoformat(),
        "database": "connected" if connected else "disconnected",
        "model_api": "available" if settings.classify.providers else "not_configured",
    }
