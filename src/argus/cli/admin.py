"""`argus keys ...`, `argus admin set-password` and `argus db upgrade|current`."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.store.db import Database


T = TypeVar("T")
console = Console()
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
admin_app = typer.Typer(help="The admin login.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


def with_db(
    work: Callable[[Database], Awaitable[T]],
    *,
    upgrade: bool = True,
    settings: Settings | None = None,
) -> T:
    """Run ``work`` against the configured database (migrated first on SQLite)."""
    from argus.compose import services as compose

    async def main() -> T:
        db = await compose.open_database(settings or compose.load_settings(), upgrade=upgrade)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


@keys_app.command("create")
def create_key(
    tenant: str = typer.Option("default", help="Tenant the key belongs to."),
    name: str = typer.Option(..., help="A label for people (who or what uses the key)."),
    rate_limit: int | None = typer.Option(None, help="Requests per minute (default: global)."),
) -> None:
    """Create a key and print its secret (shown once)."""
    from argus.store import keys as key_store

    row, secret = with_db(
        lambda db: key_store.create(db, tenant=tenant, name=name, rate_limit_per_min=rate_limit)
    )
    console.print(f"key {row.id} for tenant '{row.tenant}' ({row.name}):")
    typer.echo(secret)


@keys_app.command("list")
def list_keys(tenant: str | None = typer.Option(None, help="Only this tenant.")) -> None:
    from argus.store import keys as key_store

    rows = with_db(lambda db: key_store.list_keys(db, tenant=tenant))
    table = Table("id", "tenant", "name", "prefix", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            str(r.id),
            r.tenant,
            r.name,
            r.prefix + "…",
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "",
            f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "",
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: int = typer.Argument(..., help="Key id from `argus keys list`.")) -> None:
    from argus.store import keys as key_store

    if not with_db(lambda db: key_store.revoke(db, key_id=key_id)):
        console.print(f"[red]no live key with id {key_id}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked key {key_id}")


def _update_env_file(path: Path, name: str, value: str) -> None:
    lines = path.read_text().splitlines() if path.exists() else []
    lines = [ln for ln in lines if not ln.startswith(f"{name}=")]
    lines.append(f"{name}='{value}'")
    path.write_text("\n".join(lines) + "\n")


@admin_app.command("set-password")
def set_password(
    env_file: Path | None = typer.Option(
        None, help="Write the hash into this .env file instead of printing it."
    ),
    password_stdin: bool = typer.Option(False, help="Read the password from standard input."),
) -> None:
    """Hash a new admin password (bcrypt) for ARGUS_AUTH__ADMIN_PASSWORD_HASH."""
    from argus.auth.passwords import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("New admin password: ")
        if getpass.getpass("Again: ") != password:
            console.print("[red]the passwords differ[/red]")
            raise typer.Exit(1)
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    name = "ARGUS_AUTH__ADMIN_PASSWORD_HASH"
    if env_file is not None:
        _update_env_file(env_file, name, hashed)
        console.print(f"wrote {name} to {env_file}")
    else:
        typer.echo(f"{name}='{hashed}'")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the configured database to the newest schema."""
    with_db(lambda db: db.upgrade(), upgrade=False)
    console.print("database is at the newest schema")


@db_app.command("current")
def db_current() -> None:
    """Print the migration the database is at."""
    typer.echo(with_db(lambda db: db.current_revision(), upgrade=False) or "(empty database)")
