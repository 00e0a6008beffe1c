"""Authentication dependencies: API keys (tenant), admin JWTs, rate limits.

Credentials come as ``Authorization: Bearer <secret>`` or ``X-API-Key: <secret>``. A bearer value
shaped like a JWT is tried as an admin token first. With no credentials the caller is the
``default`` tenant, unless keys are required: by default they are when the server listens on
anything but loopback (``auth.require_keys`` overrides).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request

from argus.api import state
from argus.errors import RateLimited, Unauthorized

if TYPE_CHECKING:
    from argus.auth.ratelimit import RateLimiter
    from argus.auth.tokens import AdminToken, TokenIssuer
    from argus.config import Settings
    from argus.store.db import Database

DEFAULT_TENANT = "default"
_PRINCIPAL_KEY = "argus_principal"

Check = TypeVar("Check", bound=Callable[[Request], Awaitable[Any]])
#: Dependencies that only look at the headers to accept or refuse a caller; the request guard
#: (:mod:`argus.api.guard`) runs a route's before its body is read.
AUTH_CHECKS: set[Callable[..., Any]] = set()


def auth_check(check: Check) -> Check:
    """Mark a dependency taking only the request as an auth check (see ``AUTH_CHECKS``)."""
    AUTH_CHECKS.add(check)
    return check


@dataclass(frozen=True)
class Principal:
    tenant: str
    key_id: int | None = None
    admin: AdminToken | None = None


@functools.lru_cache(maxsize=64)  # asked on every request without credentials
def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def keys_required(settings: Settings) -> bool:
    if settings.auth.require_keys is not None:
        return settings.auth.require_keys
    return not is_loopback(settings.host)


def credentials(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    return api_key or None


def _looks_like_jwt(secret: str) -> bool:
    return secret.count(".") == 2


@auth_check
async def principal(request: Request) -> Principal:
    """The caller; raises 401 for bad credentials or missing required ones, 429 over limit.

    Worked out once per request (the guard's early check and the route's dependency share it).
    """
    known = request.scope.get(_PRINCIPAL_KEY)
    if isinstance(known, Principal):
        request.state.tenant = known.tenant
        return known
    parts = state.services(request)
    caller = await _identify(request, parts.settings, parts.db, parts.tokens, parts.rate_limiter)
    request.scope[_PRINCIPAL_KEY] = caller
    request.state.tenant = caller.tenant
    return caller


async def _identify(
    request: Request,
    settings: Settings,
    db: Database,
    issuer: TokenIssuer,
    limiter: RateLimiter,
) -> Principal:
    secret = credentials(request)
    if secret is None:
        if keys_required(settings):
            raise Unauthorized(
                "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
            )
        return Principal(DEFAULT_TENANT)
    if _looks_like_jwt(secret):
        admin = issuer.check(secret)
        if admin is None:
            raise Unauthorized("The admin token is invalid, expired or logged out.")
        return Principal(DEFAULT_TENANT, admin=admin)
    from argus.store import keys

    key = await keys.verify(db, secret=secret)
    if key is None:
        raise Unauthorized("The API key is unknown or revoked.")
    per_minute = key.rate_limit_per_min or settings.auth.rate_limit_per_min
    retry_after = limiter.acquire(f"key:{key.id}", per_minute)
    if retry_after is not None:
        raise RateLimited(retry_after)
    return Principal(key.tenant, key_id=key.id)


@auth_check
async def admin_principal(request: Request) -> Principal:
    """Only a valid admin token passes."""
    secret = credentials(request)
    issuer = state.services(request).tokens
    admin = issuer.check(secret) if secret and _looks_like_jwt(secret) else None
    if admin is None:
        raise Unauthorized("Admin login required: POST /api/v1/auth/login for a token.")
    return Principal(DEFAULT_TENANT, admin=admin)


async def tenant_of(caller: Annotated[Principal, Depends(principal)]) -> str:
    return caller.tenant


Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(admin_principal)]
Tenant = Annotated[str, Depends(tenant_of)]
