"""The EfficientNet-Lite converter on a small checkpoint written in the test (legacy PyTorch
format, the real layout's names): the ONNX graph it builds must compute what a plain numpy
EfficientNet-Lite computes (TF "SAME" padding, batch norm with epsilon 1e-3, ReLU6, residuals
where stride 1 keeps the channels), at odd image sizes too."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from legacy_torch import state_dict_checkpoint

from argus.config import RuntimeSettings
from argus.models.convert.efficientnet_lite import (
    Block,
    convert_checkpoint,
    labels,
    read_blocks,
)
from argus.models.image_classifier import Preprocessing
from argus.runtime.ort import OrtSession

Array = npt.NDArray[np.float32]
EPS = 1e-3


def tiny_state(seed: int = 0) -> dict[str, Array]:
    """Stem 3->8; block 0: depthwise 8 (k3) -> 8 (residual); block 1: 8 -> expand 16, k5,
    -> 12 (new stage, stride 2); block 2: 12 -> 24, k3, -> 12 (residual); head 20; fc 5."""
    rng = np.random.default_rng(seed)
    state: dict[str, Array] = {}

    def conv(name: str, o: int, i: int, k: int) -> None:
        state[name + ".weight"] = rng.normal(0, 0.4, (o, i, k, k)).astype(np.float32)

    def bn(name: str, c: int) -> None:
        state[name + ".weight"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        state[name + ".bias"] = rng.normal(0, 0.2, c).astype(np.float32)
        state[name + ".running_mean"] = rng.normal(0, 0.2, c).astype(np.float32)
        state[name + ".running_var"] = rng.uniform(0.5, 2.0, c).astype(np.float32)
        state[name + ".num_batches_tracked"] = np.array(100, np.int64)

    conv("_conv_stem", 8, 3, 3)
    bn("_bn0", 8)
    conv("_blocks.0._depthwise_conv", 8, 1, 3)
    bn("_blocks.0._bn1", 8)
    conv("_blocks.0._project_conv", 8, 8, 1)
    bn("_blocks.0._bn2", 8)
    for i, (cin, mid, cout, k) in ((1, (8, 16, 12, 5)), (2, (12, 24, 12, 3))):
        p = f"_blocks.{i}."
        conv(p + "_expand_conv", mid, cin, 1)
        bn(p + "_bn0", mid)
        conv(p + "_depthwise_conv", mid, 1, k)
        bn(p + "_bn1", mid)
        conv(p + "_project_conv", cout, mid, 1)
        bn(p + "_bn2", cout)
    conv("_conv_head", 20, 12, 1)
    bn("_bn1", 20)
    state["_fc.weight"] = rng.normal(0, 0.3, (5, 20)).astype(np.float32)
    state["_fc.bias"] = rng.normal(0, 0.1, 5).astype(np.float32)
    return state


# ----------------------------------------------------------------- a plain numpy reference


def conv_same(x: Array, w: Array, stride: int, groups: int) -> Array:
    """(C, H, W) * (O, C/groups, k, k) with TensorFlow "SAME" padding."""
    c, h, wd = x.shape
    o, _, k, _ = w.shape
    oh, ow = math.ceil(h / stride), math.ceil(wd / stride)
    ph = max((oh - 1) * stride + k - h, 0)
    pw = max((ow - 1) * stride + k - wd, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    out = np.zeros((o, oh, ow), np.float64)
    cin, cout = c // groups, o // groups
    for g in range(groups):
        xs = xp[g * cin : (g + 1) * cin]
        ws = w[g * cout : (g + 1) * cout]
        for i in range(k):
            for j in range(k):
                patch = xs[:, i : i + stride * oh : stride, j : j + stride * ow : stride]
                out[g * cout : (g + 1) * cout] += np.einsum("oc,chw->ohw", ws[:, :, i, j], patch)
    return out.astype(np.float32)


def batch_norm(x: Array, s: dict[str, Array], name: str) -> Array:
    def col(a: Array) -> Any:
        return a[:, None, None]

    norm = (x - col(s[name + ".running_mean"])) / np.sqrt(col(s[name + ".running_var"]) + EPS)
    return norm * col(s[name + ".weight"]) + col(s[name + ".bias"])


def relu6(x: Array) -> Array:
    return np.clip(x, 0, 6)


def reference(image: Array, s: dict[str, Array], blocks: list[Block]) -> tuple[Array, Array]:
    x = relu6(batch_norm(conv_same(image, s["_conv_stem.weight"], 2, 1), s, "_bn0"))
    for b in blocks:
        p, h = b.prefix, x
        if b.expand:
            h = relu6(batch_norm(conv_same(h, s[p + "_expand_conv.weight"], 1, 1), s, p + "_bn0"))
        dw = s[p + "_depthwise_conv.weight"]
        h = relu6(batch_norm(conv_same(h, dw, b.stride, dw.shape[0]), s, p + "_bn1"))
        h = batch_norm(conv_same(h, s[p + "_project_conv.weight"], 1, 1), s, p + "_bn2")
        x = h + x if b.residual else h
    x = relu6(batch_norm(conv_same(x, s["_conv_head.weight"], 1, 1), s, "_bn1"))
    pooled = x.mean(axis=(1, 2))
    return s["_fc.weight"] @ pooled + s["_fc.bias"], pooled


# ------------------------------------------------------------------------------ tests


def test_blocks_strides_and_residuals_come_from_the_weights() -> None:
    blocks = read_blocks(tiny_state())
    assert [(b.expand, b.kernel, b.stride, b.residual) for b in blocks] == [
        (False, 3, 1, True),
        (True, 5, 2, False),
        (True, 3, 1, True),
    ]


@pytest.mark.parametrize(("height", "width"), [(32, 32), (37, 41)])
def test_the_onnx_graph_computes_the_reference(tmp_path: Path, height: int, width: int) -> None:
    state = tiny_state()
    checkpoint = tmp_path / "efficientnet-lite0-test.pth"
    checkpoint.write_bytes(state_dict_checkpoint(state))
    convert_checkpoint(checkpoint, tmp_path, 224)

    session = OrtSession(tmp_path / "model.onnx", RuntimeSettings())
    images = np.random.default_rng(1).uniform(-1, 1, (2, 3, height, width)).astype(np.float32)
    logits, pooled = session.run({"pixel_values": images}, ["logits", "pooler_output"])
    for n in range(2):
        want_logits, want_pooled = reference(images[n], state, read_blocks(state))
        np.testing.assert_allclose(pooled[n], want_pooled, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(logits[n], want_logits, rtol=1e-4, atol=1e-4)


def test_labels_and_preprocessing_files(tmp_path: Path) -> None:
    checkpoint = tmp_path / "efficientnet-lite0-test.pth"
    checkpoint.write_bytes(state_dict_checkpoint(tiny_state()))
    convert_checkpoint(checkpoint, tmp_path, 260)
    config = json.loads((tmp_path / "config.json").read_text())
    names = [config["id2label"][str(i)] for i in range(1000)]
    assert names == labels() and len(set(names)) == 1000
    assert names[281] == "tabby, tabby cat" and names[967] == "espresso"
    pre = Preprocessing.from_config(json.loads((tmp_path / "preprocessor_config.json").read_text()))
    assert pre.crop == (260, 260) and pre.shortest_edge == 292 and pre.resample == 3
    assert pre.rescale is not None and pre.mean is not None and pre.std is not None
    # a pixel of value v reaches the graph as (v - 127) / 128
    assert all(
        math.isclose((v * pre.rescale - m) / s, (v - 127) / 128)
        for v in (0, 127, 255)
        for m, s in zip(pre.mean, pre.std, strict=True)
    )
