"""`argus models pull`: models from a Hugging Face Hub (or a mirror) on disk.

``pull`` takes a catalog name whose spec has a :class:`HubSource`, or the id ``owner/repo`` of an
image-classification model exported to ONNX in the Optimum layout (``config.json`` with
``id2label``, ``preprocessor_config.json``, ``onnx/model.onnx`` or ``model.onnx``). It asks the
hub once for the repo's files and commit, downloads only the files it needs with
``huggingface_hub.hf_hub_download`` (pinned to that commit) into
``<models_dir>/.partial/<dir>@<commit>/``, checks every file against the hub's checksums, writes
the manifest and only then renames the folder to ``<models_dir>/<dir>/``: a failed or
interrupted pull never leaves anything :class:`~argus.models.catalog.Catalog` sees as installed,
and the next pull of the same commit reuses the files that were complete. Downloads are refused
before any network access when ``settings.offline``, ``ARGUS_OFFLINE`` or ``HF_HUB_OFFLINE`` is
set. The endpoint is ``settings.models.hub_endpoint``, else ``HF_ENDPOINT``, else the public hub.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from argus.config import Settings
from argus.errors import (
    DownloadFailed,
    UnknownModel,
)
from argus.models.catalog import (
    KNOWN,
    MANIFEST,
    Catalog,
    ConvertedSource,
    HubSource,
    ModelFile,
    ModelSpec,
    PackageSource,
    model_dir_name,
)
from argus.models.image_classifier import labels_from_config

if TYPE_CHECKING:
    from huggingface_hub.hf_api import RepoSibling

from argus.models.hub.access import hub_endpoint, hub_errors, hub_name, hub_token, refuse_if_offline
from argus.models.hub.integrity import git_blob_sha1, sha256_file
from argus.models.hub.layout import (
    IMAGE_CLASSIFIER_FAMILY,
    Variant,
    choose_onnx_file,
    estimate_memory_mb,
    external_data,
    license_of,
)

#: ``progress(repo_path, bytes_done, bytes_total_or_None)``, called as each file arrives.
Progress = Callable[[str, int, int | None], None]

#: Staging folder under ``models_dir``; no manifest is ever visible there to the catalog.
STAGING = ".partial"
MANIFEST_VERSION = 1

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class _ProgressBar:
    """The part of tqdm that ``hf_hub_download`` drives, forwarding bytes to a callback."""

    def __init__(self, path: str, callback: Progress | None, **kwargs: Any) -> None:
        self._path = path
        self._callback = callback
        self._total: int | None = kwargs.get("total")
        self._done = int(kwargs.get("initial") or 0)
        self._report()

    def _report(self) -> None:
        if self._callback is not None:
            self._callback(self._path, self._done, self._total)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: float | None = 1) -> None:
        self._done += int(n or 0)
        self._report()

    def close(self) -> None:
        """Nothing to release."""

    def refresh(self) -> None:
        """Nothing to draw."""

    def set_description(self, *args: object, **kwargs: object) -> None:
        """Nothing to draw."""

    def set_postfix_str(self, *args: object, **kwargs: object) -> None:
        """Nothing to draw."""


# --------------------------------------------------------------------------- pull


@dataclass(frozen=True)
class _Wanted:
    key: str
    path: str
    sibling: RepoSibling | None


def _known_spec(name: str, known: Sequence[ModelSpec]) -> ModelSpec | None:
    return next((s for s in known if s.name == name), None)


def pull(
    name: str,
    settings: Settings,
    *,
    revision: str | None = None,
    progress: Progress | None = None,
    variant: Variant = "fp32",
    known: Sequence[ModelSpec] = KNOWN,
) -> ModelSpec:
    """Download ``name`` into ``settings.models_dir`` and return its installed spec.

    ``name`` is a catalog name (its :class:`HubSource` says which repo and files) or a Hugging
    Face repo id ``owner/repo`` of an ONNX image classifier. ``revision`` is a branch, tag or
    commit (default: the catalog's, else ``main``); the manifest records the resolved commit.
    A built-in model needs no download: its spec is returned as it is.

    Raises :class:`DownloadsDisabled` (offline), :class:`UnknownModel` (neither a catalog name
    nor a repo id) and :class:`DownloadFailed` (network, HTTP, missing files, bad checksums).
    """
    spec = _known_spec(name, known)
    if spec is not None and isinstance(spec.source, PackageSource | ConvertedSource):
        return spec
    if spec is None and not _REPO_ID.match(name):
        raise UnknownModel(
            f"Unknown model '{name}': give a catalog name (`argus models list`) or a Hugging "
            "Face repo id such as owner/model.",
            model=name,
        )
    refuse_if_offline(settings)

    from huggingface_hub import HfApi

    endpoint = hub_endpoint(settings)
    token = hub_token(settings)
    if spec is not None:
        assert isinstance(spec.source, HubSource)
        repo_id, rev = spec.source.repo_id, revision or spec.source.revision
    else:
        repo_id, rev = name, revision or "main"

    with hub_errors(repo_id, rev, endpoint):
        info = HfApi(endpoint=endpoint, token=token).model_info(
            repo_id, revision=rev, files_metadata=True
        )
    commit = info.sha
    if not commit:
        raise DownloadFailed(
            f"{hub_name(endpoint)} did not say which commit '{rev}' of {repo_id} is."
        )
    siblings = {s.rfilename: s for s in info.siblings or []}
    wanted = (
        _catalog_files(spec, repo_id, siblings)
        if spec is not None
        else _classifier_files(repo_id, siblings, variant)
    )

    models_dir = settings.models_dir
    if _up_to_date(models_dir / model_dir_name(name), commit, wanted):
        return Catalog(models_dir, tuple(known)).get(name)
    staging = models_dir / STAGING / f"{model_dir_name(name)}@{commit}"
    staging.mkdir(parents=True, exist_ok=True)
    sha256: dict[str, str] = {}
    for w in sorted(wanted, key=lambda w: (w.sibling.size or 0) if w.sibling else 0):
        local = _download(repo_id, w.path, commit, staging, endpoint, token, progress)
        sha256[w.path] = _checked_sha256(local, w, repo_id, staging)  # small files first
    files = [ModelFile(w.key, w.path, sha256[w.path]) for w in wanted]

    if spec is not None:
        manifest = _catalog_manifest(spec, repo_id, commit, files)
    else:
        manifest = _classifier_manifest(name, repo_id, commit, files, staging, info)
    manifest["pulled_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    manifest["endpoint"] = hub_name(endpoint)
    _install(staging, models_dir / model_dir_name(name), manifest)
    return Catalog(models_dir, tuple(known)).get(name)


def _up_to_date(folder: Path, commit: str, wanted: Sequence[_Wanted]) -> bool:
    """Whether ``folder`` already holds exactly these files of this commit, intact."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = {f["path"]: f.get("sha256") for f in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if manifest.get("revision") != commit or set(files) != {w.path for w in wanted}:
        return False
    return all(
        (folder / path).is_file() and digest == sha256_file(folder / path)
        for path, digest in files.items()
    )


def _catalog_files(
    spec: ModelSpec, repo_id: str, siblings: Mapping[str, RepoSibling]
) -> list[_Wanted]:
    missing = [f.path for f in spec.files if f.path not in siblings]
    if missing:
        raise DownloadFailed(
            f"'{repo_id}' does not have the files the catalog expects for {spec.name}: "
            + ", ".join(missing),
            repo_id=repo_id,
        )
    return [_Wanted(f.key, f.path, siblings[f.path]) for f in spec.files]


def _classifier_files(
    repo_id: str, siblings: Mapping[str, RepoSibling], variant: Variant
) -> list[_Wanted]:
    names = sorted(siblings)
    onnx_path = choose_onnx_file(names, variant)
    problems = []
    if onnx_path is None:
        problems.append("no ONNX graph (onnx/model.onnx or model.onnx)")
    for needed in ("config.json", "preprocessor_config.json"):
        if needed not in siblings:
            problems.append(f"no {needed}")
    if problems or onnx_path is None:
        raise DownloadFailed(
            f"'{repo_id}' is not an ONNX image classifier in the Optimum layout: "
            + "; ".join(problems)
            + f" (files: {', '.join(names[:20]) or 'none'}).",
            repo_id=repo_id,
        )
    wanted = [
        _Wanted("model", onnx_path, siblings[onnx_path]),
        _Wanted("config", "config.json", siblings["config.json"]),
        _Wanted("preprocessor", "preprocessor_config.json", siblings["preprocessor_config.json"]),
    ]
    data = external_data(onnx_path, names)
    if data is not None:
        wanted.append(_Wanted("model_data", data, siblings[data]))
    return wanted


def _download(
    repo_id: str,
    path: str,
    commit: str,
    staging: Path,
    endpoint: str | None,
    token: str | None,
    progress: Progress | None,
) -> Path:
    from huggingface_hub import hf_hub_download

    bar = functools.partial(_ProgressBar, path, progress)
    with hub_errors(repo_id, commit, endpoint):
        local = hf_hub_download(
            repo_id,
            path,
            revision=commit,
            local_dir=staging,
            endpoint=endpoint,
            token=token,
            tqdm_class=cast(Any, bar),
        )
    return Path(local)


def _checked_sha256(local: Path, wanted: _Wanted, repo_id: str, staging: Path) -> str:
    """sha256 of a downloaded file, after checking it against what the hub said it is."""
    digest = sha256_file(local)
    sibling = wanted.sibling
    if sibling is None:
        return digest
    expected: str | None = None
    actual = digest
    if sibling.lfs is not None:
        expected = sibling.lfs.sha256
    elif sibling.blob_id:
        expected, actual = sibling.blob_id, git_blob_sha1(local)
    if expected is not None and expected != actual:
        local.unlink(missing_ok=True)
        shutil.rmtree(staging / ".cache", ignore_errors=True)
        raise DownloadFailed(
            f"{wanted.path} of '{repo_id}' arrived corrupted (checksum {actual[:12]}..., the hub "
            f"says {expected[:12]}...); pull again.",
            repo_id=repo_id,
        )
    return digest


def _files_json(files: Sequence[ModelFile]) -> list[dict[str, Any]]:
    return [{"key": f.key, "path": f.path, "sha256": f.sha256} for f in files]


def _graph_bytes(root: Path, files: Sequence[ModelFile]) -> int:
    return sum((root / f.path).stat().st_size for f in files if f.key in ("model", "model_data"))


def _catalog_manifest(
    spec: ModelSpec, repo_id: str, commit: str, files: Sequence[ModelFile]
) -> dict[str, Any]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": spec.name,
        "task": spec.task,
        "family": spec.family,
        "repo_id": repo_id,
        "revision": commit,
        "files": _files_json(files),
        "labels": list(spec.labels),
        "thresholds": dict(spec.thresholds),
        "license": spec.license,
        "description": spec.description,
        "memory_mb": spec.memory_mb,
    }


