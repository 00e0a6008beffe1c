"""API keys: create (the secret is shown once), verify, list and revoke.

A secret looks like ``argus_<43 url-safe characters>``. Only its SHA-256 is stored, so a key is
found by hashing what the client sent and looking the hash up; the plain secret never reaches
the database. ``prefix`` (the first characters) is kept so lists can tell keys apart.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from argus.store.db import Database, rowcount
from argus.store.tables import ApiKey, utcnow

SECRET_PREFIX = "argus_"
PREFIX_LEN = 12


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a secret, as stored in ``api_keys.key_hash``."""
    return hashlib.sha256(secret.encode()).hexdigest()


#: ``last_used_at`` is refreshed at most this often, so a busy key is not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _stale(last_used: datetime | None, now: datetime) -> bool:
    return last_used is None or now - last_used >= LAST_USED_RESOLUTION


async def create(
    db: Database,
    *,
    tenant: str,
    name: str,
    scopes: Sequence[str] = (),
    rate_limit_per_min: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``tenant``; returns the row and the plain secret (shown to the user once)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        tenant=tenant,
        name=name,
        prefix=secret[:PREFIX_LEN],
        key_hash=hash_secret(secret),
        scopes=list(scopes),
        rate_limit_per_min=rate_limit_per_min,
        created_at=utcnow(),
    )
    async with db.session() as session, session.begin():
        session.add(row)
    return row, secret


async def verify(db: Database, *, secret: str, touch: bool = True) -> ApiKey | None:
    """The live key with this secret, or None (unknown or revoked); records ``last_used_at``."""
    if not secret:
        return None
    digest = hash_secret(secret)
    async with db.session() as session, session.begin():
        row = await session.scalar(
            select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        )
        now = utcnow()
        if row is not None and touch and _stale(row.last_used_at, now):
            row.last_used_at = now
    return row


async def get(db: Database, *, key_id: int) -> ApiKey | None:
    async with db.session() as session:
        return await session.get(ApiKey, key_id)


async def list_keys(
    db: Database, *, tenant: str | None = None, include_revoked: bool = True
) -> list[ApiKey]:
    """Keys, oldest first; all tenants when ``tenant`` is None."""
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    async with db.session() as session:
        return list(await session.scalars(query))


async def revoke(db: Database, *, key_id: int, tenant: str | None = None) -> bool:
    """Revoke a key (for good); False when there is no such live key (in that tenant)."""
    query = update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    if tenant is not None:
        query = query.where(ApiKey.tenant == tenant)
    async with db.session() as session, session.begin():
        result = await session.execute(query.values(revoked_at=utcnow()))
    return rowcount(result) > 0
