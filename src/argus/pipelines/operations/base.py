"""What every operation shares: the task as asked, its result, the skip signal, the registry entry.

A task is ``{operation_id, type, params}`` as seed 003 sends it; an :class:`Operation` says which
targets it accepts and its default one, and runs against an :class:`AnalysisRun` (the request's
decoded picture and its shared detections). Its result is seed 003's ``OperationResult``:
``status`` (``success``, ``error`` or ``skipped``), ``data``, ``cropped_image_bbox``,
``cropped_image_base64`` (PNG) and ``error_message``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from argus.imaging import to_base64_png

if TYPE_CHECKING:
    from argus.pipelines.analysis import AnalysisRun

Status = Literal["success", "error", "skipped"]
WHOLE_IMAGE = "whole_image"
PROMINENT_PERSON = "prominent_person"
PROMINENT_FACE = "prominent_face"
ALL_TARGETS = (WHOLE_IMAGE, PROMINENT_PERSON, PROMINENT_FACE)


@dataclass(frozen=True)
class TaskSpec:
    """One task of a request."""

    operation_id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class OperationResult:
    status: Status
    data: Any = None
    cropped_image_bbox: list[int] | None = None
    cropped_image_base64: str | None = None
    error_message: str | None = None


class Skipped(Exception):
    """Raised by an operation that cannot apply (no face found, no classifier, bad parameter)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Region:
    """The pixels an operation works on; ``bbox`` is None for the whole image (or a fallback)."""

    pixels: npt.NDArray[np.uint8]
    bbox: list[int] | None

    def result(self, data: Any, *, with_crop: bool = True) -> OperationResult:
        """A success carrying the crop's box and PNG when the region is a crop."""
        if self.bbox is None:
            return OperationResult("success", data)
        crop = to_base64_png(np.ascontiguousarray(self.pixels)) if with_crop else None
        return OperationResult("success", data, list(self.bbox), crop)


Runner = Callable[["AnalysisRun", TaskSpec, str], Awaitable[OperationResult]]


@dataclass(frozen=True)
class Operation:
    """A named operation: its description, targets, and the coroutine that runs it."""

    name: str
    description: str
    allowed_targets: tuple[str, ...]
    default_target: str
    run: Runner
