"""Start-up stays light: importing the CLI and the app pulls in no model runtime or optional SDK.

``argus serve`` imports ``argus.cli.main`` and ``argus.api.app`` before ``/health`` can answer;
the heavy modules (model runtimes, OpenCV, video codecs, SciPy, FAISS, Celery, scikit-learn,
Alembic, the LLM SDKs, the HTTP client, CLIP's tokenizer) are imported by the code that uses
them, when it first runs. Parsing ``argus``'s command line imports no part of the server
(every worker of ``argus serve --workers N`` re-imports it), importing the app leaves the
composition root and the layers below it to ``create_app``, and the ``--workers`` supervisor
restarting on a current database imports neither the app nor SQLAlchemy. Each check runs in a
fresh interpreter, so modules imported by other tests cannot hide a regression.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from argus.api.workers import migrate_before_workers
from argus.config import Settings

HEAVY = (
    "onnxruntime",
    "cv2",
    "dlib",
    "faiss",
    "celery",
    "sklearn",
    "scipy",
    "alembic",
    "av",
    "skimage",
    "openai",
    "anthropic",
    "httpx",
    "tokenizers",
)


#: What the command line, and the app before ``create_app``, leave to the code that runs.
SERVER_PARTS = (
    "argus.compose",
    "argus.pipelines",
    "argus.jobs",
    "argus.models",
    "argus.imaging",
    "numpy",
    "PIL",
)
#: What only a running app needs: the ``--workers`` supervisor imports none of it.
APP_STACK = ("argus.api.app", "fastapi", "starlette", "sqlalchemy", *SERVER_PARTS)


def _imported_after(code: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Those of ``modules`` present in ``sys.modules`` after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_importing_the_cli_and_the_app_imports_no_heavy_module() -> None:
    assert _imported_after("import argus.cli.main, argus.api.app") == []


def test_building_the_app_imports_no_heavy_module() -> None:
    code = "from argus.api.app import create_app\nfrom argus.config import Settings\n"
    code += "create_app(Settings(offline=True))"
    assert _imported_after(code) == []


def test_restarting_the_app_imports_no_heavy_module(tmp_path: Path) -> None:
    """The lifespan builds and starts every service before ``/health`` can answer: on a
    database already migrated (a restart; the first launch runs Alembic) none of them imports a
    heavy module (FAISS's thread count waits for the first gallery index)."""
    migrate_before_workers(Settings(data_dir=tmp_path / "data", offline=True))
    code = (
        "import asyncio\nfrom argus.api.app import create_app\nfrom argus.config import Settings\n"
        f"app = create_app(Settings(data_dir={str(tmp_path / 'data')!r}, offline=True))\n"
        "async def main():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        assert app.state.services is not None\n"
        "asyncio.run(main())"
    )
    assert _imported_after(code) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check itself can fail: a module that imports OpenCV's reader shows up."""
    assert _imported_after("import argus.runtime.opencv") == ["cv2"]


def test_the_console_script_imports_nothing_until_it_runs() -> None:
    """Each ``--workers`` process re-runs the ``argus`` script as its main module without calling
    it: importing its entry point must cost nothing, not even the command line."""
    script = Path(sys.executable).with_name("argus").read_text()
    assert "from argus.cli.entry import main" in script, "an old script: run `make venv`"
    code = "import argus.cli.entry"
    assert _imported_after(code, ("argus.cli.main", "typer", "click", "rich", *APP_STACK)) == []


def test_parsing_the_command_line_imports_no_part_of_the_server() -> None:
    code = "import argus.cli.main"
    assert _imported_after(code, APP_STACK) == []


def test_every_command_is_still_there() -> None:
    """The commands are registered without importing their machinery."""
    code = (
        "import json, typer, argus.cli.main\n"
        "group = typer.main.get_group(argus.cli.main.app)\n"
        "print(json.dumps(sorted(group.commands)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120
    )
    commands = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert {"serve", "worker", "config", "doctor", "models", "keys", "admin", "db"} <= commands
    assert {"classify", "anonymize", "collections", "caption-folder", "faces"} <= commands


def test_importing_the_app_leaves_the_composition_root_to_create_app() -> None:
    assert _imported_after("import argus.api.app", SERVER_PARTS) == []
    code = "from argus.api.app import create_app\nfrom argus.config import Settings\n"
    code += "create_app(Settings(offline=True))"
    assert "argus.compose" in _imported_after(code, SERVER_PARTS)


def test_the_workers_supervisor_migrates_a_new_database_in_a_child(tmp_path: Path) -> None:
    """The first launch of ``argus serve --workers N``: the database is created at the newest
    migration, and SQLAlchemy, Alembic and the app stay out of the supervisor, which lives as
    long as the server."""
    from argus.store.revision import sqlite_file_at_head

    settings = Settings(data_dir=tmp_path / "data", offline=True)
    code = (
        "import argus.cli.main, uvicorn.supervisors\n"
        "from argus.api.workers import migrate_before_workers\n"
        "from argus.config import Settings\n"
        f"migrate_before_workers(Settings(data_dir={str(settings.data_dir)!r}, offline=True))"
    )
    assert _imported_after(code, (*APP_STACK, "alembic")) == []
    assert sqlite_file_at_head(settings.resolved_database_url)


def test_the_workers_supervisor_restarting_imports_neither_the_app_nor_sqlalchemy(
    tmp_path: Path,
) -> None:
    """``argus serve --workers N`` on a database already migrated: the supervisor reads the
    settings, sees the database is current and starts Uvicorn's supervisor, nothing more."""
    settings = Settings(data_dir=tmp_path / "data", offline=True)
    migrate_before_workers(settings)  # the first launch: creates and migrates the database
    code = (
        "import argus.cli.main, uvicorn.supervisors\n"
        "from argus.api.workers import migrate_before_workers\n"
        "from argus.config import Settings\n"
        f"migrate_before_workers(Settings(data_dir={str(settings.data_dir)!r}, offline=True))"
    )
    assert _imported_after(code, APP_STACK) == []
