"""tfjs graph models to ONNX: a small NHWC graph written here runs in ONNX Runtime as numpy
computes it from TensorFlow's definitions; unknown ops are refused by name."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tfjs_support import conv2d, pool2d, save_json, write_weights

from argus.config.platform import RuntimeSettings
from argus.models.convert.tfjs_graph import UnsupportedGraph, convert_graph_dir
from argus.models.tfjs_preprocess import resize_bilinear
from argus.runtime.ort import OrtSession


def _s(text: str) -> dict[str, str]:
    return {"s": base64.b64encode(text.encode()).decode()}


def _ints(*values: int) -> dict[str, Any]:
    return {"list": {"i": [str(v) for v in values]}}


def _node(name: str, op: str, inputs: list[str] | None = None, **attr: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"name": name, "op": op, "attr": attr}
    if inputs is not None:
        node["input"] = inputs
    return node


def _graph(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    rng = np.random.default_rng(1)
    consts = [
        ("pad", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32), "int32"),
        ("k1", rng.normal(size=(3, 3, 3, 4)).astype(np.float32), "float16"),
        ("b1", rng.normal(size=(4,)).astype(np.float32), "float16"),
        ("k2", rng.normal(size=(3, 3, 4, 1)).astype(np.float32), "float32"),
        ("size", np.array([4, 4], np.int32), "int32"),
        ("axis", np.array(3, np.int32), "int32"),
        ("perm", np.array([0, 3, 1, 2], np.int32), "int32"),
        ("base", np.array([1, 8, 16], np.int32), "int32"),
        ("where", np.zeros((0, 1), np.int32), "int32"),
        ("dense_shape", np.array([3], np.int32), "int32"),
        ("values", np.zeros((0,), np.int32), "int32"),
        ("zero", np.array(0, np.int32), "int32"),
        ("splits", np.array([3, 5], np.int32), "int32"),
        ("split_dim", np.array(1, np.int32), "int32"),
    ]
    manifest, loaded = write_weights(tmp_path, consts)
    conv = {"padding": _s("VALID"), "data_format": _s("NHWC"), "strides": _ints(1, 2, 2, 1)}
    nodes = [
        _node(
            "x",
            "Placeholder",
            shape={"shape": {"dim": [{"size": "1"}, {"size": "8"}, {"size": "8"}, {"size": "3"}]}},
        ),
        *[_node(name, "Const") for name, _, _ in consts],
        _node("padded", "Pad", ["x", "pad"]),
        _node("conv", "Conv2D", ["padded", "k1"], **conv),
        _node("biased", "BiasAdd", ["conv", "b1"]),
        _node("leaky", "LeakyRelu", ["biased"], alpha={"f": 0.1}),
        _node(
            "dw",
            "DepthwiseConv2dNative",
            ["leaky", "k2", "^leaky"],
            padding=_s("SAME"),
            strides=_ints(1, 1, 1, 1),
        ),
        _node("relu6", "Relu6", ["dw"]),
        _node(
            "pool",
            "MaxPool",
            ["relu6"],
            padding=_s("SAME"),
            ksize=_ints(1, 2, 2, 1),
            strides=_ints(1, 2, 2, 1),
        ),
        _node("up", "ResizeBilinear", ["pool", "size"], align_corners={"b": True}),
        _node("cat", "ConcatV2", ["up", "leaky", "axis"], N={"i": "2"}),
        _node("nchw", "Transpose", ["cat", "perm"]),
        _node("delta", "SparseToDense", ["where", "dense_shape", "values", "zero"]),
        _node("shape", "AddV2", ["base", "delta"]),
        _node("flat", "Reshape", ["nchw", "shape"]),
        _node("split", "SplitV", ["flat", "splits", "split_dim"], num_split={"i": "2"}),
        _node("sig", "Sigmoid", ["split"]),
        _node("Identity", "Identity", ["sig"]),
        _node("Identity_1", "Identity", ["split:1"]),
    ]
    model = {
        "format": "graph-model",
        "modelTopology": {"node": nodes},
        "signature": {
            "outputs": {
                "Identity:0": {
                    "tensorShape": {"dim": [{"size": "1"}, {"size": "3"}, {"size": "16"}]}
                },
                "Identity_1:0": {
                    "tensorShape": {"dim": [{"size": "1"}, {"size": "5"}, {"size": "16"}]}
                },
            }
        },
        "weightsManifest": manifest,
    }
    return save_json(tmp_path / "model.json", model), loaded


def _reference(x: np.ndarray, w: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    biased = conv2d(padded, w["k1"], 2, "VALID") + w["b1"]
    leaky = np.where(biased > 0, biased, 0.1 * biased)
    relu6 = np.clip(conv2d(leaky, w["k2"], 1, "SAME", depthwise=True), 0, 6)
    pool = pool2d(relu6, 2, 2, "max", "SAME")
    up = resize_bilinear(pool[0], (4, 4), align_corners=True)[None]
    flat = np.concatenate([up, leaky], axis=3).transpose(0, 3, 1, 2).reshape(1, 8, 16)
    return 1 / (1 + np.exp(-flat[:, :3])), flat[:, 3:]


def test_a_small_nhwc_graph_converts_and_matches_numpy(tmp_path: Path) -> None:
    model_json, weights = _graph(tmp_path)
    out = tmp_path / "model.onnx"
    convert_graph_dir(model_json, out)
    session = OrtSession(out, RuntimeSettings())
    x = np.random.default_rng(2).normal(size=(1, 8, 8, 3)).astype(np.float32)

    got = session.run({"x": x})

    assert [o.name for o in session.outputs] == ["Identity", "Identity_1"]
    want = _reference(x, weights)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-4)


def test_an_unknown_op_is_refused_by_name(tmp_path: Path) -> None:
    model = {
        "modelTopology": {
            "node": [
                _node("x", "Placeholder", shape={"shape": {"dim": [{"size": "1"}]}}),
                _node("y", "Erfinv", ["x"]),
            ]
        },
        "weightsManifest": [],
    }
    with pytest.raises(UnsupportedGraph, match="Erfinv"):
        convert_graph_dir(save_json(tmp_path / "model.json", model), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
