"""`OnnxImageClassifier`: any Hugging Face image-classification model exported to ONNX.

The files are the Optimum layout pulled by ``argus models pull owner/repo``: ``model`` (the ONNX
graph, input ``pixel_values``), ``config`` (``config.json``: ``id2label``, ``problem_type``) and
``preprocessor`` (``preprocessor_config.json``). Preprocessing follows the transformers image
processors (ViT, DeiT, BEiT, Swin, ConvNeXT, ResNet, CLIP-style): resize, optional center crop,
rescale, normalize, channels first, with the same size rules and Pillow resampling filters.
Scores: softmax over the logits, or an independent sigmoid per label when ``problem_type`` is
``"multi_label_classification"``; no activation when the graph's output is named like
probabilities (``probs``, ``probabilities``, ``softmax``). When the graph's batch axis is dynamic
a batch of images runs as one ONNX Runtime call (in chunks of :data:`MAX_BATCH`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from argus.arrays import RGB, Float32Array
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.runtime.session import Session, TensorInfo

Scores = list[tuple[str, float]]
Activation = Literal["softmax", "sigmoid", "none"]

MAX_BATCH = 32
#: transformers' defaults (IMAGENET_STANDARD_MEAN/STD) when a config omits mean or std.
DEFAULT_MEAN = (0.5, 0.5, 0.5)
DEFAULT_STD = (0.5, 0.5, 0.5)
#: Image processors whose integer ``size`` means the shortest edge (``default_to_square=False``).
_SHORTEST_EDGE_PROCESSORS = frozenset(
    {
        "CLIPImageProcessor",
        "CLIPFeatureExtractor",
        "ChineseCLIPImageProcessor",
        "BitImageProcessor",
        "ConvNextImageProcessor",
        "ConvNextFeatureExtractor",
        "PoolFormerImageProcessor",
    }
)
_PROBABILITY_OUTPUTS = ("prob", "softmax", "sigmoid")


# --------------------------------------------------------------------------- sizes


def shortest_edge_size(
    height: int, width: int, shortest_edge: int, longest_edge: int | None = None
) -> tuple[int, int]:
    """``(height, width)`` after scaling the short side to ``shortest_edge`` (aspect kept).

    As transformers' ``get_resize_output_image_size``: the long side is truncated to an int and,
    when ``longest_edge`` is given and exceeded, both sides are scaled down to respect it.
    """
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / max(short, 1))
    if longest_edge is not None and new_long > longest_edge:
        new_short, new_long = int(longest_edge * new_short / new_long), longest_edge
    return (new_long, new_short) if width <= height else (new_short, new_long)


def _hw(value: Any) -> tuple[int, int] | None:
    """A transformers size/crop_size value as ``(height, width)``, None if it is not square-like."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, Sequence) and len(value) == 2:
        return int(value[0]), int(value[1])
    if isinstance(value, Mapping) and "height" in value and "width" in value:
        return int(value["height"]), int(value["width"])
    return None


@dataclass(frozen=True)
class Preprocessing:
    """What a ``preprocessor_config.json`` asks for, as plain values.

    ``resize_to``: exact ``(height, width)``; else ``shortest_edge`` (with ``longest_edge``)
    scales the short side; ``crop_pct`` first scales to ``shortest_edge / crop_pct`` (ConvNeXT,
    PoolFormer). ``crop``: center crop ``(height, width)``, zero-padded if the image is smaller.
    ``rescale``: factor applied to 0..255 values (usually 1/255). ``mean``/``std``: per channel
    normalization after rescaling. ``resample``: Pillow filter code (0 nearest, 1 Lanczos,
    2 bilinear, 3 bicubic, 4 box, 5 hamming).
    """

    resize_to: tuple[int, int] | None = None
    shortest_edge: int | None = None
    longest_edge: int | None = None
    crop_pct: float | None = None
    crop: tuple[int, int] | None = None
    rescale: float | None = 1 / 255
    mean: tuple[float, float, float] | None = DEFAULT_MEAN
    std: tuple[float, float, float] | None = DEFAULT_STD
    resample: int = 2

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Preprocessing:
        """Read a transformers image-processor (or older feature-extractor) config."""
        kind = str(config.get("image_processor_type") or config.get("feature_extractor_type"))
        resize_to = None
        shortest = longest = None
        crop_pct = None
        size = config.get("size")
        if config.get("do_resize", True) and size is not None:
            if isinstance(size, int) and kind in _SHORTEST_EDGE_PROCESSORS:
                shortest = size
            elif isinstance(size, Mapping) and "shortest_edge" in size:
                shortest = int(size["shortest_edge"])
                longest = int(size["longest_edge"]) if size.get("longest_edge") else None
            else:
                resize_to = _hw(size)
            if shortest is not None and config.get("crop_pct"):
                crop_pct = float(config["crop_pct"])
        crop = None
        if config.get("do_center_crop", "crop_size" in config):
            crop = _hw(config.get("crop_size"))
        if crop is None and crop_pct is not None and shortest is not None:
            crop = (shortest, shortest)
        if shortest is not None and shortest >= 384 and kind.startswith("ConvNext"):
            # ConvNeXT warps to a square at 384 px and above, without cropping
            resize_to, shortest, crop_pct, crop = (shortest, shortest), None, None, None
        rescale = (
            float(config.get("rescale_factor", 1 / 255)) if config.get("do_rescale", True) else None
        )
        mean = std = None
        if config.get("do_normalize", True):
            mean = _triple(config.get("image_mean"), DEFAULT_MEAN)
            std = _triple(config.get("image_std"), DEFAULT_STD)
        return cls(
            resize_to=resize_to,
            shortest_edge=shortest,
            longest_edge=longest,
            crop_pct=crop_pct,
            crop=crop,
            rescale=rescale,
            mean=mean,
            std=std,
            resample=int(config.get("resample", 2)),
        )

    def resized_size(self, height: int, width: int) -> tuple[int, int]:
        """``(height, width)`` of an image of that size after the resize step (before crop)."""
        if self.resize_to is not None:
            return self.resize_to
        if self.shortest_edge is not None:
            edge = self.shortest_edge
            if self.crop_pct:
                edge = int(edge / self.crop_pct)
            return shortest_edge_size(height, width, edge, self.longest_edge)
        return height, width

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """``(height, width)`` of the tensor an image of that size becomes."""
        return self.crop if self.crop is not None else self.resized_size(height, width)


