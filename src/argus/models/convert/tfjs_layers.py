"""TensorFlow.js *layers* models (a Keras functional topology as JSON) to ONNX.

The graph input keeps Keras's NHWC shape; one Transpose turns it to NCHW, which every spatial
tensor keeps from then on (Flatten and 4-D outputs go back to NHWC first, so results match Keras
element for element). Batch normalisation that follows a convolution whose output nothing else
reads is folded into the convolution's weights and bias; any other batch normalisation becomes
a per-channel scale and shift. Weights are looked up as ``<layer>/<variable>`` (e.g.
``Conv1/kernel``, ``bn_Conv1/moving_mean``). Layers outside :data:`SUPPORTED_LAYERS` are refused.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from argus.models.convert.onnx_graph import OnnxGraph
from argus.models.convert.tfjs_weights import Array, read_weights

SUPPORTED_LAYERS = frozenset(
    {
        "InputLayer",
        "Conv2D",
        "DepthwiseConv2D",
        "SeparableConv2D",
        "BatchNormalization",
        "ReLU",
        "Activation",
        "ZeroPadding2D",
        "Add",
        "Concatenate",
        "GlobalAveragePooling2D",
        "AveragePooling2D",
        "MaxPooling2D",
        "Dense",
        "Dropout",
        "Flatten",
    }
)
_CONVS = frozenset({"Conv2D", "DepthwiseConv2D", "SeparableConv2D"})


class UnsupportedLayers(ValueError):
    """The topology uses a layer class or option this converter does not implement."""


class _Tensor:
    """An ONNX tensor name with its rank (4-D tensors are NCHW inside the graph)."""

    def __init__(self, name: str, rank: int) -> None:
        self.name, self.rank = name, rank


def _pair(value: Any) -> list[int]:
    return [int(v) for v in value] if isinstance(value, list) else [int(value)] * 2


def _zero_padding(pad: Any) -> tuple[list[int], list[int]]:
    """Keras ZeroPadding2D ``padding``: int, ``[rows, cols]`` or ``[[top, bot], [left, right]]``."""
    if isinstance(pad, list) and pad and isinstance(pad[0], list):
        return _pair(pad[0]), _pair(pad[1])
    rows, cols = _pair(pad)
    return [rows, rows], [cols, cols]


class _Converter:
    def __init__(self, config: Mapping[str, Any], weights: Mapping[str, Array]) -> None:
        self.layers: list[Mapping[str, Any]] = list(config["layers"])
        self.config = config
        self.weights = weights
        self.g = OnnxGraph(str(config.get("name", "tfjs_layers")))
        self.env: dict[str, _Tensor] = {}
        self.readers: Counter[str] = Counter(
            inbound[0]
            for layer in self.layers
            for node in layer["inbound_nodes"]
            for inbound in node
        )
        self.by_name = {str(layer["name"]): layer for layer in self.layers}
        self.folded: set[str] = set()  # BatchNormalization layers folded into their conv

    def weight(self, layer: str, var: str) -> Array:
        key = f"{layer}/{var}"
        if key in self.weights:
            return np.asarray(self.weights[key], np.float32)
        matches = [k for k in self.weights if k.endswith(f"/{key}")]
        if len(matches) != 1:
            raise UnsupportedLayers(f"weight {key!r} not found in the manifest")
        return np.asarray(self.weights[matches[0]], np.float32)

    def bn_affine(self, layer: Mapping[str, Any]) -> tuple[Array, Array]:
        """Per-channel (scale, shift) of an inference-mode BatchNormalization."""
        name, cfg = str(layer["name"]), layer["config"]
        mean = self.weight(name, "moving_mean")
        var = self.weight(name, "moving_variance")
        gamma = self.weight(name, "gamma") if cfg.get("scale", True) else np.ones_like(mean)
        beta = self.weight(name, "beta") if cfg.get("center", True) else np.zeros_like(mean)
        scale = gamma / np.sqrt(var + np.float32(cfg.get("epsilon", 1e-3)))
        return scale.astype(np.float32), (beta - mean * scale).astype(np.float32)

    def foldable_bn(self, conv: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The BatchNormalization reading only this conv's output, when the conv is linear."""
        name = str(conv["name"])
        if self.readers[name] != 1 or conv["config"].get("activation", "linear") != "linear":
            return None
        for layer in self.layers:
            reads = any(inbound[0] == name for node in layer["inbound_nodes"] for inbound in node)
            if layer["class_name"] == "BatchNormalization" and reads:
                axis = int(layer["config"].get("axis", -1))
                return layer if axis in (-1, 3) else None
        return None

    def activation(self, x: str, kind: str, hint: str) -> str:
        g = self.g
        if kind in ("linear", None):
            return x
        if kind == "relu":
            return g.op("Relu", [x], hint)
        if kind == "relu6":
            return g.op("Clip", [x, g.const(np.float32(0)), g.const(np.float32(6))], hint)
        if kind in ("sigmoid", "tanh"):
            return g.op(kind.capitalize(), [x], hint)
        if kind == "softmax":
            return g.op("Softmax", [x], hint, axis=-1)
        raise UnsupportedLayers(f"activation {kind!r}")

    def padding(self, cfg: Mapping[str, Any]) -> dict[str, Any]:
        mode = str(cfg.get("padding", "valid"))
        if mode == "same":
            return {"auto_pad": "SAME_UPPER"}
        if mode == "valid":
            return {"pads": [0, 0, 0, 0]}
        raise UnsupportedLayers(f"padding {mode!r}")

    def conv(self, layer: Mapping[str, Any], x: _Tensor) -> _Tensor:
        name, cfg, cls = str(layer["name"]), layer["config"], layer["class_name"]
        g = self.g
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise UnsupportedLayers(f"{name}: only channels_last is supported")
        common = {
            "strides": _pair(cfg.get("strides", 1)),
            "dilations": _pair(cfg.get("dilation_rate", 1)),
            **self.padding(cfg),
        }
        bias = self.weight(name, "bias") if cfg.get("use_bias", True) else None
        if cls == "Conv2D":
            weight, group = self.weight(name, "kernel").transpose(3, 2, 0, 1), 1
        else:
            dw = self.weight(name, "depthwise_kernel")
            h, w, c, m = dw.shape
            weight, group = dw.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w), c
        pointwise: Array | None = None
        if cls == "SeparableConv2D":
            pointwise = self.weight(name, "pointwise_kernel").transpose(3, 2, 0, 1)
        last = pointwise if pointwise is not None else weight
        out_channels = last.shape[0]
        if bias is None:
            bias = np.zeros(out_channels, np.float32)
        bn = self.foldable_bn(layer)
        if bn is not None:
            scale, shift = self.bn_affine(bn)
            last = last * scale[:, None, None, None]
            bias = bias * scale + shift
            self.folded.add(str(bn["name"]))
        if pointwise is not None:
            y = g.op(
                "Conv",
                [x.name, g.const(weight, f"{name}/depthwise")],
                f"{name}/dw",
                group=group,
                **common,
            )
            y = g.op(
                "Conv", [y, g.const(last, f"{name}/pointwise"), g.const(bias, f"{name}/b")], name
            )
        else:
            y = g.op(
                "Conv",
                [x.name, g.const(last, f"{name}/w"), g.const(bias, f"{name}/b")],
                name,
                group=group,
                **common,
            )
        y = self.activation(y, cfg.get("activation", "linear"), f"{name}/act")
        out = _Tensor(y, 4)
        if bn is not None:
            self.env[str(bn["name"])] = out
        return out

    def pool(self, layer: Mapping[str, Any], x: _Tensor, op: str) -> _Tensor:
        cfg, name = layer["config"], str(layer["name"])
        size = _pair(cfg.get("pool_size", 2))
        strides = _pair(cfg.get("strides") or size)
        y = self.g.op(op, [x.name], name, kernel_shape=size, strides=strides, **self.padding(cfg))
        return _Tensor(y, 4)

    def to_nhwc(self, x: _Tensor, hint: str) -> str:
        if x.rank != 4:
            return x.name
        return self.g.op("Transpose", [x.name], hint, perm=[0, 2, 3, 1])

    def layer(self, layer: Mapping[str, Any], xs: list[_Tensor]) -> _Tensor:
        cls, cfg, name = layer["class_name"], layer["config"], str(layer["name"])
        g = self.g
        if cls in _CONVS:
            return self.conv(layer, xs[0])
        if cls == "BatchNormalization":
            scale, shift = self.bn_affine(layer)
            shape = (1, -1, 1, 1) if xs[0].rank == 4 else (1, -1)
            y = g.op(
                "Mul", [xs[0].name, g.const(scale.reshape(shape), f"{name}/scale")], f"{name}/mul"
            )
            return _Tensor(
                g.op("Add", [y, g.const(shift.reshape(shape), f"{name}/shift")], name), xs[0].rank
            )
        if cls == "ReLU":
            if float(cfg.get("negative_slope") or 0) != 0 or float(cfg.get("threshold") or 0):
                raise UnsupportedLayers(f"{name}: ReLU with a slope or threshold")
            top = cfg.get("max_value")
            if top is None:
                return _Tensor(g.op("Relu", [xs[0].name], name), xs[0].rank)
            clip = [xs[0].name, g.const(np.float32(0)), g.const(np.float32(top))]
            return _Tensor(g.op("Clip", clip, name), xs[0].rank)
        if cls == "Activation":
            act = str(cfg["activation"])
            if act == "softmax" and xs[0].rank == 4:
                return _Tensor(g.op("Softmax", [xs[0].name], name, axis=1), 4)
            return _Tensor(self.activation(xs[0].name, act, name), xs[0].rank)
        if cls == "ZeroPadding2D":
            (top, bottom), (left, right) = _zero_padding(cfg.get("padding", 1))
            pads = g.int64([0, 0, top, left, 0, 0, bottom, right])
            return _Tensor(g.op("Pad", [xs[0].name, pads], name), 4)
        if cls == "Add":
            y = xs[0].name
            for i, other in enumerate(xs[1:]):
                y = g.op("Add", [y, other.name], name if i == len(xs) - 2 else f"{name}/{i}")
            return _Tensor(y, xs[0].rank)
        if cls == "Concatenate":
            axis = int(cfg.get("axis", -1))
            rank = xs[0].rank
            axis = axis % rank
            if rank == 4:
                axis = {0: 0, 1: 2, 2: 3, 3: 1}[axis]
            return _Tensor(g.op("Concat", [x.name for x in xs], name, axis=axis), rank)
        if cls == "GlobalAveragePooling2D":
            y = g.op("GlobalAveragePool", [xs[0].name], f"{name}/pool")
            return _Tensor(g.op("Flatten", [y], name, axis=1), 2)
        if cls == "AveragePooling2D":
            return self.pool(layer, xs[0], "AveragePool")
        if cls == "MaxPooling2D":
            return self.pool(layer, xs[0], "MaxPool")
        if cls == "Flatten":
            return _Tensor(g.op("Flatten", [self.to_nhwc(xs[0], f"{name}/nhwc")], name, axis=1), 2)
        if cls == "Dropout":
            return xs[0]
        if cls == "Dense":
            if xs[0].rank != 2:
                raise UnsupportedLayers(f"{name}: Dense on a rank-{xs[0].rank} input")
            kernel = self.weight(name, "kernel")
            bias = (
                self.weight(name, "bias")
                if cfg.get("use_bias", True)
                else np.zeros(kernel.shape[1], np.float32)
            )
            y = g.op(
                "Gemm",
                [xs[0].name, g.const(kernel, f"{name}/w"), g.const(bias, f"{name}/b")],
                f"{name}/gemm",
            )
            return _Tensor(
                self.activation(y, cfg.get("activation", "linear"), name)
                if cfg.get("activation", "linear") != "linear"
                else g.op("Identity", [y], name),
                2,
            )
        raise UnsupportedLayers(f"layer class {cls!r} ({name!r}) is not supported")

    def run(self) -> OnnxGraph:
        g = self.g
        for layer in self.layers:
            name, cls = str(layer["name"]), layer["class_name"]
            if cls == "InputLayer":
                shape = layer["config"]["batch_input_shape"]
                dims: list[int | str | None] = ["batch"] + [
                    int(d) if d is not None else None for d in shape[1:]
                ]
                x = g.add_input(name, dims)
                if len(dims) == 4:
                    x = g.op("Transpose", [x], f"{name}/nchw", perm=[0, 3, 1, 2])
                self.env[name] = _Tensor(x, len(dims))
                continue
            if name in self.folded:
                continue
            nodes = layer["inbound_nodes"]
            if len(nodes) != 1:
                raise UnsupportedLayers(f"{name}: shared layers (called {len(nodes)} times)")
            xs = [self.env[str(inbound[0])] for inbound in nodes[0]]
            self.env[name] = self.layer(layer, xs)
        for out in self.config["output_layers"]:
            t = self.env[str(out[0])]
            tensor = self.to_nhwc(t, f"{out[0]}/nhwc")
            g.add_output(tensor, ["batch"] + [None] * (t.rank - 1), f"output_{out[0]}")
        return g


