"""Retention: prune the result cache and the request log within their configured bounds."""

from __future__ import annotations

from dataclasses import dataclass

from argus.config import RetentionSettings
from argus.config.units import mb_to_bytes
from argus.store import cache, request_log
from argus.store.db import Database

DAY_S = 86400.0


@dataclass(frozen=True)
class Pruned:
    cache_entries: int
    request_log_rows: int


async def prune(db: Database, *, settings: RetentionSettings) -> Pruned:
    """Apply every bound once; a bound of 0 is "keep"."""
    removed = await cache.prune(
        db,
        max_age_s=settings.cache_max_age_days * DAY_S or None,
        max_entries=settings.cache_max_entries or None,
        max_bytes=mb_to_bytes(settings.cache_max_mb) or None,
    )
    rows = 0
    if settings.request_log_days > 0:
        rows = await request_log.prune(db, max_age_s=settings.request_log_days * DAY_S)
    return Pruned(removed, rows)
