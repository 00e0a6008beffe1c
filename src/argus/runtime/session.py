"""The session protocol every neural model runs through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class TensorInfo:
    """Name, shape (``None``/str for dynamic axes) and element type of a graph input or output."""

    name: str
    shape: tuple[int | str | None, ...]
    dtype: str


@runtime_checkable
class Session(Protocol):
    """A loaded inference graph: named array inputs in, a list of arrays out."""

    @property
    def inputs(self) -> Sequence[TensorInfo]: ...

    @property
    def outputs(self) -> Sequence[TensorInfo]: ...

    @property
    def providers(self) -> Sequence[str]:
        """Execution providers in use, fastest first (e.g. ``["CPUExecutionProvider"]``)."""
        ...

    @property
    def metadata(self) -> Mapping[str, str]:
        """Custom metadata stored in the model file (e.g. an OCR character dictionary)."""
        ...

    def run(
        self, feeds: Mapping[str, npt.NDArray[np.generic]], outputs: Sequence[str] | None = None
    ) -> list[npt.NDArray[np.generic]]: ...
