"""`argus models verify|remove`: check a model's files against its manifest and that it
loads; delete a pulled model.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from argus.config import Settings
from argus.errors import (
    InvalidInput,
    ModelLoadFailed,
    NotFound,
)
from argus.models.catalog import (
    KNOWN,
    Catalog,
    ConvertedSource,
    ModelSpec,
    PackageSource,
    file_path,
    model_dir_name,
)
from argus.models.convert.manifest import output_sha256
from argus.models.hub.integrity import sha256_file
from argus.models.hub.pull import STAGING


@dataclass(frozen=True)
class FileCheck:
    """One file of a model as found on disk."""

    key: str
    path: Path
    present: bool
    expected_sha256: str | None = None
    actual_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return self.present and (
            self.expected_sha256 is None or self.expected_sha256 == self.actual_sha256
        )

    @property
    def problem(self) -> str | None:
        if not self.present:
            return f"{self.key}: {self.path} is missing"
        if not self.ok:
            return (
                f"{self.key}: {self.path} is corrupted (sha256 {self.actual_sha256}, the manifest "
                f"says {self.expected_sha256})"
            )
        return None


@dataclass(frozen=True)
class VerifyReport:
    """What ``argus models verify`` found: each file, and whether the ONNX graphs load."""

    name: str
    builtin: bool
    root: Path | None
    files: tuple[FileCheck, ...]
    load_errors: tuple[str, ...] = ()
    problems_found: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        out = list(self.problems_found)
        out += [p for f in self.files if (p := f.problem) is not None]
        return out + list(self.load_errors)

    def summary(self) -> str:
        kind = "built-in" if self.builtin else "pulled"
        lines = [f"{self.name} ({kind}, {self.root or 'no folder'}):"]
        for f in self.files:
            state = "ok" if f.ok else ("missing" if not f.present else "CORRUPTED")
            checked = " sha256 checked" if f.expected_sha256 else ""
            lines.append(f"  {f.key}: {f.path.name} {state}{checked}")
        problems = self.problems()
        lines.append("  all good" if not problems else "  problems:")
        lines += [f"    - {p}" for p in problems]
        return "\n".join(lines)


def verify(name: str, settings: Settings, *, known: Sequence[ModelSpec] = KNOWN) -> VerifyReport:
    """Check a model's files (presence; sha256 where the manifest has one) and load its ONNX
    graphs with the runtime. Raises :class:`UnknownModel` for a name not in the catalog."""
    catalog = Catalog(settings.models_dir, tuple(known), converted_dir=settings.converted_dir)
    spec = catalog.get(name)
    builtin = isinstance(spec.source, PackageSource | ConvertedSource)
    root = catalog.root(spec)
    converted = isinstance(spec.source, ConvertedSource)
    if root is None or not root.is_dir() or (converted and catalog.resolve(spec) is None):
        reason = catalog.missing_reason(spec) or f"not installed: {spec.pull_command}"
        return VerifyReport(name, builtin, root, (), problems_found=(reason,))
    checks = []
    for f in spec.files:
        path = file_path(root, f) or root / f.path
        present = path.is_file()
        # a converted model's outputs are checked against the sha256 its manifest recorded
        expected = output_sha256(root, f.path) if converted else f.sha256
        actual = sha256_file(path) if present and expected else None
        checks.append(FileCheck(f.key, path, present, expected, actual))
    load_errors = []
    for check in checks:
        if check.present and check.path.suffix == ".onnx":
            error = _load_error(check.path, settings)
            if error is not None:
                load_errors.append(f"{check.key}: {error}")
    return VerifyReport(name, builtin, root, tuple(checks), tuple(load_errors))


def _load_error(path: Path, settings: Settings) -> str | None:
    from argus.runtime.ort import OrtSession

    try:
        OrtSession(path, settings.runtime)
    except ModelLoadFailed as exc:
        return exc.message
    return None


# --------------------------------------------------------------------------- remove


def remove(name: str, settings: Settings, *, known: Sequence[ModelSpec] = KNOWN) -> Path:
    """Delete a pulled model (and any partial download of it); returns the folder removed.

    Raises :class:`InvalidInput` for a built-in model, :class:`NotFound` when not installed.
    """
    spec = Catalog(settings.models_dir, tuple(known)).get(name)
    if isinstance(spec.source, ConvertedSource):
        raise InvalidInput(
            f"'{name}' is built in (converted from the package '{spec.source.package}'); "
            f"only pulled models can be removed. `{spec.pull_command} --force` rebuilds it.",
            model=name,
        )
    if isinstance(spec.source, PackageSource):
        raise InvalidInput(
            f"'{name}' is built in (it ships with the Python package '{spec.source.package}'); "
            "only pulled models can be removed.",
            model=name,
        )
    dir_name = model_dir_name(name)
    target = settings.models_dir / dir_name
    staging_root = settings.models_dir / STAGING
    partials = list(staging_root.glob(f"{dir_name}@*")) if staging_root.is_dir() else []
    if not target.is_dir() and not partials:
        raise NotFound(f"Model '{name}' is not installed; nothing to remove.", model=name)
    if target.is_dir():
        trash = staging_root / f"{dir_name}.removed-{uuid.uuid4().hex[:8]}"
        staging_root.mkdir(parents=True, exist_ok=True)
        target.replace(trash)  # the model disappears at once, whatever rmtree then takes
        shutil.rmtree(trash, ignore_errors=True)
    for partial in partials:
        shutil.rmtree(partial, ignore_errors=True)
    return target
