"""Read a legacy (non-zip) PyTorch checkpoint into numpy arrays, without PyTorch and without
running any code the file might carry.

The legacy format written by ``torch.save`` before 1.6 is five pickles in a row, then raw
storages: the magic number, the protocol version (1001), a dict of system info (endianness,
type sizes), the saved object (here a state dict of tensors), and the list of storage keys in the
order their bytes follow. Each storage is an 8-byte little-endian element count and then its
elements. A tensor in the object pickle is ``torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, ...)`` with the storage referenced by a persistent id ``('storage', <type>, key,
location, numel, view_metadata)``.

A pickle is a program: unpickling may call any importable function. :class:`RestrictedUnpickler`
allows exactly the callables a state dict needs (``collections.OrderedDict``, the tensor rebuild
function, the storage types) and refuses every other global with :class:`UnsafePickle` before
anything is called. Tensors come back as numpy arrays built from the raw storages.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

#: Storage type names and the numpy dtype of their elements.
STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "DoubleStorage": np.dtype("<f8"),
    "FloatStorage": np.dtype("<f4"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class UnsafePickle(pickle.UnpicklingError):
    """The pickle asks for a callable outside the allow-list (it could run code)."""


class CheckpointError(ValueError):
    """The file is not a legacy PyTorch checkpoint Argus can read."""


@dataclass(frozen=True)
class _StorageType:
    name: str

    @property
    def dtype(self) -> np.dtype[Any]:
        return STORAGE_DTYPES[self.name]


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: np.dtype[Any]
    numel: int


@dataclass(frozen=True)
class TensorRef:
    """A tensor as the pickle describes it: which storage, where, which shape and strides."""

    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _StorageRef, offset: int, size: Any, stride: Any, *_rest: Any
) -> TensorRef:
    if not isinstance(storage, _StorageRef):
        raise CheckpointError("a tensor refers to something that is not a storage")
    return TensorRef(
        storage, int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride)
    )


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals a tensor state dict needs."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise UnsafePickle(
            f"refusing to load {module}.{name} from a checkpoint: only tensors, storages and "
            "ordered dicts are allowed (a pickle can run code)"
        )

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise CheckpointError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel, view = pid
        if not isinstance(storage_type, _StorageType):
            raise CheckpointError(f"unexpected storage type {storage_type!r}")
        if view is not None:
            raise CheckpointError("storage views are not supported")
        return _StorageRef(str(key), storage_type.dtype, int(numel))


def _load_pickle(stream: io.BytesIO) -> Any:
    return RestrictedUnpickler(stream).load()


def read_legacy(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """The tensors of a legacy checkpoint's state dict, by name, as numpy arrays.

    Raises :class:`UnsafePickle` for a pickle that names any other callable and
    :class:`CheckpointError` for anything that is not a legacy state dict.
    """
    if data[:2] == b"PK":
        raise CheckpointError(
            "a zip-format checkpoint (torch >= 1.6); only the legacy format is read"
        )
    stream = io.BytesIO(data)
    try:
        if _load_pickle(stream) != MAGIC_NUMBER:
            raise CheckpointError("not a PyTorch checkpoint (wrong magic number)")
        if _load_pickle(stream) != PROTOCOL_VERSION:
            raise CheckpointError("unsupported checkpoint protocol version")
        info = _load_pickle(stream)
        if not isinstance(info, dict) or not info.get("little_endian", False):
            raise CheckpointError("only little-endian checkpoints are supported")
        state = _load_pickle(stream)
        keys = _load_pickle(stream)
    except (EOFError, struct.error) as exc:
        raise CheckpointError(f"truncated checkpoint: {exc}") from exc
    if not isinstance(state, dict) or not isinstance(keys, list):
        raise CheckpointError("the checkpoint does not hold a state dict")
    refs = {name: t for name, t in state.items() if isinstance(t, TensorRef)}
    dtypes = {t.storage.key: t.storage.dtype for t in refs.values()}
    storages: dict[str, npt.NDArray[Any]] = {}
    for key in keys:
        head = stream.read(8)
        if len(head) != 8:
            raise CheckpointError(f"storage {key} is missing")
        (count,) = struct.unpack("<q", head)
        dtype = dtypes.get(str(key), np.dtype("u1"))
        raw = stream.read(count * dtype.itemsize)
        if len(raw) != count * dtype.itemsize:
            raise CheckpointError(f"storage {key} is truncated")
        storages[str(key)] = np.frombuffer(raw, dtype=dtype)
    return {name: _materialise(ref, storages) for name, ref in refs.items()}


def _materialise(ref: TensorRef, storages: dict[str, npt.NDArray[Any]]) -> npt.NDArray[Any]:
    storage = storages.get(ref.storage.key)
    if storage is None:
        raise CheckpointError(f"storage {ref.storage.key} is not in the file")
    if len(ref.shape) != len(ref.stride) or ref.offset < 0:
        raise CheckpointError("a tensor has an invalid shape or offset")
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride, strict=True))
    if any(n == 0 for n in ref.shape):
        return np.zeros(ref.shape, storage.dtype)
    if last >= len(storage) or any(s < 0 for s in ref.stride):
        raise CheckpointError("a tensor reaches outside its storage")
    if not ref.shape:
        return np.array(storage[ref.offset], copy=True)
    item = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[ref.offset :], shape=ref.shape, strides=[s * item for s in ref.stride]
    )
    return np.array(view, copy=True)


def load_legacy(path: Path) -> dict[str, npt.NDArray[Any]]:
    """:func:`read_legacy` of a file."""
    return read_legacy(path.read_bytes())
