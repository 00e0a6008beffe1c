"""`argus classify PATH...`: photo categories for files and folders, through the same pipeline.

Folders are searched recursively for images (by extension); files named explicitly are always
tried. Several images are classified at once (``--concurrency``), with a Rich progress bar on
stderr, and the results are written as JSON or CSV (stdout, or ``--output``) in input order.
The server's settings, database and result cache are used, so a photo classified here is a
cache hit for the HTTP API and the other way round. The exit status is 1 when any file failed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from argus.config import Settings


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".mpo", ".bmp", ".tif", ".tiff"}
CSV_FIELDS = [
    "path",
    "category",
    "confidence",
    "description",
    "inference_method",
    "engine",
    "from_cache",
    "city",
    "country_code",
    "error",
]


def collect(paths: list[Path]) -> list[Path]:
    """Files as given, and the images under each folder (sorted); missing paths raise."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise typer.BadParameter(f"{path} does not exist", param_hint="PATH")
    return found


async def _classify_all(
    settings: Settings, files: list[Path], concurrency: int, console: Console
) -> list[dict[str, Any]]:
    from argus.api.seeds.category import classification_data, message
    from argus.compose import services as compose
    from argus.errors import ArgusError

    db = await compose.open_database(settings)
    pool = compose.model_pool(settings)
    classifier = compose.photo_classifier(settings, pool, db)
    gate = asyncio.Semaphore(max(1, concurrency))
    results: list[dict[str, Any]] = [{} for _ in files]
    columns = (TextColumn("classify"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("classify", total=len(files))

            async def one(index: int, path: Path) -> None:
                async with gate:
                    row: dict[str, Any] = {"path": str(path)}
                    try:
                        data = await asyncio.to_thread(path.read_bytes)
                        outcome = await classifier.classify(data)
                        row.update(classification_data(outcome).model_dump())
                        row.pop("local_inference_result", None)
                        row["from_cache"] = outcome.from_cache
                        row["error"] = None
                    except (ArgusError, OSError) as exc:
                        row["error"] = message(exc) if isinstance(exc, ArgusError) else str(exc)
                    results[index] = row
                    bar.advance(task)

            await asyncio.gather(*(one(i, p) for i, p in enumerate(files)))
    finally:
        pool.close()
        await db.dispose()
    return results


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        location = row.get("location") or {}
        writer.writerow(
            {**row, "city": location.get("city"), "country_code": location.get("country_code")}
        )
    return buffer.getvalue()


def classify(
    paths: list[Path] = typer.Argument(..., help="Image files and folders (searched recursively)."),
    concurrency: int = typer.Option(2, "--concurrency", "-j", min=1, help="Images at once."),
    output_format: str = typer.Option("json", "--format", help="json or csv."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
) -> None:
    """Photo categories (seed 000's eight keys) for files and folders."""
    from argus.compose import services as compose

    if output_format not in ("json", "csv"):
        raise typer.BadParameter("choose json or csv", param_hint="--format")
    files = collect(paths)
    console = Console(stderr=True)
    rows = asyncio.run(_classify_all(compose.load_settings(), files, concurrency, console))
    text = (
        to_csv(rows) if output_format == "csv" else json.dumps(rows, ensure_ascii=False, indent=2)
    )
    if output is not None:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    else:
        typer.echo(text)
    failed = sum(1 for r in rows if r.get("error"))
    if failed:
        console.print(f"[red]{failed} of {len(rows)} files failed[/red]")
        raise typer.Exit(1)
