"""TensorFlow.js *graph* models (a frozen GraphDef as JSON) to ONNX.

Tensors keep TensorFlow's layout: NHWC stays NHWC, and each spatial op (convolutions, pooling,
resizing) is wrapped in a Transpose to NCHW and back; ONNX Runtime's transpose optimizer cancels
the pairs, so the converted graph runs at native speed. Nodes whose inputs are all constants are
evaluated here with numpy (shape arithmetic such as ``SparseToDense`` that TF exporters leave
behind) and become initializers. Any op outside :data:`SUPPORTED_OPS` is refused with its name,
never guessed at. Weights come from :mod:`argus.models.convert.tfjs_weights`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from argus.models.convert.onnx_graph import OnnxGraph
from argus.models.convert.tfjs_weights import Array, read_weights

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


class UnsupportedGraph(ValueError):
    """The graph uses an op or attribute this converter does not implement."""


Value = str | Array  # an ONNX tensor name, or a constant known at conversion time


def _attr(node: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A TF AttrValue as plain Python: str (from base64), int, float, bool, list or dtype."""
    raw = node.get("attr", {}).get(key)
    if raw is None:
        return default
    if "s" in raw:
        return base64.b64decode(raw["s"]).decode()
    if "i" in raw:
        return int(raw["i"])
    if "f" in raw:
        return float(raw["f"])
    if "b" in raw:
        return bool(raw["b"])
    if "type" in raw:
        return str(raw["type"])
    if "list" in raw:
        items = raw["list"]
        if "i" in items:
            return [int(v) for v in items["i"]]
        if "f" in items:
            return [float(v) for v in items["f"]]
        if "s" in items:
            return [base64.b64decode(v).decode() for v in items["s"]]
        return []
    return default


def _ref(name: str) -> str:
    """TF input reference (``node``, ``node:1``, ``^control``) as a tensor key."""
    return name if ":" in name else f"{name}:0"


