"""Test support for the tfjs converters: weight shards written like tfjs writes them, and numpy
reference implementations of the NHWC ops (written from TensorFlow's definitions, independent of
the converters and of ONNX)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


def quantize_uint8(values: F32) -> tuple[npt.NDArray[np.uint8], dict[str, Any], F32]:
    """tfjs-style affine uint8 quantization: (bytes, quantization record, dequantized values)."""
    low, high = float(values.min()), float(values.max())
    scale = (high - low) / 255 or 1.0
    q = np.round((values - low) / scale).astype(np.uint8)
    record = {"dtype": "uint8", "scale": scale, "min": low}
    return q, record, (q.astype(np.float32) * np.float32(scale) + np.float32(low))


def write_weights(
    folder: Path, weights: Sequence[tuple[str, npt.NDArray[Any], str]], shards: int = 2
) -> tuple[list[dict[str, Any]], dict[str, npt.NDArray[Any]]]:
    """Write ``(name, array, storage)`` weights (storage: ``float32``, ``int32``, ``float16`` or
    ``uint8``) into ``shards`` files; returns the weightsManifest and the values tfjs would load."""
    entries: list[dict[str, Any]] = []
    loaded: dict[str, npt.NDArray[Any]] = {}
    blob = b""
    for name, array, storage in weights:
        entry: dict[str, Any] = {"name": name, "shape": list(array.shape)}
        if storage == "int32":
            data = np.asarray(array, "<i4")
            entry["dtype"] = "int32"
            loaded[name] = data
        elif storage == "float32":
            data = np.asarray(array, "<f4")
            entry["dtype"] = "float32"
            loaded[name] = data
        elif storage == "float16":
            data = np.asarray(array, "<f2")
            entry["dtype"] = "float32"
            entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
            loaded[name] = data.astype(np.float32)
        else:
            data, record, values = quantize_uint8(np.asarray(array, np.float32))
            entry["dtype"] = "float32"
            entry["quantization"] = record
            loaded[name] = values
        blob += data.tobytes()
        entries.append(entry)
    cut = [len(blob) * i // shards for i in range(shards + 1)]
    paths = []
    for i in range(shards):
        path = f"group1-shard{i + 1}of{shards}.bin"
        (folder / path).write_bytes(blob[cut[i] : cut[i + 1]])
        paths.append(path)
    return [{"paths": paths, "weights": entries}], loaded


def save_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's SAME padding (before, after) along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv2d(x: F32, kernel: F32, stride: int, padding: str, *, depthwise: bool = False) -> F32:
    """NHWC convolution; ``kernel`` HWIO, or (H, W, C, M) when ``depthwise``."""
    kh, kw = kernel.shape[:2]
    if padding == "SAME":
        (pt, pb), (pl, pr) = same_pads(x.shape[1], kh, stride), same_pads(x.shape[2], kw, stride)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    n, h, w, c = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    if depthwise:
        out = np.zeros((n, oh, ow, c * kernel.shape[3]), np.float32)
    else:
        out = np.zeros((n, oh, ow, kernel.shape[3]), np.float32)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            if depthwise:
                prod = np.einsum("nhwc,hwcm->ncm", patch, kernel)
                out[:, i, j, :] = prod.reshape(n, -1)
            else:
                out[:, i, j, :] = np.einsum("nhwc,hwco->no", patch, kernel)
    return out


def pool2d(x: F32, size: int, stride: int, kind: str, padding: str = "VALID") -> F32:
    """NHWC max/avg pooling; SAME pads with -inf (max) or excludes padding (avg)."""
    n, h, w, c = x.shape
    if padding == "SAME":
        (pt, pb), (pl, pr) = same_pads(h, size, stride), same_pads(w, size, stride)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=np.nan)
        h, w = x.shape[1:3]
    oh, ow = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((n, oh, ow, c), np.float32)
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride : i * stride + size, j * stride : j * stride + size, :]
            fn = np.nanmax if kind == "max" else np.nanmean
            out[:, i, j, :] = fn(win, axis=(1, 2))
    return out
