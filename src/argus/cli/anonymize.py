"""`argus anonymize PATH... --out DIR`: hide plates and/or faces in files and folders.

The same pipeline as the ``anonymize`` job kind (:mod:`argus.pipelines.anonymize`), run in this
process with a Rich progress bar on stderr; no server, database or job is involved. Folders are
searched recursively for images; files named explicitly are always tried. Each result is written
to ``DIR/covered_<stem>.<ext>`` (never overwriting: a second ``photo`` becomes
``covered_photo-1.webp``). Standard output gets one line per file (the result's name and what
was hidden, or the error), paths shown relative to the inputs' common folder, then a summary line
on standard error; ``--json`` prints every file's result or error and its detections as JSON
instead. The exit status is 1 when any file failed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from argus.cli.classify import collect
from argus.config import Settings
from argus.errors import ArgusError
from argus.imaging.decode import decode
from argus.models.pool import ModelPool
from argus.pipelines.anonymize import AnonymizeOptions, anonymize, encode_result, result_name
from argus.store.files import numbered


def plan_names(files: list[Path], out: Path, fmt: str) -> list[str]:
    """Result names in input order, none reused and none already in ``out``: the second
    ``photo`` gets ``covered_photo-1.webp`` whichever finishes first."""
    taken = {p.name for p in out.iterdir()} if out.is_dir() else set()
    names: list[str] = []
    for path in files:
        base = result_name(path.name, fmt)  # type: ignore[arg-type]
        n = 0
        while numbered(base, n) in taken:
            n += 1
        taken.add(numbered(base, n))
        names.append(numbered(base, n))
    return names


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    n = 0
    while True:
        path = folder / numbered(name, n)
        try:
            with path.open("xb") as f:
                f.write(data)
        except FileExistsError:
            n += 1
            continue
        return path


def _one(
    pool: ModelPool, settings: Settings, options: AnonymizeOptions, path: Path, target: Path
) -> dict[str, Any]:
    row: dict[str, Any] = {"path": str(path)}
    try:
        picture = decode(path.read_bytes(), settings.imaging)
        done = anonymize(pool, settings, picture.pixels, options)
        data = encode_result(done.image, options.format, settings.anonymize.webp_quality)
        written = _write_new(target.parent, target.name, data)
        row.update(output=str(written), detections=done.detections.to_list(), error=None)
    except ArgusError as exc:
        row.update(output=None, detections=[], error=exc.message)
    except OSError as exc:
        row.update(output=None, detections=[], error=str(exc))
    return row


def _shown(paths: list[Path]) -> list[str]:
    """Paths relative to their common folder (short lines), as given when there is none."""
    try:
        common = Path(os.path.commonpath([p.parent.resolve() for p in paths]))
        return [str(p.resolve().relative_to(common)) for p in paths]
    except ValueError:
        return [str(p) for p in paths]


def _line(shown: str, row: dict[str, Any]) -> str:
    """One file's line: ``photo.jpg -> covered_photo.webp (1 plate)`` or its error."""
    if row["error"]:
        return f"{shown}: failed: {row['error']}"
    counts = Counter(str(d.get("label", "object")) for d in row["detections"])
    found = ", ".join(f"{n} {label}{'s' if n > 1 else ''}" for label, n in sorted(counts.items()))
    return f"{shown} -> {Path(row['output']).name} ({found or 'nothing found'})"


def anonymize_command(
    paths: list[Path] = typer.Argument(..., help="Image files and folders (searched recursively)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the results (created)."),
    targets: str = typer.Option("plates", help="plates, faces or both."),
    mode: str | None = typer.Option(
        None, help="cover, blur, pixelate or solid (default: cover plates, blur faces)."
    ),
    strength: float = typer.Option(1.0, help="Scales blur radius and pixel blocks."),
    output_format: str = typer.Option("webp", "--format", help="webp, png or jpeg."),
    concurrency: int = typer.Option(2, "--concurrency", "-j", min=1, help="Images at once."),
    as_json: bool = typer.Option(
        False, "--json", help="Print every file's result and detections as JSON."
    ),
) -> None:
    """Hide licence plates and/or faces; results as covered_<stem>.webp in --out."""
    try:
        options = AnonymizeOptions.model_validate(
            {"targets": targets, "mode": mode, "strength": strength, "format": output_format}
        )
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="options") from None
    files = collect(paths)
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    pool = ModelPool(settings)
    console = Console(stderr=True)
    rows: list[dict[str, Any]] = []
    columns = (TextColumn("anonymize"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with (
            Progress(*columns, console=console) as bar,
            ThreadPoolExecutor(max_workers=concurrency) as workers,
        ):
            task = bar.add_task("anonymize", total=len(files))
            names = plan_names(files, out, options.format)
            futures = [
                workers.submit(_one, pool, settings, options, path, out / name)
                for path, name in zip(files, names, strict=True)
            ]
            for future in futures:
                rows.append(future.result())
                bar.advance(task)
    finally:
        pool.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        out_console = Console(highlight=False)
        for shown, row in zip(_shown(files), rows, strict=True):
            out_console.print(_line(shown, row), markup=False)
    failed = sum(1 for r in rows if r["error"])
    console.print(f"{len(rows) - failed} anonymized, {failed} failed -> {out}")
    if failed:
        raise typer.Exit(1)
