"""Seed 000's statistics routes, admin token required, with the seed's error bodies.

The code's routes (``/stats/today``, ``/cache-efficiency``, ``/category-distribution``,
``/inference-method``, ``/batch-cache``, ``/batch-classify``, ``/image-edit``,
``/download-count`` and its increments, ``/bound-users-count``, ``/member-count``) and the
README's (``/stats/requests``, ``/stats/cache``) all answer ``{"success": true, "data": ...}``.
Without an ``Authorization: Bearer`` header the answer is FastAPI 0.109's ``403 {"detail": "Not
authenticated"}``; a bad or expired token gets ``401 {"detail": "未授权：无效的认证凭证"}``.
Only ``POST /download-count/increment/public`` is open, as in the seed (its download page calls
it). Argus has no image editing and no WeChat accounts or memberships: those routes answer the
seed's shapes with no rows and zero counts. Days are UTC calendar days.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRouter

from argus.api.auth import auth_check
from argus.api.deps import Admin, AppSettings, Db
from argus.api.seeds.category import StatsResponse
from argus.api.seeds.routing import detail_body, seed_route_class
from argus.errors import ArgusError, Forbidden, InvalidInput, Unauthorized
from argus.store import cache, classify_log, usage_counters

NOT_AUTHENTICATED = "Not authenticated"
BAD_TOKEN = "未授权：无效的认证凭证"  # seed 000: "unauthorised: invalid credentials"


def _render(exc: ArgusError) -> Response:
    if isinstance(exc, Unauthorized):
        return JSONResponse(
            {"detail": BAD_TOKEN}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return detail_body(exc)


@auth_check
async def bearer_present(request: Request) -> None:
    """403 like FastAPI 0.109's HTTPBearer when no bearer credentials are sent at all."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Forbidden(NOT_AUTHENTICATED)


router = APIRouter(
    prefix="/api/v1/stats", tags=["stats (seed 000)"], route_class=seed_route_class(_render)
)
#: Every route but the public download increment; included into ``router`` at the end.
protected = APIRouter(route_class=seed_route_class(_render), dependencies=[Depends(bearer_present)])
DOWNLOAD_TYPES = ("android", "windows")
BAD_DOWNLOAD_TYPE = "download_type必须是android或windows"  # "must be android or windows"

Days = Annotated[int, Query(ge=1, le=365, description="Days back, today included.")]


def _ok(data: Any) -> StatsResponse:
    return StatsResponse(data=data)


@protected.get("/today", response_model=StatsResponse)
async def today(_: Admin, db: Db) -> StatsResponse:
    rows = await classify_log.since(db, start=classify_log.day_start())
    users = {r.user_id for r in rows if r.user_id}
    ips = {r.ip_address for r in rows if r.ip_address}
    classify = [r for r in rows if r.request_type in ("single_classify", "batch_classify")]
    methods = Counter(r.inference_method for r in classify if r.success)
    return _ok(
        {
            "unique_ips": len(ips),
            "unique_users": len(users),
            "classify": {
                "total": len(classify),
                "cached": methods["cache"],
                "llm_inference": methods["llm"] + methods["llm_fallback"],
                "local_inference": methods["local"] + methods["local_fallback"],
            },
            "image_edit": {"total": 0, "cached": 0, "llm_processed": 0},
        }
    )


async def _efficiency(db: Db, cost_per_call: float) -> dict[str, Any]:
    """Seed 000's cache figures. Every answer of the seed came from a paid LLM call; here only
    hits on answers an LLM gave save money, so ``cost_saved`` counts those alone (Argus adds
    ``paid_times_saved``); hits on offline answers count in ``times_saved`` but save nothing."""
    from argus.pipelines.photo_category import TASK

    answers = await classify_log.cached_answers(db, task=TASK)
    total_hits = sum(a.hit_count for a in answers)
    saved = sum(a.hit_count - 1 for a in answers)
    paid_saved = sum(a.hit_count - 1 for a in answers if a.paid)
    return {
        "total_cached_images": len(answers),
        "total_hits": total_hits,
        "times_saved": saved,
        "cost_saved": round(paid_saved * cost_per_call, 2),
        "paid_times_saved": paid_saved,
        "avg_hit_per_image": round(total_hits / len(answers), 2) if answers else 0.0,
        "max_hits": max((a.hit_count for a in answers), default=0),
    }


@protected.get("/cache-efficiency", response_model=StatsResponse)
async def cache_efficiency(_: Admin, db: Db, settings: AppSettings) -> StatsResponse:
    return _ok(await _efficiency(db, settings.classify.cost_per_api_call))


@protected.get("/category-distribution", response_model=StatsResponse)
async def category_distribution(_: Admin, db: Db) -> StatsResponse:
    from argus.pipelines.photo_category import TASK

    answers = await classify_log.cached_answers(db, task=TASK)
    confidences: dict[str, list[float]] = defaultdict(list)
    for answer in answers:
        confidences[answer.category].append(answer.confidence)
    total = len(answers)
    rows: list[dict[str, Any]] = [
        {
            "category": category,
            "count": len(values),
            "avg_confidence": round(sum(values) / len(values), 4),
            "percentage": round(100.0 * len(values) / total, 2),
        }
        for category, values in confidences.items()
    ]
    rows.sort(key=lambda r: (-int(r["count"]), str(r["category"])))
    return _ok(rows)


