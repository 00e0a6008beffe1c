"""API keys, managed by the admin: create (the secret is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Response

from argus.api.deps import Admin, Db
from argus.api.schemas.auth import KeyCreate, KeyCreated, KeyInfo
from argus.errors import NotFound
from argus.store import keys

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


@router.post("", status_code=201, response_model=KeyCreated)
async def create_key(body: KeyCreate, db: Db, _: Admin) -> KeyCreated:
    row, secret = await keys.create(
        db, tenant=body.tenant, name=body.name, rate_limit_per_min=body.rate_limit_per_min
    )
    return KeyCreated(
        **KeyInfo.model_validate(row, from_attributes=True).model_dump(), secret=secret
    )


@router.get("", response_model=list[KeyInfo])
async def list_keys(db: Db, _: Admin, tenant: str | None = None) -> list[KeyInfo]:
    rows = await keys.list_keys(db, tenant=tenant)
    return [KeyInfo.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/{key_id}", status_code=204)
async def revoke_key(key_id: int, db: Db, _: Admin) -> Response:
    if not await keys.revoke(db, key_id=key_id):
        raise NotFound(f"No live API key with id {key_id}.")
    return Response(status_code=204)