def convert_layers(model: Mapping[str, Any], weights: Mapping[str, Array]) -> onnx.ModelProto:
    """ONNX model of a tfjs layers model (``model.json`` parsed) with its decoded weights.

    The input is named after the Keras InputLayer (NHWC, dynamic batch); each output is named
    ``output_<layer>``.
    """
    topology = model["modelTopology"]
    config = topology.get("model_config", topology)
    if config.get("class_name") not in ("Model", "Functional", "Sequential"):
        raise UnsupportedLayers(f"model class {config.get('class_name')!r}")
    inner = config["config"]
    if config["class_name"] == "Sequential":
        raise UnsupportedLayers("Sequential topologies are not supported; use a functional one")
    unknown = sorted({layer["class_name"] for layer in inner["layers"]} - SUPPORTED_LAYERS)
    if unknown:
        raise UnsupportedLayers(f"unsupported layers: {', '.join(unknown)}")
    return _Converter(inner, weights).run().model("converted from a tfjs layers model")


def convert_layers_files(model: Mapping[str, Any], shard_dir: Path, out_path: Path) -> None:
    """Convert a parsed layers ``model.json`` whose shards lie in ``shard_dir`` to ``out_path``."""
    weights = read_weights(model["weightsManifest"], shard_dir)
    onnx.save(convert_layers(model, weights), str(out_path))


def load_model_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise UnsupportedLayers(f"{path.name}: not a tfjs model JSON object")
    return data


__all__: Sequence[str] = ("UnsupportedLayers", "convert_layers", "convert_layers_files")
