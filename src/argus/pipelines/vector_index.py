"""Exact cosine search over unit vectors: a FAISS index or brute-force numpy, one per gallery.

Both kinds hold ``(id, vector)`` pairs of one dimension and answer the ``k`` most similar ids
with their inner products (cosine similarity, since every stored and query vector is
L2-normalised). :class:`FaissIndex` is FAISS's exact ``IndexFlatIP`` behind an
``IndexIDMap2`` (BLAS matrix-vector products, ids kept by FAISS, removal by id);
:class:`NumpyIndex` does the same with one numpy matrix product and ``argpartition``. Neither is
approximate: identify returns the true nearest faces, FAISS is only faster.

:class:`IndexRegistry` keeps one index per gallery with the gallery's ``revision`` (a counter the
store bumps on every change of its faces): an index whose revision is behind the database is
rebuilt, so several server processes sharing one database stay correct. Every operation on an
index holds the registry's lock (FAISS indexes are not safe for concurrent writes and reads).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array, IdArray

IndexKind = Literal["faiss", "numpy"]


class VectorIndex(Protocol):
    dim: int

    def __len__(self) -> int: ...

    def add(self, ids: Sequence[int], vectors: Float32Array) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def search(self, query: Float32Array, k: int) -> tuple[IdArray, Float32Array]:
        """The ``k`` (or fewer) nearest ids and their similarities, best first."""
        ...


def _check(vectors: npt.ArrayLike, dim: int) -> Float32Array:
    v = np.ascontiguousarray(np.asarray(vectors, np.float32).reshape(-1, dim))
    return v


class NumpyIndex:
    """Brute force: one (N, D) matrix, similarities by a matrix-vector product."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, np.int64)
        self._vectors = np.zeros((0, dim), np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: Sequence[int], vectors: Float32Array) -> None:
        v = _check(vectors, self.dim)
        self._ids = np.concatenate([self._ids, np.asarray(ids, np.int64)])
        self._vectors = np.concatenate([self._vectors, v])

    def remove(self, ids: Sequence[int]) -> None:
        keep = ~np.isin(self._ids, np.asarray(ids, np.int64))
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]

    def search(self, query: Float32Array, k: int) -> tuple[IdArray, Float32Array]:
        n = len(self._ids)
        if n == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        sims = self._vectors @ _check(query, self.dim)[0]
        k = min(k, n)
        top = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-sims[top], kind="stable")]
        return self._ids[top], sims[top].astype(np.float32)


def _quiet_faiss() -> None:
    """Silence the INFO lines of ``faiss``'s loader, before importing it: on import it logs each
    CPU build it tries ("Could not load library with AVX512 support due to:
    ModuleNotFoundError"), which reads like an error at start-up. Warnings and errors still show."""
    logging.getLogger("faiss").setLevel(logging.WARNING)


class FaissIndex:
    """FAISS exact inner-product search (``IndexIDMap2(IndexFlatIP)``)."""

    def __init__(self, dim: int) -> None:
        _quiet_faiss()
        import faiss

        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Sequence[int], vectors: Float32Array) -> None:
        v = _check(vectors, self.dim)
        if len(v):
            self._index.add_with_ids(v, np.ascontiguousarray(np.asarray(ids, np.int64)))

    def remove(self, ids: Sequence[int]) -> None:
        if len(ids):
            ids_arr = np.ascontiguousarray(np.asarray(ids, np.int64))
            self._index.remove_ids(ids_arr)  # type: ignore[arg-type]  # the wrapper takes arrays

    def search(self, query: Float32Array, k: int) -> tuple[IdArray, Float32Array]:
        n = len(self)
        if n == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        sims, ids = self._index.search(_check(query, self.dim), min(k, n))
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), sims[0][keep].astype(np.float32)


def make_index(kind: IndexKind, dim: int) -> VectorIndex:
    return FaissIndex(dim) if kind == "faiss" else NumpyIndex(dim)


@dataclass
class GalleryIndex:
    """One gallery's vectors in an index, with the subject of every face id."""

    revision: int
    index: VectorIndex
    subject_of: dict[int, str] = field(default_factory=dict)


class IndexRegistry:
    """Gallery id -> :class:`GalleryIndex`, each tagged with the revision it reflects."""

    def __init__(self, kind: IndexKind, threads: int | None = 1) -> None:
        self.kind = kind
        #: FAISS's thread count, set when this registry makes its first FAISS index (importing
        #: FAISS costs a server's start-up; a server with no gallery never needs it)
        self._threads = threads if kind == "faiss" else None
        self._lock = threading.Lock()
        self._galleries: dict[int, GalleryIndex] = {}

    def _new_index(self, dim: int) -> VectorIndex:
        if self._threads is not None:
            _quiet_faiss()
            import faiss

            faiss.omp_set_num_threads(max(1, self._threads))  # process-wide, FAISS's own setting
            self._threads = None
        return make_index(self.kind, dim)

    def build(
        self,
        gallery_id: int,
        revision: int,
        dim: int,
        faces: Sequence[tuple[int, str, Float32Array]],
    ) -> None:
        """Replace the gallery's index with these ``(face_id, subject, vector)`` rows."""
        index = self._new_index(dim)
        if faces:
            index.add([f[0] for f in faces], np.stack([f[2] for f in faces]))
        entry = GalleryIndex(revision, index, {f[0]: f[1] for f in faces})
        with self._lock:
            self._galleries[gallery_id] = entry

    def fresh(self, gallery_id: int, revision: int) -> bool:
        """Whether the gallery's index reflects ``revision`` of the database."""
        with self._lock:
            entry = self._galleries.get(gallery_id)
            return entry is not None and entry.revision == revision

    def added(
        self, gallery_id: int, revision: int, faces: Sequence[tuple[int, str, Float32Array]]
    ) -> None:
        """Faces added by the change that made ``revision``; a stale index is dropped."""
        with self._lock:
            entry = self._galleries.get(gallery_id)
            if entry is None or entry.revision != revision - 1:
                self._galleries.pop(gallery_id, None)
                return
            if faces:
                entry.index.add([f[0] for f in faces], np.stack([f[2] for f in faces]))
                entry.subject_of.update({f[0]: f[1] for f in faces})
            entry.revision = revision

    def removed(self, gallery_id: int, revision: int, face_ids: Sequence[int]) -> None:
        """Faces removed by the change that made ``revision``; a stale index is dropped."""
        with self._lock:
            entry = self._galleries.get(gallery_id)
            if entry is None or entry.revision != revision - 1:
                self._galleries.pop(gallery_id, None)
                return
            entry.index.remove(list(face_ids))
            for face_id in face_ids:
                entry.subject_of.pop(face_id, None)
            entry.revision = revision

    def drop(self, gallery_id: int) -> None:
        with self._lock:
            self._galleries.pop(gallery_id, None)

    def search(self, gallery_id: int, query: Float32Array, k: int) -> list[tuple[int, str, float]]:
        """``(face_id, subject, similarity)`` best first; empty for an unknown gallery."""
        with self._lock:
            entry = self._galleries.get(gallery_id)
            if entry is None:
                return []
            ids, sims = entry.index.search(query, k)
            names: Mapping[int, str] = entry.subject_of
            return [
                (int(i), names.get(int(i), "?"), float(s)) for i, s in zip(ids, sims, strict=True)
            ]

    def size(self, gallery_id: int) -> int:
        with self._lock:
            entry = self._galleries.get(gallery_id)
            return len(entry.index) if entry is not None else 0
