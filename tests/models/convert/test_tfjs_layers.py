"""tfjs layers models to ONNX: a small Keras functional model with uint8- and fp16-quantized
weights runs in ONNX Runtime as numpy computes it from Keras's definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tfjs_support import conv2d, pool2d, write_weights

from argus.config.platform import RuntimeSettings
from argus.models.convert.tfjs_layers import UnsupportedLayers, convert_layers_files
from argus.runtime.ort import OrtSession

EPS = 1e-3


def _layer(name: str, cls: str, inputs: list[str], **config: Any) -> dict[str, Any]:
    return {
        "name": name,
        "class_name": cls,
        "config": {"name": name, **config},
        "inbound_nodes": [[[i, 0, 0, {}] for i in inputs]] if inputs else [],
    }


def _model() -> tuple[list[dict[str, Any]], list[tuple[str, np.ndarray, str]]]:
    rng = np.random.default_rng(3)

    def bn(name: str, c: int) -> list[tuple[str, np.ndarray, str]]:
        return [
            (f"{name}/gamma", rng.uniform(0.5, 1.5, c).astype(np.float32), "float16"),
            (f"{name}/beta", rng.normal(size=c).astype(np.float32), "float16"),
            (f"{name}/moving_mean", rng.normal(size=c).astype(np.float32), "float32"),
            (f"{name}/moving_variance", rng.uniform(0.5, 2, c).astype(np.float32), "float32"),
        ]

    weights = [
        ("conv1/kernel", rng.normal(size=(3, 3, 3, 4)).astype(np.float32), "uint8"),
        *bn("bn1", 4),
        ("dw/depthwise_kernel", rng.normal(size=(3, 3, 4, 1)).astype(np.float32), "uint8"),
        *bn("bn2", 4),
        ("sep/depthwise_kernel", rng.normal(size=(3, 3, 4, 1)).astype(np.float32), "uint8"),
        ("sep/pointwise_kernel", rng.normal(size=(1, 1, 4, 5)).astype(np.float32), "uint8"),
        ("sep/bias", rng.normal(size=5).astype(np.float32), "float32"),
        ("proj/kernel", rng.normal(size=(1, 1, 4, 5)).astype(np.float32), "uint8"),
        ("proj/bias", rng.normal(size=5).astype(np.float32), "float32"),
        *bn("bn3", 5),
        ("dense1/kernel", rng.normal(size=(18, 6)).astype(np.float32), "uint8"),
        ("dense1/bias", rng.normal(size=6).astype(np.float32), "float32"),
        ("dense2/kernel", rng.normal(size=(6, 3)).astype(np.float32), "uint8"),
        ("dense2/bias", rng.normal(size=3).astype(np.float32), "float32"),
    ]
    linear = {"activation": "linear"}
    layers = [
        _layer("input_1", "InputLayer", [], batch_input_shape=[None, 6, 6, 3]),
        _layer("pad", "ZeroPadding2D", ["input_1"], padding=[[0, 1], [0, 1]]),
        _layer(
            "conv1",
            "Conv2D",
            ["pad"],
            filters=4,
            kernel_size=[3, 3],
            strides=[2, 2],
            padding="valid",
            use_bias=False,
            **linear,
        ),
        _layer("bn1", "BatchNormalization", ["conv1"], axis=-1, epsilon=EPS),
        _layer("relu1", "ReLU", ["bn1"], max_value=6),
        _layer(
            "dw",
            "DepthwiseConv2D",
            ["relu1"],
            kernel_size=[3, 3],
            strides=[1, 1],
            padding="same",
            use_bias=False,
            depth_multiplier=1,
            **linear,
        ),
        _layer("bn2", "BatchNormalization", ["dw"], axis=-1, epsilon=EPS),
        _layer("relu2", "ReLU", ["bn2"], max_value=6),
        _layer(
            "sep",
            "SeparableConv2D",
            ["relu2"],
            filters=5,
            kernel_size=[3, 3],
            strides=[1, 1],
            padding="same",
            activation="relu",
        ),
        _layer(
            "proj",
            "Conv2D",
            ["relu1"],
            filters=5,
            kernel_size=[1, 1],
            strides=[1, 1],
            padding="same",
            **linear,
        ),
        _layer("add", "Add", ["sep", "proj"]),
        _layer("bn3", "BatchNormalization", ["add"], axis=-1, epsilon=EPS),
        _layer("cat", "Concatenate", ["bn3", "relu2"], axis=-1),
        _layer("gap", "GlobalAveragePooling2D", ["cat"]),
        _layer("pool", "MaxPooling2D", ["cat"], pool_size=[3, 3], strides=[3, 3], padding="valid"),
        _layer("flat", "Flatten", ["pool"]),
        _layer("both", "Concatenate", ["gap", "flat"], axis=-1),
        _layer("dense1", "Dense", ["both"], units=6, activation="relu"),
        _layer("drop", "Dropout", ["dense1"], rate=0.5),
        _layer("dense2", "Dense", ["drop"], units=3, activation="softmax"),
    ]
    return layers, weights


def _bn(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    inv = w[f"{name}/gamma"] / np.sqrt(w[f"{name}/moving_variance"] + EPS)
    return (x - w[f"{name}/moving_mean"]) * inv + w[f"{name}/beta"]


def _reference(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    pad = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))
    relu1 = np.clip(_bn(conv2d(pad, w["conv1/kernel"], 2, "VALID"), w, "bn1"), 0, 6)
    dw = conv2d(relu1, w["dw/depthwise_kernel"], 1, "SAME", depthwise=True)
    relu2 = np.clip(_bn(dw, w, "bn2"), 0, 6)
    sep = conv2d(relu2, w["sep/depthwise_kernel"], 1, "SAME", depthwise=True)
    sep = np.maximum(conv2d(sep, w["sep/pointwise_kernel"], 1, "SAME") + w["sep/bias"], 0)
    proj = conv2d(relu1, w["proj/kernel"], 1, "SAME") + w["proj/bias"]
    cat = np.concatenate([_bn(sep + proj, w, "bn3"), relu2], axis=3)
    both = np.concatenate(
        [cat.mean(axis=(1, 2)), pool2d(cat, 3, 3, "max").reshape(len(x), -1)], axis=1
    )
    hidden = np.maximum(both @ w["dense1/kernel"] + w["dense1/bias"], 0)
    logits = hidden @ w["dense2/kernel"] + w["dense2/bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _convert(tmp_path: Path, layers: list[dict[str, Any]], weights: Any) -> tuple[Path, Any]:
    manifest, loaded = write_weights(tmp_path, weights)
    model = {
        "modelTopology": {
            "model_config": {
                "class_name": "Model",
                "config": {
                    "name": "tiny",
                    "layers": layers,
                    "input_layers": [["input_1", 0, 0]],
                    "output_layers": [[layers[-1]["name"], 0, 0]],
                },
            }
        },
        "weightsManifest": manifest,
    }
    out = tmp_path / "model.onnx"
    convert_layers_files(model, tmp_path, out)
    return out, loaded


def test_a_small_keras_model_with_quantized_weights_matches_numpy(tmp_path: Path) -> None:
    layers, weights = _model()
    out, loaded = _convert(tmp_path, layers, weights)
    session = OrtSession(out, RuntimeSettings())
    x = np.random.default_rng(4).uniform(0, 1, size=(2, 6, 6, 3)).astype(np.float32)

    (got,) = session.run({"input_1": x})

    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, _reference(x, loaded), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def test_batch_normalization_after_a_conv_is_folded_into_it(tmp_path: Path) -> None:
    import onnx

    layers, weights = _model()
    out, _ = _convert(tmp_path, layers, weights)
    ops = [n.op_type for n in onnx.load(str(out)).graph.node]
    # bn1 and bn2 fold into conv1 and dw; bn3 follows an Add and stays a scale and shift
    assert ops.count("Mul") == 1
    assert ops.count("Conv") == 5


def test_an_unknown_layer_is_refused_by_name(tmp_path: Path) -> None:
    layers, weights = _model()
    layers.insert(1, _layer("lstm", "LSTM", ["input_1"], units=3))
    with pytest.raises(UnsupportedLayers, match="LSTM"):
        _convert(tmp_path, layers, weights)
