"""`InferenceModel`: thread-safe lazy loading around pure ``_predict`` code.

Subclasses implement ``_load`` (open sessions/handles from resolved files) and ``_predict``
(preprocess -> session.run -> postprocess on a batch). ``predict`` loads on first use, so the
pool can unload a model and the next request transparently loads it again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from argus.config import RuntimeSettings
from argus.runtime.session import Session
from argus.timing import span

if TYPE_CHECKING:
    from argus.models.catalog import ModelSpec

In = TypeVar("In")
Out = TypeVar("Out")

SessionFactory = Callable[[Path], Session]


def _ort_session_factory(runtime: RuntimeSettings) -> SessionFactory:
    def make(path: Path) -> Session:
        from argus.runtime.ort import OrtSession

        return OrtSession(path, runtime)

    return make


@dataclass
class ModelContext:
    """What a model needs to load: its resolved files and how to open a session on one.

    ``files`` maps each logical file name of the spec (e.g. ``"model"``, ``"det"``) to a path.
    ``session_factory`` defaults to ONNX Runtime with the runtime settings; tests may pass
    another one.
    """

    files: Mapping[str, Path]
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    session_factory: SessionFactory | None = None

    def session(self, key: str) -> Session:
        factory = self.session_factory or _ort_session_factory(self.runtime)
        return factory(self.files[key])


class InferenceModel(ABC, Generic[In, Out]):
    """A named model: ``load()`` once (thread-safe), then ``predict(batch)`` many times."""

    def __init__(self, spec: ModelSpec, context: ModelContext) -> None:
        self.spec = spec
        self.context = context
        self._lock = threading.Lock()
        self._loaded = False
        self.last_used = 0.0
        self.load_seconds = 0.0
        self.clock: Callable[[], float] = time.monotonic  # the pool injects its own

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def providers(self) -> list[str]:
        """Where this model runs (ORT providers, or e.g. ``["dlib-cpu"]``)."""
        return ["cpu"]

    def load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            start = time.perf_counter()
            with span(f"load:{self.name}"):
                self._load()
            self.load_seconds = time.perf_counter() - start
            self._loaded = True

    def unload(self) -> None:
        with self._lock:
            if self._loaded:
                self._unload()
                self._loaded = False

    @contextlib.contextmanager
    def using(self) -> Iterator[None]:
        """The one way into a model's work: load if needed, mark it used (for the pool's TTL and
        LRU) and time the block as the request's ``model:<name>`` step. ``predict`` uses it;
        so must every method that takes per-call options (``detect``, ``embed``, ...)."""
        self.load()
        self.last_used = self.clock()
        with span(f"model:{self.name}"):
            yield

    def predict(self, batch: Sequence[In]) -> list[Out]:
        """Outputs for each input of the batch, in order; an empty batch gives ``[]``."""
        if not batch:
            self.load()
            return []
        with self.using():
            return self._predict(batch)

    def predict_one(self, item: In) -> Out:
        return self.predict([item])[0]

    @abstractmethod
    def _load(self) -> None: ...

    def _unload(self) -> None:
        """Drop sessions/handles; the default forgets every attribute set by ``_load``."""

    @abstractmethod
    def _predict(self, batch: Sequence[In]) -> list[Out]: ...
