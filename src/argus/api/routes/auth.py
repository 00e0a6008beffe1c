"""Seed 000's admin login: ``POST /api/v1/auth/login`` and ``/logout``, with its error bodies."""

from __future__ import annotations

import asyncio
import math

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from argus.api.deps import Admin, AdminPass, AppSettings, Throttle, Tokens
from argus.api.schemas.auth import LoginRequest, LoginResponse, SetupRequest, SetupState
from argus.auth.passwords import check_login
from argus.errors import InvalidInput

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
async def login(
    body: LoginRequest,
    request: Request,
    settings: AppSettings,
    throttle: Throttle,
    password: AdminPass,
    issuer: Tokens,
) -> JSONResponse:
    """bcrypt runs in a thread (the server keeps answering meanwhile) and takes the same time
    for an unknown user; failures are throttled per address and user name."""
    key = f"{request.client.host if request.client else '?'}\x00{body.username}"
    wait = throttle.retry_after(key)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        return JSONResponse(
            {"detail": f"Too many failed logins; retry in {seconds} s."},
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    stored = password.hash
    ok = await asyncio.to_thread(
        check_login,
        body.username,
        body.password,
        expected_user=settings.auth.admin_username,
        hashed=stored,
    )
    if not ok:
        throttle.failed(key)
        return JSONResponse(
            {"detail": BAD_CREDENTIALS}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    throttle.succeeded(key)
    token, ttl = issuer.issue(body.username)
    return JSONResponse(LoginResponse(access_token=token, expires_in=ttl).model_dump())


@router.get("/setup", response_model=SetupState, summary="Whether the admin password is set")
async def setup_state(password: AdminPass, settings: AppSettings) -> SetupState:
    return SetupState(needed=password.setup_needed, username=settings.auth.admin_username)


@router.post(
    "/setup",
    response_model=LoginResponse,
    summary="First run: set the admin password with the set-up token from the server's log",
    responses={
        403: {"description": "Wrong set-up token"},
        409: {"description": "The password is already set"},
    },
)
async def setup(
    body: SetupRequest, password: AdminPass, issuer: Tokens, settings: AppSettings
) -> LoginResponse:
    password.check_token(body.token)
    try:
        await asyncio.to_thread(password.set, body.token, body.password)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    token, ttl = issuer.issue(settings.auth.admin_username)
    return LoginResponse(access_token=token, expires_in=ttl)


@router.post("/logout")
async def logout(admin: Admin, issuer: Tokens) -> dict[str, str]:
    assert admin.admin is not None
    issuer.revoke(admin.admin)
    return {"message": "登出成功"}  # seed 000: "logged out"
