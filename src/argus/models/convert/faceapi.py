"""face-api's age and gender network (TinyXception with two heads) restated in ONNX.

``@vladmandic/face-api`` ships only the weights (``age_gender_model.bin`` with its tfjs weight
manifest); the network is code in face-api's TypeScript sources (``ageGenderNet``,
``xception/TinyXception``), restated here from that description:

* input 112×112 RGB, mean ``(122.782, 117.001, 104.298)`` subtracted, divided by 256 (done by
  the model family before the graph);
* ``conv_in``: 3×3 convolution, stride 2, "same", bias, ReLU;
* reduction blocks (``entry_flow/reduction_block_0`` without, the others with a ReLU on the
  input): two depthwise-separable 3×3 convolutions (ReLU between), a 3×3 max pool of stride 2,
  plus a 1×1 stride-2 "expansion" convolution of the block input;
* two main blocks: three ReLU + separable convolutions, plus the block input;
* ``exit_flow``: a reduction block, then a separable convolution with ReLU;
* a 7×7 average pool (stride 2, valid) to 512 features; ``fc/age`` gives the age in years,
  ``fc/gender`` two logits turned into probabilities (male, female) by a softmax.

The graph takes ``input`` (N, 3, 112, 112) and returns ``age`` (N, 1) and ``gender`` (N, 2).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx

from argus.models.convert.onnx_graph import OnnxGraph
from argus.models.convert.tfjs_weights import Array

INPUT_SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
DIVISOR = 256.0
MAIN_BLOCKS = 2


class _Net:
    def __init__(self, weights: Mapping[str, Array]) -> None:
        self.w = weights
        self.g = OnnxGraph("faceapi_age_gender")

    def param(self, key: str) -> Array:
        if key not in self.w:
            raise ValueError(f"age/gender weights lack {key!r}")
        return np.asarray(self.w[key], np.float32)

    def conv(self, x: str, prefix: str, stride: int) -> str:
        """``conv2d(x, filters, stride, 'same') + bias`` with HWIO filters."""
        weight = self.param(f"{prefix}/filters").transpose(3, 2, 0, 1)
        bias = self.param(f"{prefix}/bias")
        g = self.g
        return g.op(
            "Conv",
            [x, g.const(weight, f"{prefix}/w"), g.const(bias, f"{prefix}/b")],
            prefix,
            strides=[stride, stride],
            auto_pad="SAME_UPPER",
        )

    def separable(self, x: str, prefix: str) -> str:
        """Depthwise 3×3 then pointwise 1×1 convolution ("same", stride 1) plus bias."""
        g = self.g
        dw = self.param(f"{prefix}/depthwise_filter")  # (3, 3, C, 1)
        h, w, c, m = dw.shape
        depthwise = dw.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w)
        pointwise = self.param(f"{prefix}/pointwise_filter").transpose(3, 2, 0, 1)
        y = g.op(
            "Conv",
            [x, g.const(depthwise, f"{prefix}/dw")],
            f"{prefix}/depthwise",
            group=c,
            auto_pad="SAME_UPPER",
        )
        bias = self.param(f"{prefix}/bias")
        return g.op(
            "Conv", [y, g.const(pointwise, f"{prefix}/pw"), g.const(bias, f"{prefix}/b")], prefix
        )

    def relu(self, x: str) -> str:
        return self.g.op("Relu", [x], f"{x}/relu")

    def reduction(self, x: str, prefix: str, activate_input: bool) -> str:
        out = self.relu(x) if activate_input else x
        out = self.separable(out, f"{prefix}/separable_conv0")
        out = self.separable(self.relu(out), f"{prefix}/separable_conv1")
        out = self.g.op(
            "MaxPool",
            [out],
            f"{prefix}/pool",
            kernel_shape=[3, 3],
            strides=[2, 2],
            auto_pad="SAME_UPPER",
        )
        return self.g.op("Add", [out, self.conv(x, f"{prefix}/expansion_conv", 2)], prefix)

    def main(self, x: str, prefix: str) -> str:
        out = x
        for i in range(3):
            out = self.separable(self.relu(out), f"{prefix}/separable_conv{i}")
        return self.g.op("Add", [out, x], prefix)

    def fc(self, x: str, prefix: str) -> str:
        g = self.g
        return g.op(
            "Gemm",
            [
                x,
                g.const(self.param(f"{prefix}/weights"), f"{prefix}/w"),
                g.const(self.param(f"{prefix}/bias"), f"{prefix}/b"),
            ],
            prefix,
        )

    def build(self) -> onnx.ModelProto:
        g = self.g
        x = g.add_input("input", ["batch", 3, INPUT_SIZE, INPUT_SIZE])
        out = self.relu(self.conv(x, "entry_flow/conv_in", 2))
        out = self.reduction(out, "entry_flow/reduction_block_0", activate_input=False)
        out = self.reduction(out, "entry_flow/reduction_block_1", activate_input=True)
        for i in range(MAIN_BLOCKS):
            out = self.main(out, f"middle_flow/main_block_{i}")
        out = self.reduction(out, "exit_flow/reduction_block", activate_input=True)
        out = self.relu(self.separable(out, "exit_flow/separable_conv"))
        pooled = g.op("AveragePool", [out], "pool", kernel_shape=[7, 7], strides=[2, 2])
        features = g.op("Flatten", [pooled], "features", axis=1)
        g.add_output(self.fc(features, "fc/age"), ["batch", 1], "age")
        gender = g.op("Softmax", [self.fc(features, "fc/gender")], "gender_prob", axis=-1)
        g.add_output(gender, ["batch", 2], "gender")
        return g.model("face-api age/gender (TinyXception), restated by Argus")


def build_age_gender(weights: Mapping[str, Array]) -> onnx.ModelProto:
    """The ONNX age/gender network from face-api's decoded ``age_gender_model`` weights."""
    return _Net(weights).build()
