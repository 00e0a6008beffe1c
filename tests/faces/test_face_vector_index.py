"""The gallery search indexes: FAISS and brute-force numpy give the same exact answers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from argus.models.arcface import l2_normalise
from argus.pipelines.vector_index import FaissIndex, IndexRegistry, NumpyIndex


def unit(n: int, dim: int, seed: int) -> np.ndarray:
    return l2_normalise(np.random.default_rng(seed).standard_normal((n, dim)))


def test_faiss_and_numpy_find_the_same_neighbours_with_the_same_similarities() -> None:
    vectors, queries = unit(2000, 128, 0), unit(20, 128, 1)
    ids = list(range(100, 2100))
    flat, brute = FaissIndex(128), NumpyIndex(128)
    for index in (flat, brute):
        index.add(ids, vectors)
        index.remove(ids[::2])  # half of them deleted
        assert len(index) == 1000
    for q in queries:
        f_ids, f_sims = flat.search(q, 10)
        n_ids, n_sims = brute.search(q, 10)
        assert list(f_ids) == list(n_ids) and all(i % 2 == 1 for i in f_ids)
        assert np.allclose(f_sims, n_sims, atol=1e-5)
        assert np.allclose(n_sims, vectors[n_ids - 100] @ q, atol=1e-5)
        assert list(n_sims) == sorted(n_sims, reverse=True)


@pytest.mark.parametrize("kind", ["faiss", "numpy"])
def test_an_empty_index_answers_nothing_and_a_stale_one_is_dropped(kind: str) -> None:
    registry = IndexRegistry(kind)  # type: ignore[arg-type]
    assert registry.search(1, unit(1, 4, 0)[0], 5) == []
    registry.build(1, 0, 4, [])
    assert registry.fresh(1, 0) and registry.search(1, unit(1, 4, 0)[0], 5) == []
    v = unit(3, 4, 2)
    registry.added(1, 1, [(7, "ann", v[0]), (8, "bob", v[1])])
    assert registry.search(1, v[1], 5)[0][:2] == (8, "bob")
    registry.removed(1, 2, [8])
    assert [hit[1] for hit in registry.search(1, v[1], 5)] == ["ann"]
    registry.added(1, 5, [(9, "cy", v[2])])  # another process changed it meanwhile
    assert not registry.fresh(1, 5) and registry.size(1) == 0


def test_faiss_start_up_prints_no_info_lines_that_read_like_errors() -> None:
    """faiss's loader logs at INFO each CPU build it could not load ("ModuleNotFoundError");
    at a server's INFO level those lines must not appear, and the index still works."""
    script = (
        "import logging; logging.basicConfig(level='INFO'); "
        "from argus.pipelines.vector_index import FaissIndex, IndexRegistry; "
        "IndexRegistry('faiss'); FaissIndex(4); print('ready')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ready"
    assert "faiss" not in done.stderr, done.stderr
    assert "Could not load library" not in done.stderr
