"""`OnnxGraph`: a small builder for writing converted models with ``onnx.helper``.

The tfjs converters emit nodes one at a time; this keeps names unique, turns numpy constants into
initializers (float64 becomes float32, as ONNX Runtime kernels expect) and assembles the final
``ModelProto`` at one opset. It has no knowledge of any source format.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17

Dim = int | str | None


class OnnxGraph:
    """Nodes, initializers, inputs and outputs of one ONNX graph under construction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._names: set[str] = set()

    def fresh(self, hint: str) -> str:
        """A tensor or node name not used yet, based on ``hint``."""
        name, i = hint, 1
        while name in self._names:
            name, i = f"{hint}_{i}", i + 1
        self._names.add(name)
        return name

    def const(self, value: npt.ArrayLike, hint: str = "const") -> str:
        """An initializer holding ``value``; float64 is stored as float32, int as given."""
        arr = np.asarray(value)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def int64(self, values: Sequence[int] | npt.NDArray[Any], hint: str = "shape") -> str:
        return self.const(np.asarray(values, dtype=np.int64), hint)

    def node(
        self,
        op: str,
        inputs: Sequence[str],
        hint: str,
        *,
        outputs: int = 1,
        **attrs: Any,
    ) -> list[str]:
        """Append an ``op`` node; returns its output names (``outputs`` of them)."""
        base = self.fresh(hint)
        names = [base] + [self.fresh(f"{base}:{i}") for i in range(1, outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), names, name=base, **attrs))
        return names

    def op(self, op: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        """Append a single-output node and return its output name."""
        return self.node(op, inputs, hint, **attrs)[0]

    def add_input(self, name: str, shape: Sequence[Dim], elem: int = TensorProto.FLOAT) -> str:
        self._names.add(name)
        self.inputs.append(helper.make_tensor_value_info(name, elem, list(shape)))
        return name

    def add_output(self, tensor: str, shape: Sequence[Dim], name: str | None = None) -> str:
        """Expose ``tensor`` (of ``shape``; ``None`` for an unknown dim) as a graph output,
        under ``name`` when given (via Identity)."""
        if name is not None and name != tensor:
            self._names.add(name)
            self.nodes.append(helper.make_node("Identity", [tensor], [name], name=name))
            tensor = name
        self.outputs.append(helper.make_tensor_value_info(tensor, TensorProto.FLOAT, list(shape)))
        return tensor

    def model(self, doc: str = "") -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, self.name, self.inputs, self.outputs, self.initializers
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="argus",
            doc_string=doc,
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model

    def save(self, path: Path, doc: str = "") -> None:
        onnx.save(self.model(doc), str(path))