@protected.get("/inference-method", response_model=StatsResponse)
async def inference_method(_: Admin, db: Db) -> StatsResponse:
    rows = await classify_log.since(db, start=classify_log.day_start())
    return _ok(classify_log.method_counts(rows))


@protected.get("/batch-cache", response_model=StatsResponse)
async def batch_cache(_: Admin, db: Db, days: Days = 7) -> StatsResponse:
    rows = await classify_log.since(db, start=classify_log.day_start(days_back=days - 1))
    return _ok({"daily": classify_log.daily(rows, "batch_cache")})


@protected.get("/batch-classify", response_model=StatsResponse)
async def batch_classify(_: Admin, db: Db, days: Days = 7) -> StatsResponse:
    rows = await classify_log.since(db, start=classify_log.day_start(days_back=days - 1))
    return _ok({"daily": classify_log.daily(rows, "batch_classify")})


@protected.get("/requests", response_model=StatsResponse, summary="README: request statistics")
async def requests(_: Admin, db: Db, days: Days = 7) -> StatsResponse:
    rows = await classify_log.since(db, start=classify_log.day_start(days_back=days - 1))
    classify = [r for r in rows if r.request_type in ("single_classify", "batch_classify")]
    done = [r for r in classify if r.success]
    cached = sum(r.from_cache for r in done)
    return _ok(
        {
            "days": days,
            "total_requests": len(classify),
            "success_count": len(done),
            "fail_count": len(classify) - len(done),
            "from_cache": cached,
            "cache_hit_rate": round(cached / len(done), 4) if done else 0.0,
            "avg_processing_time_ms": (
                round(sum(r.processing_time_ms for r in done) / len(done), 2) if done else 0.0
            ),
            "unique_users": len({r.user_id for r in classify if r.user_id}),
            "unique_ips": len({r.ip_address for r in classify if r.ip_address}),
            "by_method": dict(Counter(r.inference_method for r in done)),
            "by_category": dict(Counter(r.category for r in done)),
            "llm_input_tokens": sum(r.input_tokens for r in classify),
            "llm_output_tokens": sum(r.output_tokens for r in classify),
            "llm_cost_usd": round(sum(r.cost_usd for r in classify), 6),
            "daily": classify_log.daily(rows, "single_classify"),
        }
    )


@protected.get("/cache", response_model=StatsResponse, summary="README: cache statistics")
async def cache_stats(_: Admin, db: Db, settings: AppSettings) -> StatsResponse:
    from argus.pipelines.photo_category import TASK

    figures = await _efficiency(db, settings.classify.cost_per_api_call)
    totals = await cache.stats(db, task=TASK)
    figures.update(
        size_bytes=totals.size_bytes, cost_per_api_call=settings.classify.cost_per_api_call
    )
    return _ok(figures)


@protected.get("/image-edit", response_model=StatsResponse, summary="No image editing: no rows")
async def image_edit(_: Admin, days: Days = 7) -> StatsResponse:
    # Seed 000 edits images through a paid third-party service; Argus has no image editing, so
    # the seed's {"daily": [...]} has no day (the seed lists only days with requests).
    return _ok({"daily": []})


def _download_type(value: str) -> str:
    if value not in DOWNLOAD_TYPES:
        raise InvalidInput(BAD_DOWNLOAD_TYPE)
    return value


async def _downloads(db: Db, download_type: str | None = None) -> dict[str, int]:
    """``{"android": n, "windows": m, "total": n + m}``, or ``{type: n}`` for one type."""
    kinds = [download_type] if download_type else list(DOWNLOAD_TYPES)
    counts = await usage_counters.totals(db, names=[f"download:{k}" for k in kinds])
    out = {k: counts[f"download:{k}"] for k in kinds}
    if not download_type:
        out["total"] = sum(out.values())
    return out


DownloadType = Annotated[str, Query(description="android or windows.")]


@protected.get("/download-count", response_model=StatsResponse, summary="Download counts")
async def download_count(
    _: Admin,
    db: Db,
    download_type: Annotated[str | None, Query(description="One type; all when absent.")] = None,
) -> StatsResponse:
    return _ok(await _downloads(db, download_type or None))


@protected.post("/download-count/increment", response_model=StatsResponse, summary="Count one")
async def increment_download(_: Admin, db: Db, download_type: DownloadType) -> StatsResponse:
    await usage_counters.increment(db, name=f"download:{_download_type(download_type)}")
    return _ok(await _downloads(db))


@router.post(
    "/download-count/increment/public",
    summary="Count one download (no auth)",
    responses={400: {"description": "download_type is neither android nor windows (seed 000)"}},
)
async def increment_download_public(db: Db, download_type: DownloadType) -> dict[str, bool]:
    await usage_counters.increment(db, name=f"download:{_download_type(download_type)}")
    return {"success": True}


@protected.get("/bound-users-count", response_model=StatsResponse, summary="Always 0 here")
async def bound_users_count(_: Admin) -> StatsResponse:
    # WeChat accounts bound to devices are out of Argus's scope: none is ever bound.
    return _ok({"bound_users_count": 0})


@protected.get("/member-count", response_model=StatsResponse, summary="Always 0 here")
async def member_count(_: Admin) -> StatsResponse:
    # WeChat membership payments are out of Argus's scope: there are no members.
    return _ok({"member_count": 0})


router.include_router(protected)