class _Converter:
    def __init__(self, nodes: Sequence[Mapping[str, Any]], weights: Mapping[str, Array]) -> None:
        self.nodes = nodes
        self.weights = weights
        self.g = OnnxGraph("tfjs_graph")
        self.env: dict[str, Value] = {}

    # -- helpers --------------------------------------------------------------------------
    def tensor(self, value: Value, hint: str) -> str:
        return value if isinstance(value, str) else self.g.const(value, hint)

    def const(self, node: Mapping[str, Any], index: int) -> Array:
        value = self.env[_ref(node["input"][index])]
        if isinstance(value, str):
            raise UnsupportedGraph(
                f"{node['op']} {node['name']!r}: input {index} must be a constant"
            )
        return value

    def to_nchw(self, x: Value, hint: str) -> str:
        return self.g.op("Transpose", [self.tensor(x, hint)], f"{hint}/nchw", perm=NHWC_TO_NCHW)

    def to_nhwc(self, x: str, hint: str) -> str:
        return self.g.op("Transpose", [x], hint, perm=NCHW_TO_NHWC)

    @staticmethod
    def nhwc_pair(node: Mapping[str, Any], key: str, default: int = 1) -> list[int]:
        values = _attr(node, key) or [default] * 4
        if _attr(node, "data_format", "NHWC") != "NHWC":
            raise UnsupportedGraph(f"{node['name']!r}: only NHWC data_format is supported")
        return [int(values[1]), int(values[2])]

    def padding(self, node: Mapping[str, Any]) -> dict[str, Any]:
        mode = _attr(node, "padding", "VALID")
        if mode == "SAME":
            return {"auto_pad": "SAME_UPPER"}
        if mode == "VALID":
            return {"pads": [0, 0, 0, 0]}
        if mode == "EXPLICIT":
            p = _attr(node, "explicit_paddings")
            return {"pads": [p[2], p[4], p[3], p[5]]}
        raise UnsupportedGraph(f"{node['name']!r}: padding {mode!r}")

    # -- ops ------------------------------------------------------------------------------
    def conv(self, node: Mapping[str, Any], inputs: list[Value], depthwise: bool) -> str:
        name = node["name"]
        kernel = self.const(node, 1)
        if depthwise:  # (H, W, C, M) -> (C*M, 1, H, W), group C
            h, w, c, m = kernel.shape
            weight = kernel.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w)
            group = c
        else:  # (H, W, I, O) -> (O, I, H, W)
            weight = kernel.transpose(3, 2, 0, 1)
            group = 1
        args = [self.to_nchw(inputs[0], name), self.g.const(weight, f"{name}/weight")]
        fused = _attr(node, "fused_ops", [])
        if fused and fused[0] == "BiasAdd":
            args.append(self.g.const(self.const(node, 2).astype(np.float32), f"{name}/bias"))
            fused = fused[1:]
        y = self.g.op(
            "Conv",
            args,
            f"{name}/conv",
            strides=self.nhwc_pair(node, "strides"),
            dilations=self.nhwc_pair(node, "dilations"),
            group=group,
            **self.padding(node),
        )
        y = self.to_nhwc(y, name if not fused else f"{name}/nhwc")
        for i, act in enumerate(fused):
            y = self.activation(act, y, name if i == len(fused) - 1 else f"{name}/{act}", node)
        return y

    def activation(self, op: str, x: str, hint: str, node: Mapping[str, Any]) -> str:
        if op == "Relu":
            return self.g.op("Relu", [x], hint)
        if op == "Relu6":
            return self.g.op(
                "Clip", [x, self.g.const(np.float32(0)), self.g.const(np.float32(6))], hint
            )
        if op == "LeakyRelu":
            return self.g.op("LeakyRelu", [x], hint, alpha=_attr(node, "alpha", 0.2))
        if op in ("Sigmoid", "Tanh", "Elu"):
            return self.g.op(op, [x], hint)
        raise UnsupportedGraph(f"{node['name']!r}: activation {op!r}")

    def pool(self, node: Mapping[str, Any], inputs: list[Value], onnx_op: str) -> str:
        name = node["name"]
        y = self.g.op(
            onnx_op,
            [self.to_nchw(inputs[0], name)],
            f"{name}/pool",
            kernel_shape=self.nhwc_pair(node, "ksize"),
            strides=self.nhwc_pair(node, "strides"),
            **self.padding(node),
        )
        return self.to_nhwc(y, name)

    def resize(self, node: Mapping[str, Any], inputs: list[Value], mode: str) -> str:
        name = node["name"]
        size = self.const(node, 1).astype(np.int64)
        if _attr(node, "align_corners", False):
            transform = "align_corners"
        elif _attr(node, "half_pixel_centers", False):
            transform = "half_pixel" if mode == "linear" else "tf_half_pixel_for_nn"
        else:
            transform = "asymmetric"
        x = self.to_nchw(inputs[0], name)
        shape = self.g.op("Shape", [x], f"{name}/shape")
        nc = self.g.op("Slice", [shape, self.g.int64([0]), self.g.int64([2])], f"{name}/nc")
        sizes = self.g.op("Concat", [nc, self.g.int64(size)], f"{name}/sizes", axis=0)
        extra = {"nearest_mode": "floor" if transform == "asymmetric" else "round_prefer_ceil"}
        y = self.g.op(
            "Resize",
            [x, "", "", sizes],
            f"{name}/resize",
            mode=mode,
            coordinate_transformation_mode=transform,
            **(extra if mode == "nearest" else {}),
        )
        return self.to_nhwc(y, name)

    def emit(self, node: Mapping[str, Any], inputs: list[Value]) -> list[str]:
        op, name = node["op"], node["name"]
        g = self.g
        binary = {
            "Add": "Add",
            "AddV2": "Add",
            "BiasAdd": "Add",
            "Sub": "Sub",
            "Mul": "Mul",
            "RealDiv": "Div",
            "Maximum": "Max",
            "Minimum": "Min",
        }
        if op in binary:
            a, b = (self.tensor(v, f"{name}/{i}") for i, v in enumerate(inputs[:2]))
            return [g.op(binary[op], [a, b], name)]
        if op in ("Relu", "Relu6", "LeakyRelu", "Sigmoid", "Tanh", "Elu"):
            return [self.activation(op, self.tensor(inputs[0], name), name, node)]
        if op == "Identity":
            return [g.op("Identity", [self.tensor(inputs[0], name)], name)]
        if op in ("Conv2D", "_FusedConv2D"):
            return [self.conv(node, inputs, depthwise=False)]
        if op in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
            return [self.conv(node, inputs, depthwise=True)]
        if op == "MaxPool":
            return [self.pool(node, inputs, "MaxPool")]
        if op == "AvgPool":
            return [self.pool(node, inputs, "AveragePool")]
        if op == "ResizeBilinear":
            return [self.resize(node, inputs, "linear")]
        if op == "ResizeNearestNeighbor":
            return [self.resize(node, inputs, "nearest")]
        if op == "Transpose":
            perm = [int(v) for v in self.const(node, 1)]
            return [g.op("Transpose", [self.tensor(inputs[0], name)], name, perm=perm)]
        if op == "Reshape":
            shape = g.int64(self.const(node, 1), f"{name}/shape")
            return [g.op("Reshape", [self.tensor(inputs[0], name), shape], name)]
        if op == "ConcatV2":
            axis = int(self.const(node, len(inputs) - 1))
            parts = [self.tensor(v, f"{name}/{i}") for i, v in enumerate(inputs[:-1])]
            return [g.op("Concat", parts, name, axis=axis)]
        if op in ("Pad", "PadV2"):
            pads = self.const(node, 1).astype(np.int64)
            args = [self.tensor(inputs[0], name), g.int64(np.concatenate([pads[:, 0], pads[:, 1]]))]
            if op == "PadV2":
                args.append(g.const(self.const(node, 2).astype(np.float32), f"{name}/value"))
            return [g.op("Pad", args, name)]
        if op == "SplitV":
            sizes = self.const(node, 1).astype(np.int64)
            axis = int(self.const(node, 2))
            if (sizes < 0).any():
                raise UnsupportedGraph(f"{name!r}: SplitV with an inferred (-1) size")
            return g.node(
                "Split",
                [self.tensor(inputs[0], name), g.int64(sizes)],
                name,
                outputs=len(sizes),
                axis=axis,
            )
        if op == "MatMul":
            a, b = (self.tensor(v, f"{name}/{i}") for i, v in enumerate(inputs[:2]))
            if _attr(node, "transpose_a", False) or _attr(node, "transpose_b", False):
                raise UnsupportedGraph(f"{name!r}: MatMul with transposed operands")
            return [g.op("MatMul", [a, b], name)]
        if op == "Softmax":
            return [g.op("Softmax", [self.tensor(inputs[0], name)], name, axis=-1)]
        raise UnsupportedGraph(f"op {op!r} (node {name!r}) is not supported")

    # -- driver ---------------------------------------------------------------------------
    def run(self, outputs: Mapping[str, tuple[str, list[int | str | None]]]) -> OnnxGraph:
        for node in self.nodes:
            op, name = node["op"], node["name"]
            if op == "Const":
                if name not in self.weights:
                    raise UnsupportedGraph(f"constant {name!r} has no weight in the manifest")
                self.env[f"{name}:0"] = self.weights[name]
                continue
            if op == "Placeholder":
                dims = _attr_shape(node)
                self.env[f"{name}:0"] = self.g.add_input(name, dims)
                continue
            refs = [_ref(r) for r in node.get("input", []) if not r.startswith("^")]
            missing = [r for r in refs if r not in self.env]
            if missing:
                raise UnsupportedGraph(f"{name!r} reads {missing[0]!r} before it is defined")
            inputs = [self.env[r] for r in refs]
            folded = _fold(node, inputs)
            results: Sequence[Value] = [folded] if folded is not None else self.emit(node, inputs)
            for i, value in enumerate(results):
                self.env[f"{name}:{i}"] = value
        for public, (ref, shape) in outputs.items():
            value = self.env[_ref(ref)]
            self.g.add_output(self.tensor(value, public), shape, public)
        return self.g


