"""Seed 003's routes: ``POST /analyze_image/``, ``POST /analyze_image_upload/``,
``GET /available_operations/`` (trailing slashes as the seed has them).

Errors keep the seed's ``{"detail": ...}`` shape. An image URL that cannot be fetched (refused by
the SSRF guard, unreachable, HTTP error, timed out) answers 400 ``Could not download image from
URL: ...`` (413 when it is over the size limit); an image that cannot be decoded answers
``Could not process image: ...`` with 400 (also for a file that is not an image at all; 413
for too many pixels). That is the seed README's documented behaviour; the seed's code answered
200 with every task in error, which the contracts treat as a bug. A malformed ``tasks_json``
answers 400 ``Invalid tasks JSON format or structure: ...``. When the client disconnects, the
task graph stops at its next task or model call (:mod:`argus.api.disconnect`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from argus.api import jsonform
from argus.api.auth import principal
from argus.api.deps import AnalyzerDep, AppSettings, Pool, Tenant
from argus.api.disconnect import cancel_on_disconnect
from argus.api.seeds import analysis as seed003
from argus.api.seeds.analysis import (
    AnalysisResponse,
    AnalysisTask,
    AnalyzeImageRequest,
    AvailableOperations,
)
from argus.api.seeds.routing import seed_route_class
from argus.api.uploads import read_bounded
from argus.config import Settings
from argus.config.units import mb_to_bytes
from argus.errors import ArgusError
from argus.net.fetch import fetch

if TYPE_CHECKING:
    from argus.pipelines.analysis import Analyzer, TaskSpec


router = APIRouter(
    tags=["analysis (seed 003)"], route_class=seed_route_class(), dependencies=[Depends(principal)]
)
_TASKS = TypeAdapter(list[AnalysisTask])


def _specs(tasks: list[AnalysisTask]) -> list[TaskSpec]:
    from argus.pipelines.analysis import TaskSpec

    return [TaskSpec(t.operation_id, t.type, dict(t.params or {})) for t in tasks]


def _too_many(tasks: list[Any], settings: Settings) -> JSONResponse | None:
    """413 for a task list longer than ``analysis.max_tasks``, before any work."""
    most = settings.analysis.max_tasks
    if len(tasks) <= most:
        return None
    return seed003.too_many_tasks(len(tasks), most)


async def _run(
    request: Request,
    service: Analyzer,
    image_url: str,
    data: bytes,
    tasks: list[TaskSpec],
    tenant: str,
) -> Any:
    try:
        picture = await service.decode(data)
    except ArgusError as exc:
        return seed003.failure(seed003.NOT_PROCESSED, exc)
    async with cancel_on_disconnect(request) as progress:
        results = await service.run(picture, tasks, tenant=tenant, progress=progress)
    return seed003.render_results(image_url, results)


@router.post(
    "/analyze_image/",
    response_model=AnalysisResponse,
    summary="Run a task list on the image at a URL",
)
async def analyze_image(
    body: AnalyzeImageRequest,
    request: Request,
    settings: AppSettings,
    pool: Pool,
    tenant: Tenant,
    service: AnalyzerDep,
) -> Any:
    if (refused := _too_many(body.tasks, settings)) is not None:
        return refused
    url = str(body.image_url)
    max_bytes = mb_to_bytes(settings.imaging.max_image_mb)
    try:
        fetched = await fetch(url, settings.analysis, max_bytes=max_bytes)
    except ArgusError as exc:
        return seed003.failure(seed003.NOT_DOWNLOADED, exc)
    return await _run(request, service, url, fetched.data, _specs(body.tasks), tenant)


@router.post(
    "/analyze_image_upload/",
    response_model=AnalysisResponse,
    summary="Run a task list on an uploaded image",
)
async def analyze_image_upload(
    request: Request,
    settings: AppSettings,
    pool: Pool,
    tenant: Tenant,
    service: AnalyzerDep,
    image_file: UploadFile = File(..., description="The image."),
    tasks_json: str = Form(..., description="JSON list of tasks, as `tasks` of /analyze_image/."),
) -> Any:
    try:
        tasks = _TASKS.validate_python(jsonform.loads(tasks_json))
    except (ValueError, ValidationError) as exc:
        return seed003.bad_tasks(exc)
    if (refused := _too_many(tasks, settings)) is not None:
        return refused
    max_bytes = mb_to_bytes(settings.imaging.max_image_mb)
    data = await read_bounded(image_file, max_bytes)
    if len(data) > max_bytes:
        return seed003.too_large(settings.imaging.max_image_mb)
    name = f"uploaded:{image_file.filename or 'image'}"
    return await _run(request, service, name, data, _specs(tasks), tenant)


@router.get(
    "/available_operations/",
    response_model=AvailableOperations,
    summary="Operations, their targets and default targets",
)
async def list_operations() -> Any:
    from argus.pipelines.analysis import operations

    return seed003.available_operations(operations())
