"""Reading TensorFlow.js weight manifests into numpy arrays.

A tfjs model (graph or layers) lists its weights in ``weightsManifest``: groups of entries
``{"name", "shape", "dtype", "quantization"?}`` whose bytes lie back to back in the group's shard
files, concatenated in order. Stored dtypes: ``float32`` and ``int32`` (4 bytes, little-endian),
``bool`` (1 byte), and quantized entries: ``float16`` (2 bytes, read as half floats) or
``uint8``/``uint16`` affine quantization, where ``value = q * scale + min``. Quantized weights come
back as float32, as tfjs itself dequantizes them on load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

_PLAIN: dict[str, np.dtype[Any]] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
}
_QUANTIZED: dict[str, np.dtype[Any]] = {
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "float16": np.dtype("<f2"),
}


class WeightsError(ValueError):
    """A manifest entry Argus cannot read, or shard bytes that do not match the manifest."""


def _decode_entry(entry: Mapping[str, Any], buffer: bytes, offset: int) -> tuple[Array, int]:
    name = str(entry["name"])
    shape = tuple(int(d) for d in entry.get("shape", []))
    count = math.prod(shape)
    quant = entry.get("quantization")
    dtype_name = str(quant["dtype"]) if quant else str(entry["dtype"])
    table = _QUANTIZED if quant else _PLAIN
    if dtype_name not in table:
        raise WeightsError(f"weight {name!r}: unsupported stored dtype {dtype_name!r}")
    stored = table[dtype_name]
    size = count * stored.itemsize
    if offset + size > len(buffer):
        raise WeightsError(f"weight {name!r} runs past the end of its shards ({len(buffer)} bytes)")
    raw = np.frombuffer(buffer, dtype=stored, count=count, offset=offset)
    values: Array
    if quant is None:
        values = raw.astype(bool) if dtype_name == "bool" else raw.copy()
    elif dtype_name == "float16":
        values = raw.astype(np.float32)
    else:
        scale, low = float(quant["scale"]), float(quant["min"])
        values = (raw.astype(np.float32) * np.float32(scale) + np.float32(low)).astype(np.float32)
        if str(entry.get("dtype", "float32")) == "int32":
            values = np.round(values).astype(np.int32)
    return values.reshape(shape), offset + size


def decode_group(entries: Sequence[Mapping[str, Any]], buffer: bytes) -> dict[str, Array]:
    """Arrays of one manifest group from its concatenated shard bytes, by weight name."""
    out: dict[str, Array] = {}
    offset = 0
    for entry in entries:
        out[str(entry["name"])], offset = _decode_entry(entry, buffer, offset)
    if offset != len(buffer):
        raise WeightsError(f"the manifest covers {offset} of {len(buffer)} shard bytes")
    return out


def read_weights(manifest: Sequence[Mapping[str, Any]], base_dir: Path) -> dict[str, Array]:
    """Every weight of a ``weightsManifest`` whose shard files (``paths``) lie in ``base_dir``."""
    out: dict[str, Array] = {}
    for group in manifest:
        paths = [str(p) for p in group["paths"]]
        for p in paths:
            if Path(p).name != p or p in ("", ".", ".."):
                raise WeightsError(f"shard path {p!r} is not a plain file name")
        buffer = b"".join((base_dir / p).read_bytes() for p in paths)
        out.update(decode_group(group["weights"], buffer))
    return out
