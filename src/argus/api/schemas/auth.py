"""Shapes of the admin login (seed 000's) and the API-key management routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class SetupState(BaseModel):
    needed: bool = Field(description="True while no admin password exists (first run).")
    username: str = Field(description="The admin user name to sign in with.")


class SetupRequest(BaseModel):
    token: str = Field(min_length=1, max_length=128, description="From the server's log.")
    password: str = Field(min_length=8, max_length=72, description="The new admin password.")


class KeyCreate(BaseModel):
    tenant: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=128)
    rate_limit_per_min: int | None = Field(None, ge=1, le=1_000_000)


class KeyInfo(BaseModel):
    id: int
    tenant: str
    name: str
    prefix: str
    rate_limit_per_min: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyInfo):
    secret: str = Field(description="Shown once; only its SHA-256 is stored.")
