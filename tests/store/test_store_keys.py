"""API keys: the secret is shown once and never stored; revoked keys stop working."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from store_support import Run

from argus.store import keys
from argus.store.db import Database
from argus.store.tables import ApiKey


def test_a_created_key_verifies_and_records_its_use(run: Run) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        row, secret = await keys.create(
            db, tenant="acme", name="ci", scopes=["classify"], rate_limit_per_min=60
        )
        found = await keys.verify(db, secret=secret)
        again = await keys.get(db, key_id=row.id)
        return row, secret, found, again

    row, secret, found, again = run(body)
    assert secret.startswith("argus_") and len(secret) > 40
    assert row.prefix == secret[: len(row.prefix)] and len(row.prefix) < len(secret) // 2
    assert found is not None and found.id == row.id
    assert (found.tenant, found.name, found.scopes) == ("acme", "ci", ["classify"])
    assert found.rate_limit_per_min == 60
    assert row.last_used_at is None
    assert again is not None and again.last_used_at is not None


def test_wrong_or_empty_secrets_do_not_verify(run: Run) -> None:
    async def body(db: Database) -> list[Any]:
        _, secret = await keys.create(db, tenant="acme", name="ci")
        return [
            await keys.verify(db, secret=secret + "x"),
            await keys.verify(db, secret=secret[:-1]),
            await keys.verify(db, secret=""),
        ]

    assert run(body) == [None, None, None]


def test_the_plain_secret_is_never_stored(run: Run) -> None:
    async def body(db: Database) -> tuple[str, list[Any]]:
        _, secret = await keys.create(db, tenant="acme", name="ci")
        async with db.session() as session:
            rows = (await session.execute(select(ApiKey.__table__))).all()
        return secret, [value for row in rows for value in row]

    secret, values = run(body)
    assert values
    for value in values:
        assert secret not in str(value)
    assert keys.hash_secret(secret) in values


def test_revoked_keys_no_longer_verify(run: Run) -> None:
    async def body(db: Database) -> tuple[Any, ...]:
        row, secret = await keys.create(db, tenant="acme", name="old")
        _, other = await keys.create(db, tenant="acme", name="new")
        wrong_tenant = await keys.revoke(db, key_id=row.id, tenant="globex")
        revoked = await keys.revoke(db, key_id=row.id, tenant="acme")
        twice = await keys.revoke(db, key_id=row.id)
        return (
            wrong_tenant,
            revoked,
            twice,
            await keys.verify(db, secret=secret),
            await keys.verify(db, secret=other),
            await keys.list_keys(db, tenant="acme", include_revoked=False),
            await keys.list_keys(db, tenant="acme"),
        )

    wrong_tenant, revoked, twice, old, new, live, every = run(body)
    assert (wrong_tenant, revoked, twice) == (False, True, False)
    assert old is None
    assert new is not None and new.name == "new"
    assert [k.name for k in live] == ["new"]
    assert [(k.name, k.revoked) for k in every] == [("old", True), ("new", False)]


def test_lists_are_per_tenant(run: Run) -> None:
    async def body(db: Database) -> tuple[list[ApiKey], list[ApiKey]]:
        await keys.create(db, tenant="acme", name="a")
        await keys.create(db, tenant="globex", name="g")
        return await keys.list_keys(db, tenant="globex"), await keys.list_keys(db)

    globex, every = run(body)
    assert [k.name for k in globex] == ["g"]
    assert sorted(k.tenant for k in every) == ["acme", "globex"]


def test_last_used_is_refreshed_at_most_once_a_minute(run: Run) -> None:
    """A busy key does not cost one UPDATE per request: within the resolution the time stays."""

    async def body(db: Database) -> list[Any]:
        _, secret = await keys.create(db, tenant="acme", name="busy")
        first = await keys.verify(db, secret=secret)
        second = await keys.verify(db, secret=secret)
        return [first, second]

    first, second = run(body)
    assert first is not None and second is not None
    assert first.last_used_at is not None
    assert second.last_used_at == first.last_used_at
