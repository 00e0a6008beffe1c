"""Which files of a repo make a model: the ONNX export to take, its external data, its
licence, and a memory estimate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

#: Which ONNX export of a repo to take (see :func:`choose_onnx_file`).
Variant = Literal["fp32", "quantized", "fp16"]

IMAGE_CLASSIFIER_FAMILY = "argus.models.image_classifier:OnnxImageClassifier"

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


def external_data(onnx_path: str, repo_files: Sequence[str]) -> str | None:
    """The external-data file of a graph over 2 GB (``model.onnx_data``/``.data``), if any."""
    for candidate in (onnx_path + "_data", onnx_path + ".data"):
        if candidate in repo_files:
            return candidate
    return None


def license_of(info: Any, config: Mapping[str, Any]) -> str:
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