def _triple(value: Any, default: tuple[float, float, float]) -> tuple[float, float, float]:
    if value is None:
        return default
    if isinstance(value, int | float):
        return (float(value),) * 3
    a, b, c = (float(v) for v in value)
    return a, b, c


# --------------------------------------------------------------------------- pixels


def resize(image: RGB, size: tuple[int, int], resample: int = 2) -> RGB:
    """``(H, W, 3)`` uint8 -> ``(size[0], size[1], 3)`` uint8 with a Pillow filter code."""
    if image.shape[:2] == size:
        return image
    pil = Image.fromarray(image).resize((size[1], size[0]), resample=Image.Resampling(resample))
    return np.asarray(pil)


def center_crop(image: RGB, size: tuple[int, int]) -> RGB:
    """``(H, W, 3)`` -> ``(size[0], size[1], 3)`` around the centre, zero-padded where the image
    is smaller than the crop (as transformers' ``center_crop``)."""
    h, w = image.shape[:2]
    ch, cw = size
    if (h, w) == (ch, cw):
        return image
    out = np.zeros((ch, cw, *image.shape[2:]), dtype=image.dtype)
    top, left = (h - ch) // 2, (w - cw) // 2
    src_y0, src_x0 = max(top, 0), max(left, 0)
    dst_y0, dst_x0 = max(-top, 0), max(-left, 0)
    hh, ww = min(h - src_y0, ch - dst_y0), min(w - src_x0, cw - dst_x0)
    out[dst_y0 : dst_y0 + hh, dst_x0 : dst_x0 + ww] = image[
        src_y0 : src_y0 + hh, src_x0 : src_x0 + ww
    ]
    return out


def rescale_normalize(
    image: RGB,
    rescale: float | None,
    mean: Sequence[float] | None,
    std: Sequence[float] | None,
) -> Float32Array:
    """``(H, W, 3)`` uint8 -> ``(H, W, 3)`` float32: ``(x * rescale - mean) / std``."""
    out = image.astype(np.float32)
    if rescale is not None:
        out *= np.float32(rescale)
    if mean is not None and std is not None:
        out -= np.asarray(mean, dtype=np.float32)
        out /= np.asarray(std, dtype=np.float32)
    return out


def preprocess(
    image: RGB, pre: Preprocessing, fixed_size: tuple[int, int] | None = None
) -> Float32Array:
    """One RGB ``(H, W, 3)`` uint8 image -> ``(3, h, w)`` float32 ready for the graph.

    ``fixed_size``: the graph's static ``(h, w)``, forced by a last resize when the config
    gives another size.
    """
    h, w = image.shape[:2]
    out = resize(image, pre.resized_size(h, w), pre.resample)
    if pre.crop is not None:
        out = center_crop(out, pre.crop)
    if fixed_size is not None:
        out = resize(out, fixed_size, pre.resample)
    return np.ascontiguousarray(
        rescale_normalize(out, pre.rescale, pre.mean, pre.std).transpose(2, 0, 1)
    )


# --------------------------------------------------------------------------- scores


def softmax(logits: Float32Array) -> Float32Array:
    """``(N, K)`` -> ``(N, K)`` rows summing to 1 (numerically stable); ``(0, K)`` stays empty."""
    if logits.size == 0:
        return logits.astype(np.float32)
    e: Float32Array = np.exp(logits - logits.max(axis=-1, keepdims=True)).astype(np.float32)
    out: Float32Array = e / e.sum(axis=-1, keepdims=True)
    return out


def sigmoid(logits: Float32Array) -> Float32Array:
    """``(N, K)`` -> ``(N, K)`` independent probabilities in [0, 1]."""
    return (1.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.float32)


