"""Seed 004's feature space: face features a seed client can store and compare at 0.7.

A seed-004 client keeps 1024 floats per person and calls two faces the same person when their
cosine is at least 0.7. The built-in dlib descriptors do not work that way: they all lie close
to one common direction (about 0.9 of each unit descriptor), so any two faces score 0.77-0.96
and 0.7 matches everyone. On the seed routes a feature therefore goes through two fixed steps:

1. **Centring**: the model's population mean (a data file shipped in the package, with how it
   was computed) is subtracted from the unit descriptor, and the rest is normalised again. Two
   different people then score about 0.36 (median) instead of 0.86.
2. **Embedding** in 1024 dimensions by an isometry: the vector is zero-padded to 1024 and
   rotated by the normalised Sylvester-Hadamard matrix ``H_1024 / 32`` (deterministic, no
   random numbers), so cosines are exactly those of the centred vectors and every one of the
   1024 values carries information.

``bench/face_calibration.py`` measures where 0.7 lands on real faces; a model without a mean
file (a pulled ArcFace) is only embedded, not centred. Argus's own routes (galleries) keep the
native vectors and thresholds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from argus.arrays import Float32Array
from argus.errors import InvalidInput

SEED_DIM = 1024
"""Length of seed 004's features (its recognizer's ``fc1_act_50`` output)."""

SEED_THRESHOLD = 0.7
"""Seed 004's same-person threshold on cosine similarity."""


@dataclass(frozen=True)
class PopulationMean:
    """The mean unit descriptor of a face model over many faces, and where it came from."""

    model: str
    vector: Float32Array
    count: int
    about: dict[str, Any]


def mean_file_name(model: str) -> str:
    return f"{model}-mean.json"


@cache
def population_mean(model: str) -> PopulationMean | None:
    """The shipped mean of ``model``'s unit descriptors, or None when none is shipped."""
    resource = resources.files("argus.pipelines").joinpath("data", mean_file_name(model))
    if not resource.is_file():
        return None
    data = json.loads(resource.read_text(encoding="utf-8"))
    vector = np.asarray(data["mean"], np.float32)
    if vector.shape != (int(data["dim"]),):
        raise ValueError(f"{mean_file_name(model)}: mean has shape {vector.shape}")
    about = {k: v for k, v in data.items() if k != "mean"}
    return PopulationMean(model, vector, int(data["count"]), about)


@cache
def hadamard(n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The n x n Sylvester-Hadamard matrix divided by sqrt(n): orthonormal; n a power of 2."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"{n} is not a power of 2")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    out: np.ndarray[Any, np.dtype[np.float64]] = h / np.sqrt(n)
    return out


def embed(vector: Float32Array, dim: int = SEED_DIM) -> Float32Array:
    """``vector`` zero-padded to ``dim`` and rotated by ``hadamard(dim)``: an isometry, so
    lengths and inner products are kept. A vector longer than ``dim`` is refused."""
    n = int(vector.shape[0])
    if n > dim:
        raise InvalidInput(f"a {n}-d feature does not fit seed 004's {dim} dimensions")
    out: Float32Array = (hadamard(dim)[:, :n] @ vector.astype(np.float64)).astype(np.float32)
    return out


def centred(vector: Float32Array, model: str) -> Float32Array:
    """The unit vector of ``vector`` minus ``model``'s population mean (unchanged, normalised,
    when the model ships no mean)."""
    v = vector.astype(np.float64)
    mean = population_mean(model)
    if mean is not None:
        if mean.vector.shape != vector.shape:
            raise InvalidInput(
                f"{model}: feature of {vector.shape[0]} values, mean of {mean.vector.shape[0]}"
            )
        v = v - mean.vector.astype(np.float64)
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise InvalidInput(f"{model}: the feature is the population mean itself")
    out: Float32Array = (v / norm).astype(np.float32)
    return out


def seed_feature(vector: Float32Array, model: str) -> Float32Array:
    """A native unit feature of ``model`` in seed 004's space: centred, then embedded."""
    return embed(centred(vector, model))


def seed_space_ready(model: str) -> None:
    """Read ``model``'s mean and build the rotation now (a few milliseconds, once), so that
    no request pays for it."""
    population_mean(model)
    hadamard(SEED_DIM)
