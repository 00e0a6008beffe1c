"""`argus`: serve, inspect configuration, check the install, manage models.

Parsing the command line imports only Typer, Rich and the command modules, which import their
machinery (the composition root, the pipelines, the app) inside the command that runs: a
``--help`` is quick, and ``argus serve --workers N``'s supervisor, which only reads the settings,
migrates and starts Uvicorn, never imports the app (its spawned workers re-import this module as
their ``__main__``, so it stays light for them too).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from argus.cli import admin as admin_cmd
from argus.cli import anonymize as anonymize_cmd
from argus.cli import caption_folder as caption_folder_cmd
from argus.cli import classify as classify_cmd
from argus.cli import collections as collections_cmd
from argus.cli import doctor as doctor_cmd
from argus.cli import faces as faces_cmd
from argus.cli import models as models_cmd

if TYPE_CHECKING:
    from argus.config import Settings

app = typer.Typer(
    help="Argus: self-hosted image understanding, offline first.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(models_cmd.app, name="models")
app.add_typer(admin_cmd.keys_app, name="keys")
app.add_typer(admin_cmd.admin_app, name="admin")
app.add_typer(admin_cmd.db_app, name="db")
app.command("classify")(classify_cmd.classify)
app.command("anonymize")(anonymize_cmd.anonymize_command)
app.add_typer(collections_cmd.app, name="collections")
app.command("caption-folder")(caption_folder_cmd.caption_folder)
app.add_typer(faces_cmd.app, name="faces")
console = Console()


def load_settings() -> Settings:
    """The settings from the environment and ``.env``, as :func:`argus.compose.services.
    load_settings` reads them, without importing the composition root."""
    from argus.config import Settings

    return Settings()


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Listen address (default ARGUS_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default ARGUS_PORT or 8000)."),
    pull: list[str] = typer.Option(
        [], "--pull", help="Pull (or convert) this model before serving; repeatable."
    ),
    workers: int | None = typer.Option(
        None,
        min=1,
        help="Server processes sharing the port and the database (default ARGUS_WORKERS or 1); "
        "one per core uses every core for model work.",
    ),
) -> None:
    """Run the HTTP server on the configured host and port."""
    import uvicorn

    from argus.api import gcpause
    from argus.api.server import uvicorn_options

    settings = load_settings()
    overrides = {
        k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None
    }
    if overrides:
        settings = settings.model_copy(update=overrides)
    for name in pull:
        _pull_before_serving(name, settings)
    gcpause.pause()  # resumed once started (by the app's lifespan, or the workers' supervisor)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    processes = f", {settings.workers} worker processes" if settings.workers > 1 else ""
    console.print(f"Argus on http://{settings.host}:{settings.port}{processes}  (docs at /docs)")
    if settings.workers > 1:
        from argus.api.workers import run_workers

        run_workers(settings)
        return
    from argus.api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        **uvicorn_options(settings),
    )


def _pull_before_serving(name: str, settings: Settings) -> None:
    from argus.errors import ArgusError
    from argus.models import hub
    from argus.models.convert.install import converted_specs, install_converted

    console.print(f"pulling {name} ...")
    try:
        if name in {s.name for s in converted_specs()}:
            [result] = install_converted(settings, [name])
            if not result.ok:
                console.print(f"[red]{name} not installed[/red]: {result.detail}")
                raise typer.Exit(2)
        else:
            hub.pull(name, settings)
    except ArgusError as exc:
        console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"[green]ready[/green] {name}")


@app.command()
def worker(
    concurrency: int | None = typer.Option(
        None, help="Jobs run at once by this worker (default ARGUS_JOBS__WORKERS)."
    ),
    loglevel: str | None = typer.Option(None, help="Log level (default ARGUS_LOG_LEVEL)."),
) -> None:
    """Run a Celery worker (threads pool) for jobs; needs ARGUS_JOBS__EXECUTOR=celery on the
    server and the same database, data dir and ARGUS_JOBS__BROKER_URL on both."""
    import functools

    from argus.compose import services as compose
    from argus.jobs.celery_app import run_worker

    settings = load_settings()
    level = (loglevel or settings.log_level).upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    build = functools.partial(compose.worker_context, settings)
    run_worker(settings, build=build, concurrency=concurrency, loglevel=level)


@app.command()
def config() -> None:
    """Print the effective settings as JSON (secrets masked)."""
    typer.echo(json.dumps(load_settings().masked(), indent=2))


@app.command()
def doctor() -> None:
    """What is installed, which execution providers, which models load, free memory."""
    ok = doctor_cmd.run(load_settings(), console)
    raise typer.Exit(0 if ok else 1)


if __name__ == "__main__":
    app()
