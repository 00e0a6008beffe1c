"""`argus anonymize PATH... --out DIR`: hide plates and/or faces in files and folders.

The same pipeline as the ``anonymize`` job kind (:mod:`argus.pipelines.anonymize`), run in this
process with a Rich progress bar on stderr; no server, database or job is involved. Folders are
searched recursively for images and videos; files named explicitly are always tried. Each result
is written to ``DIR/covered_<stem>.<ext>`` (never overwriting: a second ``photo`` becomes
``covered_photo-1.webp``). Videos (MP4/MOV, WebM, AVI, sniffed from their bytes) go through
:func:`argus.pipelines.anonymize_video.anonymize_video` into ``covered_<stem>.mp4`` with a
progress bar in frames, audio kept. Standard output gets one line per file (the result's name and
what was hidden, or the error), paths shown relative to the inputs' common folder, then a summary
line on standard error; ``--json`` prints every file's result or error and its detections as JSON
instead. The exit status is 1 when any file failed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from argus.cli.classify import IMAGE_SUFFIXES

if TYPE_CHECKING:  # the pipelines are imported by the command that runs them
    from argus.config import Settings
    from argus.models.pool import ModelPool
    from argus.pipelines.anonymize import AnonymizeOptions

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"})


def collect(paths: list[Path]) -> list[Path]:
    """Files as given, and the images and videos under each folder (sorted); missing paths
    raise."""
    found: list[Path] = []
    wanted = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in wanted)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise typer.BadParameter(f"{path} does not exist", param_hint="PATH")
    return found


def is_video(path: Path) -> bool:
    """Whether the file's first bytes are a video container (unreadable files are not)."""
    from argus.imaging.transcode import looks_like_video

    try:
        with path.open("rb") as f:
            return looks_like_video(f.read(4096))
    except OSError:
        return False


def plan_names(
    files: list[Path], out: Path, fmt: str, videos: frozenset[Path] = frozenset()
) -> list[str]:
    """Result names in input order, none reused and none already in ``out``: the second
    ``photo`` gets ``covered_photo-1.webp`` whichever finishes first (videos: ``.mp4``)."""
    from argus.pipelines.anonymize import result_name
    from argus.pipelines.anonymize_video import video_result_name
    from argus.store.files import numbered

    taken = {p.name for p in out.iterdir()} if out.is_dir() else set()
    names: list[str] = []
    for path in files:
        video = path in videos
        base = video_result_name(path.name) if video else result_name(path.name, fmt)  # type: ignore[arg-type]
        n = 0
        while numbered(base, n) in taken:
            n += 1
        taken.add(numbered(base, n))
        names.append(numbered(base, n))
    return names


def _write_new(folder: Path, name: str, data: bytes) -> Path:
    from argus.store.files import numbered

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


def _video(
    pool: ModelPool,
    settings: Settings,
    options: AnonymizeOptions,
    path: Path,
    target: Path,
    bar: Progress,
) -> dict[str, Any]:
    from argus.pipelines.anonymize_video import anonymize_video
    from argus.store.files import numbered

    task = bar.add_task(path.name, total=None)
    partial = target.with_name(f".partial-{os.getpid()}-{target.name}")
    try:
        done = anonymize_video(
            pool,
            settings,
            path,
            partial,
            options,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
        )
        n = 0
        while True:
            final = target.with_name(numbered(target.name, n))
            try:
                os.link(partial, final)  # never replaces an existing file
                break
            except FileExistsError:
                n += 1
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
        bar.remove_task(task)
    return {"output": str(final), "video": done.to_dict(), "detections": [], "error": None}


def _one(
    pool: ModelPool,
    settings: Settings,
    options: AnonymizeOptions,
    path: Path,
    target: Path,
    bar: Progress,
    video: bool,
) -> dict[str, Any]:
    from argus.errors import ArgusError
    from argus.imaging.decode import decode
    from argus.pipelines.anonymize import anonymize, encode_result

    row: dict[str, Any] = {"path": str(path)}
    try:
        if video:
            row.update(_video(pool, settings, options, path, target, bar))
            return row
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
    paths: list[Path] = typer.Argument(
        ..., help="Image and video files and folders (searched recursively)."
    ),
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
    """Hide licence plates and/or faces; results as covered_<stem>.webp (.mp4) in --out."""
    from pydantic import ValidationError

    from argus.compose import services as compose
    from argus.pipelines.anonymize import AnonymizeOptions

    try:
        options = AnonymizeOptions.model_validate(
            {"targets": targets, "mode": mode, "strength": strength, "format": output_format}
        )
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"], param_hint="options") from None
    files = collect(paths)
    out.mkdir(parents=True, exist_ok=True)
    settings = compose.load_settings()
    pool = compose.model_pool(settings)
    console = Console(stderr=True)
    rows: list[dict[str, Any]] = []
    columns = (TextColumn("anonymize"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with (
            Progress(*columns, console=console) as bar,
            ThreadPoolExecutor(max_workers=concurrency) as workers,
        ):
            task = bar.add_task("anonymize", total=len(files))
            videos = frozenset(p for p in files if is_video(p))
            names = plan_names(files, out, options.format, videos)
            futures = [
                workers.submit(_one, pool, settings, options, path, out / name, bar, path in videos)
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
