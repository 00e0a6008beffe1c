"""`argus models pull|verify|remove`: models from a Hugging Face Hub (or a mirror) on disk.

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
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from argus.config import Settings
from argus.errors import (
    ArgusError,
    DownloadFailed,
    DownloadsDisabled,
    InvalidInput,
    ModelLoadFailed,
    NotFound,
    UnknownModel,
)
from argus.models.catalog import (
    KNOWN,
    MANIFEST,
    Catalog,
    HubSource,
    ModelFile,
    ModelSpec,
    PackageSource,
    model_dir_name,
)
from argus.models.image_classifier import labels_from_config

if TYPE_CHECKING:
    from huggingface_hub.hf_api import RepoSibling

#: ``progress(repo_path, bytes_done, bytes_total_or_None)``, called as each file arrives.
Progress = Callable[[str, int, int | None], None]

#: Which ONNX export of a repo to take (see :func:`choose_onnx_file`).
Variant = Literal["fp32", "quantized", "fp16"]

IMAGE_CLASSIFIER_FAMILY = "argus.models.image_classifier:OnnxImageClassifier"
PUBLIC_HUB = "https://huggingface.co"
#: Staging folder under ``models_dir``; no manifest is ever visible there to the catalog.
STAGING = ".partial"
MANIFEST_VERSION = 1

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_ONNX_NAMES: Mapping[Variant, tuple[str, ...]] = {
    "fp32": ("model.onnx",),
    "quantized": ("model_quantized.onnx", "model_int8.onnx", "model_uint8.onnx"),
    "fp16": ("model_fp16.onnx",),
}
_VARIANT_ORDER: Mapping[Variant, tuple[Variant, ...]] = {
    "fp32": ("fp32", "quantized", "fp16"),
    "quantized": ("quantized", "fp32", "fp16"),
    "fp16": ("fp16", "fp32", "quantized"),
}


# --------------------------------------------------------------------------- settings


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def hub_endpoint(settings: Settings) -> str | None:
    """The configured endpoint (settings, then ``HF_ENDPOINT``); None means the public hub."""
    endpoint = settings.models.hub_endpoint or os.environ.get("HF_ENDPOINT") or None
    return endpoint.rstrip("/") if endpoint else None


def _token(settings: Settings) -> str | None:
    secret = settings.models.hub_token
    return secret.get_secret_value() if secret is not None else None


def refuse_if_offline(settings: Settings) -> None:
    """Raise :class:`DownloadsDisabled` when any offline switch is on (no network is touched)."""
    if settings.offline or _truthy(os.environ.get("ARGUS_OFFLINE")):
        raise DownloadsDisabled(
            "Downloads are disabled (ARGUS_OFFLINE is set); unset it to pull models."
        )
    from huggingface_hub import constants

    if _truthy(os.environ.get("HF_HUB_OFFLINE")) or bool(
        getattr(constants, "HF_HUB_OFFLINE", False)
    ):
        raise DownloadsDisabled(
            "Downloads are disabled (HF_HUB_OFFLINE is set); unset it to pull models."
        )


# --------------------------------------------------------------------------- choosing files


def choose_onnx_file(repo_files: Sequence[str], variant: Variant = "fp32") -> str | None:
    """The ONNX graph to download from a repo listing, or None if it has none we know.

    Rule: the requested variant first, then the others in the order fp32 > quantized > fp16
    (fp32 is the reference accuracy on the CPU; dynamic-quantized int8 graphs are about 4x
    smaller and usually faster on CPU at a small accuracy cost; fp16 graphs are slow on CPU).
    Within a variant ``onnx/<file>`` (Optimum and transformers.js layout) wins over the repo
    root. Quantized names tried: ``model_quantized``, ``model_int8``, ``model_uint8``.
    """
    present = set(repo_files)
    for v in _VARIANT_ORDER[variant]:
        for name in _ONNX_NAMES[v]:
            for folder in ("onnx/", ""):
                if folder + name in present:
                    return folder + name
    return None


def _external_data(onnx_path: str, repo_files: Sequence[str]) -> str | None:
    """The external-data file of a graph over 2 GB (``model.onnx_data``/``.data``), if any."""
    for candidate in (onnx_path + "_data", onnx_path + ".data"):
        if candidate in repo_files:
            return candidate
    return None


def _license(info: Any, config: Mapping[str, Any]) -> str:
    card = getattr(info, "card_data", None)
    value = getattr(card, "license", None) if card is not None else None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if not value:
        tags = getattr(info, "tags", None) or []
        value = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
    if not value:
        value = config.get("license")
    return str(value) if value else "see the model card"


def estimate_memory_mb(model_bytes: int) -> float:
    """Loaded size estimate: ONNX Runtime keeps the weights plus optimized copies and an arena
    for activations; 1.5x the graph files plus 30 MB has matched CPU sessions of image models."""
    return round(model_bytes / 2**20 * 1.5 + 30.0, 1)


# --------------------------------------------------------------------------- hub errors


def _where(endpoint: str | None) -> str:
    return endpoint or PUBLIC_HUB


@contextmanager
def _hub_errors(repo_id: str, revision: str | None, endpoint: str | None) -> Iterator[None]:
    """Turn huggingface_hub/HTTP failures into :class:`DownloadFailed` with a readable message."""
    from huggingface_hub import errors as hf

    where = _where(endpoint)
    try:
        yield
    except ArgusError:
        raise
    except hf.GatedRepoError as exc:
        raise DownloadFailed(
            f"'{repo_id}' is gated on {where}: accept its terms on the model page and set "
            "ARGUS_MODELS__HUB_TOKEN.",
            repo_id=repo_id,
        ) from exc
    except hf.RepositoryNotFoundError as exc:
        raise DownloadFailed(
            f"Repository '{repo_id}' was not found on {where} (if it is private, set "
            "ARGUS_MODELS__HUB_TOKEN).",
            repo_id=repo_id,
        ) from exc
    except hf.RevisionNotFoundError as exc:
        raise DownloadFailed(
            f"Revision '{revision}' of '{repo_id}' was not found on {where}.", repo_id=repo_id
        ) from exc
    except hf.LocalEntryNotFoundError as exc:
        cause = exc.__cause__ or exc
        raise DownloadFailed(
            f"Could not download '{repo_id}' from {where}: {type(cause).__name__}: "
            f"{_first_line(cause)}",
            repo_id=repo_id,
        ) from exc
    except hf.EntryNotFoundError as exc:
        raise DownloadFailed(
            f"A file of '{repo_id}' is missing on {where}: {_first_line(exc)}", repo_id=repo_id
        ) from exc
    except hf.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadFailed(
            f"{where} answered HTTP {status} for '{repo_id}': {_first_line(exc)}",
            repo_id=repo_id,
        ) from exc
    except Exception as exc:  # network errors of whichever HTTP client huggingface_hub uses
        raise DownloadFailed(
            f"Downloading '{repo_id}' from {where} failed: {type(exc).__name__}: "
            f"{_first_line(exc)}",
            repo_id=repo_id,
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- hashing


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(functools.partial(f.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_sha1(path: Path) -> str:
    """Git's object id of a file (what the hub reports for files not stored in LFS)."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode(), usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(functools.partial(f.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- progress


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
    if spec is not None and isinstance(spec.source, PackageSource):
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
    token = _token(settings)
    if spec is not None:
        assert isinstance(spec.source, HubSource)
        repo_id, rev = spec.source.repo_id, revision or spec.source.revision
    else:
        repo_id, rev = name, revision or "main"

    with _hub_errors(repo_id, rev, endpoint):
        info = HfApi(endpoint=endpoint, token=token).model_info(
            repo_id, revision=rev, files_metadata=True
        )
    commit = info.sha
    if not commit:
        raise DownloadFailed(
            f"{_where(endpoint)} did not say which commit '{rev}' of {repo_id} is."
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
    manifest["endpoint"] = _where(endpoint)
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
    data = _external_data(onnx_path, names)
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
    with _hub_errors(repo_id, commit, endpoint):
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
        "license": _license(info, config),
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


# --------------------------------------------------------------------------- verify


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
    catalog = Catalog(settings.models_dir, tuple(known))
    spec = catalog.get(name)
    builtin = isinstance(spec.source, PackageSource)
    root = catalog.root(spec)
    if root is None or not root.is_dir():
        reason = (
            f"package '{spec.source.package}' is not installed"
            if isinstance(spec.source, PackageSource)
            else f"not installed: {spec.pull_command}"
        )
        return VerifyReport(name, builtin, root, (), problems_found=(reason,))
    checks = []
    for f in spec.files:
        path = root / f.path
        present = path.is_file()
        actual = sha256_file(path) if present and f.sha256 else None
        checks.append(FileCheck(f.key, path, present, f.sha256, actual))
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
