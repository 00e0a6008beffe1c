"""Service-level routes: what this server is and whether it is healthy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from argus import __version__
from argus.api.deps import AppSettings, Db

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


@router.get("/health", summary="200 when every component works, 503 naming the one that does not")
async def health(request: Request, settings: AppSettings, db: Db) -> JSONResponse:
    failing: dict[str, str] = {}
    if not settings.data_dir.is_dir():
        failing["data_dir"] = f"{settings.data_dir} does not exist"
    db_error = await db.check()
    if db_error is not None:
        failing["database"] = db_error
    failing.update(await request.app.state.jobs.health())  # the broker, in Celery mode
    if failing:
        return JSONResponse({"status": "error", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/health", summary="Seed 000's health shape (always 200)")
async def seed_health(db: Db, settings: AppSettings) -> dict[str, str]:
    """``status`` is healthy when the database answers. ``model_api`` says whether an LLM
    provider is configured; Argus answers without one (built-in models), so unlike the seed it
    does not make the service unhealthy."""
    connected = await db.check() is None
    return {
        "status": "healthy" if connected else "unhealthy",
        "timestamp": datetime.now().isoformat(),
        "database": "connected" if connected else "disconnected",
        "model_api": "available" if settings.classify.providers else "not_configured",
    }
