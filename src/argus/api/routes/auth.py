"""Seed 000's admin login: ``POST /api/v1/auth/login`` and ``/logout``, with its error bodies."""

from __future__ import annotations

import asyncio
import math

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from argus.api.deps import Admin, AppSettings
from argus.api.schemas.auth import LoginRequest, LoginResponse
from argus.auth.passwords import check_login
from argus.auth.throttle import LoginThrottle
from argus.auth.tokens import TokenIssuer

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

BAD_CREDENTIALS = "用户名或密码错误"  # seed 000's message: "wrong user name or password"


@router.post(
    "/login",
    response_model=LoginResponse,
    responses={
        401: {"description": "Wrong user name or password (seed body: {detail})"},
        429: {"description": "Too many failed logins from this address; see Retry-After"},
    },
)
async def login(body: LoginRequest, request: Request, settings: AppSettings) -> JSONResponse:
    """bcrypt runs in a thread (the server keeps answering meanwhile) and takes the same time
    for an unknown user; failures are throttled per address and user name."""
    throttle: LoginThrottle = request.app.state.login_throttle
    key = f"{request.client.host if request.client else '?'}\x00{body.username}"
    wait = throttle.retry_after(key)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        return JSONResponse(
            {"detail": f"Too many failed logins; retry in {seconds} s."},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    stored = settings.auth.admin_password_hash
    ok = await asyncio.to_thread(
        check_login,
        body.username,
        body.password,
        expected_user=settings.auth.admin_username,
        hashed=stored.get_secret_value() if stored is not None else None,
    )
    if not ok:
        throttle.failed(key)
        return JSONResponse(
            {"detail": BAD_CREDENTIALS}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    throttle.succeeded(key)
    issuer: TokenIssuer = request.app.state.tokens
    token, ttl = issuer.issue(body.username)
    return JSONResponse(LoginResponse(access_token=token, expires_in=ttl).model_dump())


@router.post("/logout")
async def logout(admin: Admin, request: Request) -> dict[str, str]:
    issuer: TokenIssuer = request.app.state.tokens
    assert admin.admin is not None
    issuer.revoke(admin.admin)
    return {"message": "登出成功"}  # seed 000: "logged out"
