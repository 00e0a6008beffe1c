"""The legacy PyTorch checkpoint reader: tensors come back exactly (dtype, shape, strided views
and offsets into shared storages), and a pickle that would run code is refused before it runs."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from legacy_torch import Tensor, legacy_checkpoint, state_dict_checkpoint

from argus.models.convert.torch_pickle import CheckpointError, UnsafePickle, read_legacy


def test_a_state_dict_round_trips() -> None:
    rng = np.random.default_rng(0)
    state = {
        "conv.weight": rng.normal(size=(4, 3, 3, 3)).astype(np.float32),
        "bn.num_batches_tracked": np.array(7, np.int64),
        "fc.bias": rng.normal(size=5).astype(np.float64),
        "half": rng.normal(size=(2, 2)).astype(np.float16),
    }
    got = read_legacy(state_dict_checkpoint(state))
    assert list(got) == list(state)
    for name, want in state.items():
        assert got[name].dtype == want.dtype and got[name].shape == want.shape
        np.testing.assert_array_equal(got[name], want)


def test_views_share_a_storage_with_offsets_and_strides() -> None:
    flat = np.arange(24, dtype=np.float32)
    tensors = {
        "whole": Tensor("s", 0, (4, 6), (6, 1)),
        "transposed": Tensor("s", 0, (6, 4), (1, 6)),
        "row2": Tensor("s", 12, (6,), (1,)),
    }
    got = read_legacy(legacy_checkpoint(tensors, {"s": flat}))
    grid = flat.reshape(4, 6)
    np.testing.assert_array_equal(got["whole"], grid)
    np.testing.assert_array_equal(got["transposed"], grid.T)
    np.testing.assert_array_equal(got["row2"], grid[2])


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return os.system, (f"touch {self.marker}",)


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    parts = [pickle.dumps(0x1950A86A20F9469CFC6C, 2), pickle.dumps(1001, 2)]
    parts.append(pickle.dumps({"little_endian": True}, 2))
    parts.append(pickle.dumps({"weight": _RunsCode(marker)}, 2))
    with pytest.raises(UnsafePickle, match=r"(posix|os)\.system"):
        read_legacy(b"".join(parts))
    assert not marker.exists()
    # also as the very first pickle, before any magic number is checked
    with pytest.raises(UnsafePickle):
        read_legacy(pickle.dumps(_RunsCode(marker), 2))
    assert not marker.exists()


def test_other_files_are_refused_clearly() -> None:
    with pytest.raises(CheckpointError, match="zip-format"):
        read_legacy(b"PK\x03\x04rest")
    with pytest.raises(CheckpointError, match="magic"):
        read_legacy(pickle.dumps(42, 2) + pickle.dumps(1001, 2))
    whole = state_dict_checkpoint({"w": np.ones(100, np.float32)})
    with pytest.raises(CheckpointError, match="truncated"):
        read_legacy(whole[:-10])
    with pytest.raises(CheckpointError, match="truncated"):
        read_legacy(whole[:20])


def test_a_tensor_outside_its_storage_is_refused() -> None:
    bad = {"w": Tensor("s", 20, (10,), (1,))}
    with pytest.raises(CheckpointError, match="outside"):
        read_legacy(legacy_checkpoint(bad, {"s": np.zeros(24, np.float32)}))
