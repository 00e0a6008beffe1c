"""A writer of legacy (non-zip) PyTorch checkpoints for tests, with no PyTorch installed.

It reproduces what ``torch.save(state_dict, f, _use_new_zipfile_serialization=False)`` writes:
five pickles (magic number, protocol 1001, system info, the state dict, the storage keys) and
then each storage as an int64 element count followed by its bytes. Tensors are pickled as
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`` with the
storage as a persistent id; stand-in ``torch`` modules are put in ``sys.modules`` only while
pickling, so the globals in the file carry the names torch uses.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

STORAGE_NAMES = {
    np.dtype("float32"): "FloatStorage",
    np.dtype("float64"): "DoubleStorage",
    np.dtype("float16"): "HalfStorage",
    np.dtype("int64"): "LongStorage",
    np.dtype("int32"): "IntStorage",
    np.dtype("uint8"): "ByteStorage",
}


@dataclass(frozen=True)
class Tensor:
    """A tensor to write: a view (offset, shape, strides in elements) of a flat storage."""

    storage: str
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


@contextmanager
def _fake_torch() -> Iterator[types.SimpleNamespace]:
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args: Any) -> None:  # never called: only its name is pickled
        raise AssertionError(args)

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    storage_types = {}
    for name in STORAGE_NAMES.values():
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
        storage_types[name] = cls
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield types.SimpleNamespace(rebuild=_rebuild_tensor_v2, storage_types=storage_types)
    finally:
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module


def legacy_checkpoint(
    tensors: Mapping[str, Tensor], storages: Mapping[str, npt.NDArray[Any]]
) -> bytes:
    """The bytes of a legacy checkpoint holding ``tensors`` over the flat ``storages``."""
    out = io.BytesIO()
    with _fake_torch() as fake:

        class _Storage:
            def __init__(self, key: str) -> None:
                self.key = key

        class _TensorReduce:
            def __init__(self, t: Tensor) -> None:
                self.t = t

            def __reduce__(self) -> tuple[Any, ...]:
                t = self.t
                args = (_Storage(t.storage), t.offset, t.shape, t.stride, False)
                return fake.rebuild, (*args, collections.OrderedDict())

        class _Pickler(pickle.Pickler):
            def persistent_id(self, obj: Any) -> Any:
                if isinstance(obj, _Storage):
                    data = storages[obj.key]
                    kind = fake.storage_types[STORAGE_NAMES[data.dtype]]
                    return ("storage", kind, obj.key, "cpu", data.size, None)
                return None

        def dump(obj: Any) -> None:
            _Pickler(out, protocol=2).dump(obj)

        dump(0x1950A86A20F9469CFC6C)
        dump(1001)
        dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}})
        dump(collections.OrderedDict((k, _TensorReduce(t)) for k, t in tensors.items()))
        keys = sorted(storages)
        dump(keys)
    for key in keys:
        data = np.ascontiguousarray(storages[key]).reshape(-1)
        out.write(struct.pack("<q", data.size))
        out.write(data.astype(data.dtype.newbyteorder("<")).tobytes())
    return out.getvalue()


def state_dict_checkpoint(state: Mapping[str, npt.NDArray[Any]]) -> bytes:
    """A checkpoint of contiguous tensors, one storage each (what a state dict usually is)."""
    tensors, storages = {}, {}
    for i, (name, value) in enumerate(state.items()):
        arr = np.array(value, order="C")
        key = str(1000 + i)
        storages[key] = arr.reshape(-1)
        strides = tuple(s // arr.itemsize for s in arr.strides) if arr.ndim else ()
        tensors[name] = Tensor(key, 0, tuple(arr.shape), strides)
    return legacy_checkpoint(tensors, storages)