def activate(logits: Float32Array, activation: Activation) -> Float32Array:
    if activation == "softmax":
        return softmax(logits)
    if activation == "sigmoid":
        return sigmoid(logits)
    return logits.astype(np.float32)


def activation_for(config: Mapping[str, Any], output_name: str) -> Activation:
    """Softmax, unless multi-label (sigmoid) or the graph already outputs probabilities."""
    if any(word in output_name.lower() for word in _PROBABILITY_OUTPUTS):
        return "none"
    if config.get("problem_type") == "multi_label_classification":
        return "sigmoid"
    return "softmax"


def labels_from_config(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Class names in output-index order from a transformers ``config.json`` (may be empty)."""
    id2label = config.get("id2label")
    if not isinstance(id2label, Mapping) or not id2label:
        label2id = config.get("label2id")
        if not isinstance(label2id, Mapping) or not label2id:
            return ()
        id2label = {v: k for k, v in label2id.items()}
    try:
        items = sorted((int(k), str(v)) for k, v in id2label.items())
    except (TypeError, ValueError):
        return ()
    return tuple(label for _, label in items)


def label_name(labels: Sequence[str], index: int) -> str:
    return labels[index] if index < len(labels) else f"LABEL_{index}"


def rank(scores: npt.NDArray[np.floating[Any]], labels: Sequence[str]) -> Scores:
    """``(K,)`` scores -> ``[(label, score)]`` best first; ties keep the label order."""
    order = np.argsort(-scores, kind="stable")
    return [(label_name(labels, int(i)), float(scores[i])) for i in order]


# --------------------------------------------------------------------------- the model


def _read_json(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadFailed(f"Could not read {path.name}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadFailed(f"{path.name} is not a JSON object.")
    return data


def _static(dim: int | str | None) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def _numpy_dtype(info: TensorInfo) -> type[np.floating[Any]]:
    return np.float16 if "float16" in info.dtype else np.float32


class OnnxImageClassifier(InferenceModel[RGB, Scores]):
    """RGB uint8 ``(H, W, 3)`` images -> every label with its score, best first."""

    _session: Session
    _pre: Preprocessing
    _labels: tuple[str, ...]
    _activation: Activation
    _input: TensorInfo
    _output: str
    _channels_last: bool
    _dynamic_batch: bool
    _fixed_size: tuple[int, int] | None

    @property
    def labels(self) -> tuple[str, ...]:
        self.load()
        return self._labels

    @property
    def providers(self) -> list[str]:
        return list(self._session.providers) if self.loaded else []

    def _load(self) -> None:
        files = self.context.files
        config = _read_json(files.get("config"))
        self._pre = Preprocessing.from_config(_read_json(files.get("preprocessor")))
        session = self.context.session("model")
        if not session.inputs or not session.outputs:
            raise ModelLoadFailed(f"{self.name}: the graph has no input or no output.")
        inp = session.inputs[0]
        shape = inp.shape
        self._channels_last = len(shape) == 4 and shape[-1] == 3 and shape[1] != 3
        spatial = shape[1:3] if self._channels_last else shape[2:4]
        h, w = (_static(d) for d in spatial) if len(spatial) == 2 else (None, None)
        self._fixed_size = (h, w) if h is not None and w is not None else None
        self._dynamic_batch = not shape or _static(shape[0]) is None
        out = next((o for o in session.outputs if o.name == "logits"), session.outputs[0])
        labels = labels_from_config(config) or self.spec.labels
        classes = _static(out.shape[-1]) if out.shape else None
        if labels and classes is not None and classes != len(labels):
            raise ModelLoadFailed(
                f"{self.name}: the graph gives {classes} scores but config.json names "
                f"{len(labels)} labels."
            )
        self._labels = tuple(labels)
        self._activation = activation_for(config, out.name)
        self._input, self._output, self._session = inp, out.name, session

    def _unload(self) -> None:
        del self._session

    def _predict(self, batch: Sequence[RGB]) -> list[Scores]:
        tensors = [preprocess(np.asarray(im), self._pre, self._fixed_size) for im in batch]
        scores = np.concatenate([self._run(group) for group in self._groups(tensors)])
        return [rank(row, self._labels) for row in scores]

    def _groups(self, tensors: list[Float32Array]) -> list[list[Float32Array]]:
        """Consecutive runs of same-shaped tensors, as large as the graph's batch axis allows."""
        limit = MAX_BATCH if self._dynamic_batch else 1
        groups: list[list[Float32Array]] = []
        for t in tensors:
            if groups and len(groups[-1]) < limit and groups[-1][0].shape == t.shape:
                groups[-1].append(t)
            else:
                groups.append([t])
        return groups

    def _run(self, group: list[Float32Array]) -> Float32Array:
        x = np.stack(group)
        if self._channels_last:
            x = x.transpose(0, 2, 3, 1)
        x = np.ascontiguousarray(x, dtype=_numpy_dtype(self._input))
        (logits,) = self._session.run({self._input.name: x}, [self._output])
        flat = np.asarray(logits, dtype=np.float32).reshape(len(group), -1)
        return activate(flat, self._activation)
