"""The admin console's API (``/api/v1/admin/...``, admin token only) and its page at ``/admin``.

``GET /overview`` gathers what the dashboard draws: requests per UTC day by capability (a route's
capability is its router tag, seed suffix dropped; platform routes such as auth, keys, models,
jobs, stats and this API are counted apart so the console's own polling does not move the
headline), latency percentiles per route from the request log, the result cache (hit rate =
hits / (hits + entries), each entry having been one miss), jobs by status, and seed 000's
classification figures computed by the stats routes' own functions. ``GET /jobs`` lists recent
jobs of every tenant. ``POST /models/{name}/pull`` starts ``argus.models.hub.pull`` in a background
thread (403 when offline, 409 while that model is already being pulled) and ``GET
/models/{name}/pull`` reports its progress; progress lives in this process only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from argus.api.deps import Admin, AppSettings, Db, Pool, Pulls
from argus.api.routes import admin_page
from argus.api.routes import stats as seed_stats
from argus.api.schemas.jobs import JobSummary
from argus.errors import ArgusError, NotFound, PullInProgress
from argus.store import cache, request_log
from argus.store import jobs as job_store

api = APIRouter(prefix="/api/v1/admin", tags=["admin"])

#: Router tags whose requests are the server's own plumbing, not a capability's work.
#: ``other`` is what the OpenAPI document leaves out: the console's page and assets.
PLATFORM_TAGS = frozenset({"admin", "auth", "keys", "models", "jobs", "service", "stats", "other"})


def capability_of_routes(request: Request) -> dict[str, str]:
    """Each API path template mapped to its capability (first tag, seed suffix dropped).

    Read from the OpenAPI document (built once per app), which lists every included route.
    """
    mapping: dict[str, str] = {}
    for path, operations in request.app.openapi().get("paths", {}).items():
        for operation in operations.values():
            tags = operation.get("tags") if isinstance(operation, dict) else None
            if tags:
                mapping[path] = str(tags[0]).split(" (")[0]
                break
    return mapping


async def _seed000(request: Request, db: Db, settings: AppSettings, admin: Admin) -> dict[str, Any]:
    """Seed 000's figures from the stats routes' functions; a note when they cannot answer."""
    try:
        requests = await seed_stats.requests(admin, db, days=7)
        cache_figures = await seed_stats.cache_stats(admin, db, settings)
        categories = await seed_stats.category_distribution(admin, db)
        methods = await seed_stats.inference_method(admin, db)
    except (ArgusError, AttributeError, TypeError) as exc:  # stats module absent or changed
        return {"available": False, "note": f"Seed 000 statistics unavailable: {exc}"}
    return {
        "available": True,
        "note": None,
        "requests": requests.data,
        "cache": cache_figures.data,
        "categories": categories.data,
        "inference_methods": methods.data,
    }


@api.get("/overview", summary="Everything the dashboard shows, in one answer")
async def overview(
    request: Request,
    db: Db,
    settings: AppSettings,
    admin: Admin,
    days: Annotated[int, Query(ge=1, le=90, description="Days back, today included.")] = 7,
) -> dict[str, Any]:
    capability = capability_of_routes(request)
    per_day = await request_log.daily_counts(db, days=days)
    by_day: list[dict[str, Any]] = []
    by_capability: dict[str, int] = defaultdict(int)
    platform = 0
    for day, routes in per_day.items():
        caps: dict[str, int] = defaultdict(int)
        for route, n in routes.items():
            cap = capability.get(route, "other")
            if cap in PLATFORM_TAGS:
                platform += n
                continue
            caps[cap] += n
            by_capability[cap] += n
        by_day.append({"day": day, "by_capability": dict(caps)})
    figures = await request_log.route_stats(db, window_s=days * 86400.0)
    totals = await cache.stats(db)
    lookups = totals.hits + totals.entries
    return {
        "days": days,
        "requests": {
            "total": sum(by_capability.values()),
            "platform": platform,
            "by_capability": dict(sorted(by_capability.items())),
            "by_day": by_day,
        },
        "latency": [{**asdict(r), "capability": capability.get(r.route, "other")} for r in figures],
        "cache": {
            "entries": totals.entries,
            "hits": totals.hits,
            "size_bytes": totals.size_bytes,
            "hit_rate": round(totals.hits / lookups, 4) if lookups else 0.0,
        },
        "jobs": await job_store.count_by_status(db),
        "seed000": await _seed000(request, db, settings, admin),
    }


@api.get("/jobs", response_model=list[JobSummary], summary="Recent jobs of every tenant")
async def recent_jobs(
    db: Db, _: Admin, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[JobSummary]:
    return [JobSummary.of(j) for j in await job_store.list_jobs(db, tenant=None, limit=limit)]


# --------------------------------------------------------------------------- model pulls


@api.post("/models/{name:path}/pull", status_code=202, summary="Start pulling a model")
async def start_pull(name: str, pool: Pool, pulls: Pulls, settings: AppSettings, _: Admin) -> Any:
    from argus.models import hub

    spec = pool.catalog.get(name)  # UnknownModel -> 404
    hub.refuse_if_offline(settings)  # DownloadsDisabled -> 403 with the reason
    current = pulls.get(spec.name)
    if current is not None and current.status == "running":
        raise PullInProgress(f"Model '{spec.name}' is already being pulled.")
    pulls.start(spec.name)
    return pulls.view(spec.name)


@api.get("/models/{name:path}/pull", summary="A pull's progress")
async def pull_progress(name: str, pulls: Pulls, _: Admin) -> Any:
    view = pulls.view(name)
    if view is None:
        raise NotFound(f"No pull of '{name}' was started since the server started.")
    return view


#: What ``create_app`` includes: this API and the page.
router = APIRouter()
router.include_router(api)
router.include_router(admin_page.router)
