"""`argus caption-folder DIR [--force] [--max-length N]`: seed 003's ``caption_folder.py``.

Every image in ``DIR`` (``.jpg .jpeg .png .gif .bmp .tif .tiff .webp``, not recursive) gets a
``<name>.txt`` beside it holding one caption; images that already have one are skipped unless
``--force`` (``-f``). The caption comes from the same pipeline as ``describe_image`` on
``whole_image`` (the pulled captioner, else a configured LLM provider), run in this process
rather than through a running server; ``--max-length`` defaults to 50 tokens as the seed's
script did. A Rich progress bar shows the work; an image that cannot be read or captioned is
reported and the others still get theirs (the exit code is then 1).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from argus.config import Settings


console = Console()
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}


def images_in(folder: Path) -> list[Path]:
    """The images directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


async def _caption_all(
    settings: Settings, todo: list[Path], max_length: int, progress: Progress
) -> tuple[int, int]:
    from argus.api.seeds.analysis import problem_message
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.pipelines.analysis import TaskSpec

    pool = compose.model_pool(settings)
    analyzer = compose.analyzer(settings, pool)
    task = TaskSpec(
        "caption", "describe_image", {"target": "whole_image", "max_length": max_length}
    )
    bar = progress.add_task("captioning", total=len(todo))
    written = failed = 0
    try:
        for path in todo:
            progress.update(bar, description=path.name)
            try:
                result = (await analyzer.analyze(path.read_bytes(), [task], tenant="default"))[
                    "caption"
                ]
            except (ArgusError, OSError) as exc:
                message = exc.message if isinstance(exc, ArgusError) else str(exc)
                progress.console.print(f"[red]{path.name}[/red]: {message}")
                failed += 1
            else:
                if result.status == "success" and isinstance(result.data, str):
                    path.with_suffix(".txt").write_text(result.data, encoding="utf-8")
                    written += 1
                else:
                    why = "" if result.problem is None else problem_message(result.problem)
                    progress.console.print(f"[red]{path.name}[/red]: {why}")
                    failed += 1
            progress.advance(bar)
    finally:
        pool.close()
    return written, failed


def caption_folder(
    folder: Path = typer.Argument(..., help="Folder of images to caption."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing .txt captions."),
    max_length: int = typer.Option(50, "--max-length", min=1, help="Most tokens per caption."),
) -> None:
    """Write a .txt caption beside each image of a folder (seed 003's caption_folder.py)."""
    from argus.compose import services as compose
    from argus.pipelines.captions import captioner_installed

    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder", param_hint="FOLDER")
    settings = compose.load_settings()
    pool = compose.model_pool(settings)
    if not settings.classify.providers and not captioner_installed(settings, pool):
        name = settings.analysis.caption_model
        console.print(
            "[red]error[/red]: no captioning model is installed and no LLM provider is "
            f"configured; install one with: argus models pull {name}"
        )
        raise typer.Exit(2)
    images = images_in(folder)
    todo = [p for p in images if force or not p.with_suffix(".txt").exists()]
    skipped = len(images) - len(todo)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        written, failed = asyncio.run(_caption_all(settings, todo, max_length, progress))
    console.print(
        f"{written} captions written, {skipped} skipped (already captioned), {failed} failed"
    )
    if failed:
        raise typer.Exit(1)
