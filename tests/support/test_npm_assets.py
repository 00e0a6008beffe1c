"""The npm asset cache refuses a tarball whose sha512 is not the pinned one."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from support.npm_assets import AssetUnavailable, NpmPackage, integrity_of, package_files


def tarball_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_a_cached_tarball_is_used_only_when_its_integrity_matches(tmp_path: Path) -> None:
    archive = tmp_path / "demo-pkg-1.0.0.tgz"
    archive.write_bytes(tarball_bytes({"demo/a.jpg": b"photo"}))
    good = NpmPackage("demo-pkg@1.0.0", integrity_of(archive))
    assert good.tarball_name == archive.name
    files = package_files(good, ("demo/a.jpg",), tmp_path)
    assert files["demo/a.jpg"].read_bytes() == b"photo"

    archive.write_bytes(tarball_bytes({"demo/a.jpg": b"another photo"}))  # tampered
    with pytest.raises(AssetUnavailable, match="integrity"):
        package_files(good, ("demo/a.jpg",), tmp_path)


def test_a_missing_member_is_named(tmp_path: Path) -> None:
    archive = tmp_path / "demo-pkg-1.0.0.tgz"
    archive.write_bytes(tarball_bytes({"demo/a.jpg": b"photo"}))
    package = NpmPackage("demo-pkg@1.0.0", integrity_of(archive))
    with pytest.raises(AssetUnavailable, match=r"demo/b\.jpg"):
        package_files(package, ("demo/b.jpg",), tmp_path)
