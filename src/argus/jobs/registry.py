"""Job kinds: a name, an options validator and a handler run once per item.

A handler is a plain blocking function ``(ctx, item, options) -> output`` (models are
blocking); the runner calls it in a worker thread and stores the JSON-able output on the item.
Raising an :class:`~argus.errors.ArgusError` fails that item with the error's message; the job
goes on with the next item. ``validate`` runs in the API before anything is stored, so a bad
option is a 4xx answer, never a failed job. This module is the protocol only: the kinds Argus
ships are adapters over the pipelines, registered by the composition root
(:func:`argus.compose.kinds.builtin_kinds`); jobs never import a pipeline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from argus.errors import ValidationFailed

if TYPE_CHECKING:
    from argus.config import Settings
    from argus.models.pool import ModelPool
    from argus.store.files import BlobStore
    from argus.store.tables import Job


@dataclass(frozen=True, slots=True)
class JobInput:
    """One item as a handler sees it: the client's file name and the stored bytes."""

    job_id: str
    index: int
    name: str
    data: bytes


def _no_progress(done: int, total: int | None) -> None:
    return None


def _never() -> bool:
    return False


@dataclass(frozen=True, slots=True)
class ItemContext:
    """What a handler may use: settings, the model pool and a way to store output files.

    A long item (a video) reports ``progress(done, total)`` as it goes (stored on the item,
    at most a few times a second) and asks ``stopped()`` between steps: True when the job was
    cancelled or the worker is stopping, then it raises :class:`~argus.errors.Interrupted`.
    """

    settings: Settings
    pool: ModelPool
    job_id: str
    save: Callable[[str, bytes], str]
    progress: Callable[[int, int | None], None] = _no_progress
    stopped: Callable[[], bool] = _never

    def save_output(self, name: str, data: bytes) -> str:
        """Store an output file of this job; returns the name it is served under
        (``/api/v1/jobs/{job_id}/files/{name}``), which differs from ``name`` on a collision."""
        return self.save(name, data)


Handler = Callable[[ItemContext, JobInput, Mapping[str, Any]], Any]
Validator = Callable[[Mapping[str, Any], "ModelPool"], dict[str, Any]]
#: Called once by the process that ran a job, after it ended (and after its webhook), with the
#: finished job and its items; failures are logged, never raised.
FinishHook = Callable[["Settings", "BlobStore", "Job"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str
    description: str
    handler: Handler
    validate: Validator
    on_finish: FinishHook | None = None


class Registry:
    """Job kinds by name."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def register(self, kind: JobKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"job kind {kind.name!r} is already registered")
        self._kinds[kind.name] = kind

    def get(self, name: str) -> JobKind:
        """The kind; ValidationFailed (422) naming the known kinds when there is none."""
        kind = self._kinds.get(name)
        if kind is None:
            known = ", ".join(sorted(self._kinds)) or "none"
            raise ValidationFailed(f"unknown job kind {name!r}; known kinds: {known}")
        return kind

    def names(self) -> list[str]:
        return sorted(self._kinds)


def parse_options(model: type[BaseModel], options: Mapping[str, Any]) -> BaseModel:
    """``options`` validated by a pydantic model; ValidationFailed with readable reasons."""
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'options'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ValidationFailed(f"invalid options: {reasons}") from None


__all__ = [
    "Handler",
    "ItemContext",
    "JobInput",
    "JobKind",
    "Registry",
    "parse_options",
]