def _classifier_manifest(
    name: str,
    repo_id: str,
    commit: str,
    files: Sequence[ModelFile],
    staging: Path,
    info: Any,
) -> dict[str, Any]:
    config_file = next(f for f in files if f.key == "config")
    try:
        config = json.loads((staging / config_file.path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DownloadFailed(f"config.json of '{repo_id}' is not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise DownloadFailed(f"config.json of '{repo_id}' is not a JSON object.")
    labels = labels_from_config(config)
    model_file = next(f for f in files if f.key == "model")
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": name,
        "task": "image-classification",
        "family": IMAGE_CLASSIFIER_FAMILY,
        "repo_id": repo_id,
        "revision": commit,
        "files": _files_json(files),
        "labels": list(labels),
        "license": license_of(info, config),
        "description": f"{repo_id} ({model_file.path}): image classifier, {len(labels)} labels.",
        "memory_mb": estimate_memory_mb(_graph_bytes(staging, files)),
    }


def _install(staging: Path, final: Path, manifest: Mapping[str, Any]) -> None:
    """Write the manifest and move ``staging`` to ``final`` with renames (same filesystem)."""
    shutil.rmtree(staging / ".cache", ignore_errors=True)  # huggingface_hub's download notes
    tmp = staging / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(staging / MANIFEST)
    if final.exists():
        old = final.parent / STAGING / f"{final.name}.old-{uuid.uuid4().hex[:8]}"
        final.replace(old)
        staging.replace(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.replace(final)
