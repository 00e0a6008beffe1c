"""What a model is to Argus: its name, task, code family, file source, files and licence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MANIFEST = "argus-model.json"

Task = Literal[
    "face-detection",
    "face-landmarks",
    "face-embedding",
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
class ModelSpec:
    """Everything Argus knows about one named model."""

    name: str
    task: Task
    family: str  # "module:Class" of the InferenceModel subclass
    source: PackageSource | HubSource
    files: tuple[ModelFile, ...]
    license: str
    description: str
    labels: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)
    memory_mb: float = 50.0
    builtin: bool = True

    @property
    def pull_command(self) -> str:
        return f"argus models pull {self.name}"
