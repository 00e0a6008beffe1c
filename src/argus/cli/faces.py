"""`argus faces enrol GALLERY NAME IMAGES...` and `argus faces identify GALLERY IMAGES...`.

Both work on the configured database directly (no server needed), with the same face pipeline
and quality checks as the HTTP API; a server running on the same database sees the change on
its next identify (the gallery's revision tells it to rebuild its index).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from argus.cli.admin import with_db

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.errors import ArgusError
    from argus.imaging import Picture
    from argus.pipelines.galleries import GalleryService, Identification
    from argus.store.db import Database


app = typer.Typer(help="Face galleries: enrol people, identify faces.", no_args_is_help=True)
console = Console()

TENANT = typer.Option("default", help="Tenant owning the gallery.")
STRICT = typer.Option(True, help="Refuse faces failing a quality check (--no-strict: use them).")


def _service(db: Database, settings: Settings) -> GalleryService:
    from argus.compose import services as compose

    faces = compose.face_pipeline(compose.model_pool(settings), settings)
    return compose.gallery_service(db, faces, settings)


def _read(path: Path, settings: Settings) -> Picture:
    from argus.imaging import decode

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"{path}: {exc.strerror}") from None
    return decode(data, settings.imaging)


def _fail(exc: ArgusError) -> typer.Exit:
    console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    return typer.Exit(2)


@app.command()
def enrol(
    gallery: str = typer.Argument(..., help="Gallery name (created when missing)."),
    name: str = typer.Argument(..., help="Subject name."),
    images: list[Path] = typer.Argument(..., help="Image files of that person."),
    tenant: str = TENANT,
    strict: bool = STRICT,
) -> None:
    """Enrol NAME in GALLERY from IMAGES (one face per image: the largest)."""
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.store import galleries as store

    settings = compose.load_settings()
    pictures = [(p.name, _read(p, settings)) for p in images]

    async def work(db: Database) -> None:
        service = _service(db, settings)
        if await store.get_gallery(db, tenant=tenant, name=gallery) is None:
            await service.create(tenant, gallery, threshold=None, model=None)
            console.print(f"created gallery '{gallery}' ({settings.faces.model})")
        result = await service.enrol(tenant, gallery, name, pictures, strict=strict)
        for f in result.faces:
            console.print(f"[green]enrolled[/green] {f.image_name}: face {f.id}")
        for image, exc in result.rejected:
            console.print(f"[yellow]rejected[/yellow] {image}: {exc.message}")

    try:
        with_db(work, settings=settings)
    except ArgusError as exc:
        raise _fail(exc) from None


@app.command()
def identify(
    gallery: str = typer.Argument(..., help="Gallery name."),
    images: list[Path] = typer.Argument(..., help="Images to identify (largest face each)."),
    tenant: str = TENANT,
    top_k: int = typer.Option(3, help="Matches shown per image."),
    strict: bool = STRICT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Who is the largest face of each image? ``unknown`` below the gallery's threshold."""
    from argus.compose import services as compose
    from argus.errors import ArgusError

    settings = compose.load_settings()

    async def work(db: Database) -> list[tuple[Path, Identification | ArgusError]]:
        service = _service(db, settings)
        out: list[tuple[Path, Identification | ArgusError]] = []
        for path in images:
            try:
                picture = _read(path, settings)
                out.append(
                    (
                        path,
                        await service.identify(
                            tenant, gallery, picture, top_k=top_k, strict=strict
                        ),
                    )
                )
            except ArgusError as exc:
                if exc.status == 404:
                    raise
                out.append((path, exc))
        return out

    try:
        results = with_db(work, settings=settings)
    except ArgusError as exc:
        raise _fail(exc) from None
    table = Table("image", "subject", "similarity", "threshold", "other matches")
    for path, found in results:
        row: dict[str, Any]
        if isinstance(found, ArgusError):
            row = {"image": str(path), "error": found.message}
            table.add_row(str(path), "[red]-[/red]", "", "", found.message)
        else:
            row = {
                "image": str(path),
                "subject": found.subject,
                "identified": found.identified,
                "similarity": found.similarity,
                "threshold": found.threshold,
                "matches": [m.__dict__ for m in found.matches],
            }
            others = ", ".join(f"{m.subject} {m.similarity:.3f}" for m in found.matches[1:])
            sim = "" if found.similarity is None else f"{found.similarity:.3f}"
            table.add_row(str(path), found.subject, sim, f"{found.threshold:.3f}", others)
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
    if not as_json:
        console.print(table)
