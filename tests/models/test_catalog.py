"""The catalog: every built-in resolves on this install with no network; unknown names are
refused; pulled models are found by their manifest, and only by it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.config import Settings
from argus.errors import UnknownModel
from argus.models.catalog import (
    BUILTINS,
    MANIFEST,
    Catalog,
    ConvertedSource,
    HubSource,
    ModelSpec,
    PackageSource,
    model_dir_name,
)


@pytest.mark.parametrize("spec", BUILTINS, ids=lambda s: s.name)
def test_every_builtin_resolves_to_files_on_this_install(
    settings: Settings, spec: ModelSpec
) -> None:
    catalog = Catalog(settings.models_dir)
    assert spec in catalog.specs()
    resolved = catalog.resolve(catalog.get(spec.name))
    assert resolved is not None
    assert all(path.is_file() for path in resolved.values())
    assert isinstance(spec.source, PackageSource | ConvertedSource)


def test_builtin_names_are_unique_and_licensed() -> None:
    names = [s.name for s in BUILTINS]
    assert len(names) == len(set(names))
    assert all(s.license and s.description and s.builtin for s in BUILTINS)


def test_unknown_name_is_refused_with_the_list_command(settings: Settings) -> None:
    with pytest.raises(UnknownModel, match="argus models list") as err:
        Catalog(settings.models_dir).get("no-such-model")
    assert err.value.status == 404


def write_manifest(models_dir: Path, name: str) -> Path:
    folder = models_dir / model_dir_name(name)
    (folder / "onnx").mkdir(parents=True)
    (folder / "onnx" / "model.onnx").write_bytes(b"graph")
    manifest = {
        "name": name,
        "task": "image-classification",
        "family": "argus.models.image_classifier:OnnxImageClassifier",
        "repo_id": name,
        "revision": "0123456789abcdef0123456789abcdef01234567",
        "files": [{"key": "model", "path": "onnx/model.onnx", "sha256": "ab" * 32}],
        "labels": ["cat", "dog"],
        "memory_mb": 42,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


def test_pulled_models_are_read_from_their_manifest(settings: Settings) -> None:
    folder = write_manifest(settings.models_dir, "owner/pets")
    assert folder.name == "owner--pets"
    catalog = Catalog(settings.models_dir)
    spec = catalog.get("owner/pets")
    assert not spec.builtin
    assert spec.labels == ("cat", "dog")
    assert spec.memory_mb == 42.0
    assert spec.license == "see the model card"
    assert isinstance(spec.source, HubSource) and spec.source.revision.startswith("0123")
    assert catalog.installed(spec)
    assert spec.pull_command == "argus models pull owner/pets"

    (folder / "onnx" / "model.onnx").unlink()
    assert not catalog.installed(spec)


def test_folders_without_a_manifest_are_not_models(settings: Settings) -> None:
    partial = settings.models_dir / ".partial" / "owner--pets@0123"
    partial.mkdir(parents=True)
    (partial / "config.json").write_text("{}")
    (settings.models_dir / "stray").mkdir()
    catalog = Catalog(settings.models_dir)
    # known pullable models (clip-vit-b-32, ...) are listed, but none is installed
    assert [s.name for s in catalog.specs() if catalog.installed(s) and not s.builtin] == []
    with pytest.raises(UnknownModel):
        catalog.get("owner/pets")
