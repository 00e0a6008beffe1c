"""The manifest of a converted model (``argus-converted.json``): which package, version and
integrity it came from, which converter (and version) made it, and the sha256 and size of each
output file. The catalog counts a converted model as installed only when its manifest matches
the spec's pinned source and converter and lists every file the spec runs, with that size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from argus.models.specs import ConvertedSource, ModelSpec

CONVERTED_MANIFEST = "argus-converted.json"
MANIFEST_FORMAT = 1


def source_record(source: ConvertedSource) -> dict[str, Any]:
    """The part of a manifest that must equal the spec's pinned source for a model to count."""
    return {
        "registry": source.registry,
        "package": source.package,
        "version": source.version,
        "integrity": source.integrity,
        "converter": source.converter,
        "converter_version": source.converter_version,
    }


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest in ``folder``, or None when it is missing or unreadable."""
    try:
        data = json.loads((folder / CONVERTED_MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stale_reason(spec: ModelSpec, folder: Path) -> str | None:
    """Why the converted files in ``folder`` cannot serve ``spec`` (None: they can).

    Checks the manifest against the pinned source and converter, and that every file of the spec
    is listed and present with its recorded size (hashes are checked by ``argus models verify``).
    """
    assert isinstance(spec.source, ConvertedSource)
    data = read_manifest(folder)
    if data is None:
        return "not converted yet"
    if data.get("source") != source_record(spec.source):
        return "converted from another version or by another converter"
    outputs = data.get("files")
    if not isinstance(outputs, dict):
        return "the manifest lists no files"
    for f in spec.files:
        entry = outputs.get(f.path)
        path = folder / f.path
        if not isinstance(entry, dict) or not path.is_file():
            return f"{f.path} is missing"
        if path.stat().st_size != entry.get("size"):
            return f"{f.path} has changed since it was converted"
    return None


def output_sha256(folder: Path, path: str) -> str | None:
    """The sha256 the manifest in ``folder`` recorded for output ``path``."""
    data = read_manifest(folder)
    files = data.get("files") if data else None
    entry = files.get(path) if isinstance(files, dict) else None
    value = entry.get("sha256") if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None
