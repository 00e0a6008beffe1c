"""Seed 000's admin login: ``POST /api/v1/auth/login`` and ``/logout``, with its error bodies."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from argus.api.deps import Admin, AppSettings
from argus.api.schemas.auth import LoginRequest, LoginResponse
from argus.auth.passwords import verify_password
from argus.auth.tokens import TokenIssuer

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

BAD_CREDENTIALS = "用户名或密码错误"  # seed 000's message: "wrong user name or password"


@router.post(
    "/login",
    response_model=LoginResponse,
    responses={401: {"description": "Wrong user name or password (seed body: {detail})"}},
)
async def login(body: LoginRequest, request: Request, settings: AppSettings) -> JSONResponse:
    stored = settings.auth.admin_password_hash
    ok = (
        stored is not None
        and body.username == settings.auth.admin_username
        and verify_password(body.password, stored.get_secret_value())
    )
    if not ok:
        return JSONResponse(
            {"detail": BAD_CREDENTIALS}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    issuer: TokenIssuer = request.app.state.tokens
    token, ttl = issuer.issue(body.username)
    return JSONResponse(LoginResponse(access_token=token, expires_in=ttl).model_dump())


@router.post("/logout")
async def logout(admin: Admin, request: Request) -> dict[str, str]:
    issuer: TokenIssuer = request.app.state.tokens
    assert admin.admin is not None
    issuer.revoke(admin.admin)
    return {"message": "登出成功"}  # seed 000: "logged out"
