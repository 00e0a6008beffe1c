"""What every operation shares: the task as asked, its result, the skip signal, the registry entry.

A task is ``{operation_id, type, params}`` as seed 003 sends it; an :class:`Operation` says which
targets it accepts and its default one, and runs against an :class:`AnalysisRun` (the request's
decoded picture and its shared detections). Its result is an :class:`OperationResult`:
``status`` (``success``, ``error`` or ``skipped``), ``data``, ``cropped_image_bbox``,
``cropped_image_base64`` (PNG) and, for a task that did not succeed, its typed ``problem``: one of
the facts below (which operation, which parameter, the raw value, the limit), or the plain
description of the failure. The words a client reads are the API's (seed 003's renderer).
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


@dataclass(frozen=True)
class UnsupportedType:
    """No operation has this type name."""

    operation_type: str


@dataclass(frozen=True)
class UnsupportedTarget:
    """The task asked for a target its operation does not accept."""

    operation_type: str
    target: object
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class NoProminentFace:
    """The task works on the prominent face and none was found."""

    operation_id: str


@dataclass(frozen=True)
class MissingParameter:
    """A required parameter of the operation is absent."""

    operation_type: str
    parameter: str


@dataclass(frozen=True)
class NotAnInteger:
    """A parameter that must be an integer is not one (``value`` as the client sent it)."""

    parameter: str
    value: object


@dataclass(frozen=True)
class IntegerOutOfRange:
    """An integer parameter outside ``low..high`` (``value`` as the client sent it)."""

    parameter: str
    value: object
    low: int
    high: int


@dataclass(frozen=True)
class NoClassifier:
    """The collection has no trained classifier."""

    collection_id: int


@dataclass(frozen=True)
class Failed:
    """An Argus error (a model not installed, a provider down): its plain description."""

    description: str


@dataclass(frozen=True)
class InternalFailure:
    """An unexpected exception: its plain description (the traceback is logged)."""

    description: str


#: Why a task was skipped.
SkipReason = (
    UnsupportedType
    | UnsupportedTarget
    | NoProminentFace
    | MissingParameter
    | NotAnInteger
    | IntegerOutOfRange
    | NoClassifier
)
#: Why a task did not succeed.
Problem = SkipReason | Failed | InternalFailure


@dataclass
class OperationResult:
    status: Status
    data: Any = None
    cropped_image_bbox: list[int] | None = None
    cropped_image_base64: str | None = None
    problem: Problem | None = None


class Skipped(Exception):
    """Raised by an operation that cannot apply (no face found, no classifier, bad parameter)."""

    def __init__(self, reason: SkipReason) -> None:
        super().__init__(reason)
        self.reason = reason


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