def _attr_shape(node: Mapping[str, Any]) -> list[int | str | None]:
    return _dims(node.get("attr", {}).get("shape", {}).get("shape", {}))


def _dims(shape: Mapping[str, Any]) -> list[int | str | None]:
    """A TensorShapeProto as ONNX dims: -1 becomes a named batch axis or an unknown dim."""
    dims = shape.get("dim", [])
    out: list[int | str | None] = []
    for i, d in enumerate(dims):
        size = int(d.get("size", -1))
        out.append(size if size >= 0 else ("batch" if i == 0 else None))
    return out


def _attr_of(node: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    shapes = node.get("attr", {}).get(key, {}).get("list", {}).get("shape", [{}])
    return dict(shapes[0]) if shapes else {}


def _sparse_to_dense(indices: Array, shape: Array, values: Array, default: Array) -> Array:
    """TF ``SparseToDense``: ``indices`` scalar, (N,) or (N, rank); ``values`` scalar or (N,)."""
    out = np.full(tuple(int(s) for s in np.atleast_1d(shape)), default, dtype=values.dtype)
    idx = np.asarray(indices)
    if idx.size == 0:
        return out
    idx = idx.reshape(-1, 1) if idx.ndim < 2 else idx
    out[tuple(idx.T)] = values
    return out


_FOLDERS: dict[str, Callable[[Mapping[str, Any], list[Array]], Array]] = {
    "Identity": lambda n, v: v[0],
    "Add": lambda n, v: np.add(v[0], v[1]),
    "AddV2": lambda n, v: np.add(v[0], v[1]),
    "Sub": lambda n, v: np.subtract(v[0], v[1]),
    "Mul": lambda n, v: np.multiply(v[0], v[1]),
    "Reshape": lambda n, v: v[0].reshape([int(s) for s in v[1]]),
    "Transpose": lambda n, v: v[0].transpose([int(s) for s in v[1]]),
    "ConcatV2": lambda n, v: np.concatenate(v[:-1], axis=int(v[-1])),
    "SparseToDense": lambda n, v: _sparse_to_dense(*v[:4]),
}


def _fold(node: Mapping[str, Any], inputs: list[Value]) -> Array | None:
    """The node's value when every input is a constant and numpy can compute it, else None."""
    fold = _FOLDERS.get(node["op"])
    if fold is None or not inputs or any(isinstance(v, str) for v in inputs):
        return None
    return np.asarray(fold(node, [v for v in inputs if not isinstance(v, str)]))


SUPPORTED_OPS = frozenset(
    {
        "Const",
        "Placeholder",
        "Identity",
        "Add",
        "AddV2",
        "BiasAdd",
        "Sub",
        "Mul",
        "RealDiv",
        "Maximum",
        "Minimum",
        "Relu",
        "Relu6",
        "LeakyRelu",
        "Sigmoid",
        "Tanh",
        "Elu",
        "Softmax",
        "Conv2D",
        "_FusedConv2D",
        "DepthwiseConv2dNative",
        "FusedDepthwiseConv2dNative",
        "MaxPool",
        "AvgPool",
        "ResizeBilinear",
        "ResizeNearestNeighbor",
        "Transpose",
        "Reshape",
        "ConcatV2",
        "Pad",
        "PadV2",
        "SplitV",
        "MatMul",
        "SparseToDense",
    }
)


def convert_graph(model: Mapping[str, Any], weights: Mapping[str, Array]) -> onnx.ModelProto:
    """ONNX model of a tfjs graph model (``model.json`` parsed) with its decoded weights.

    Graph inputs keep the Placeholder names and shapes; outputs are named after the
    signature's output nodes (``Identity``, ``Identity_1``, ...), or the graph's sinks.
    """
    topology = model["modelTopology"]
    nodes = topology["node"]
    unknown = sorted({n["op"] for n in nodes} - SUPPORTED_OPS)
    if unknown:
        raise UnsupportedGraph(f"unsupported ops: {', '.join(unknown)}")
    signature = model.get("signature", {}).get("outputs", {})
    outputs: dict[str, tuple[str, list[int | str | None]]]
    if signature:
        outputs = {
            key.split(":")[0]: (key, _dims(signature[key].get("tensorShape", {})))
            for key in sorted(signature)
        }
    else:
        used = {_ref(r).split(":")[0] for n in nodes for r in n.get("input", [])}
        outputs = {
            n["name"]: (n["name"], _dims(_attr_of(n, "_output_shapes")))
            for n in nodes
            if n["name"] not in used
        }
    return _Converter(nodes, weights).run(outputs).model("converted from a tfjs graph model")


def convert_graph_dir(model_json: Path, out_path: Path) -> None:
    """Convert ``model.json`` (with its shards beside it) to an ONNX file at ``out_path``."""
    model = json.loads(model_json.read_text())
    weights = read_weights(model["weightsManifest"], model_json.parent)
    onnx.save(convert_graph(model, weights), str(out_path))
