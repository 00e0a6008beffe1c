"""`ModelPool`: load models on demand, keep a preload list, unload by TTL and LRU under a budget.

The pool is the only owner of loaded models. ``get(name, kind)`` returns a loaded model (loading
it at most once even under concurrent requests) typed as, and checked to be, a ``kind``: a task
protocol of :mod:`argus.models.tasks` or a model class; idle models are unloaded after
``ttl_s``, and when the estimated memory of loaded models exceeds the budget the least recently
used non-preloaded ones go first. Given :class:`BackgroundPulls` (the server's pool, when not
offline), a hub model that is not on disk is pulled in the background on first use and the
caller gets :class:`~argus.errors.ModelDownloading` until it is there.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from argus.config import Settings
from argus.errors import ModelDownloading, ModelNotInstalled, WrongModelKind
from argus.models.base import InferenceModel, ModelContext, SessionFactory
from argus.models.catalog import Catalog, HubSource, ModelSpec
from argus.models.tasks import implements, serves
from argus.runtime.memory import page_out_runtime_libraries, release_freed_memory

if TYPE_CHECKING:
    from argus.models.hub.background import BackgroundPulls

AnyModel = InferenceModel[Any, Any]
M = TypeVar("M")


def model_class(spec: ModelSpec) -> type[AnyModel]:
    """Import the ``module:Class`` named by ``spec.family``."""
    module_name, _, attr = spec.family.partition(":")
    cls: type[AnyModel] = getattr(importlib.import_module(module_name), attr)
    return cls


@dataclass(frozen=True)
class ModelStatus:
    name: str
    task: str
    description: str
    license: str
    builtin: bool
    installed: bool
    loaded: bool
    providers: list[str]
    memory_mb: float
    idle_s: float | None
    pull_command: str | None
    download: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ModelPool:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog | None = None,
        *,
        session_factory: SessionFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        pulls: BackgroundPulls | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog or Catalog(settings.models_dir, converted_dir=settings.converted_dir)
        self._session_factory = session_factory
        self._clock = clock
        self._models: dict[str, AnyModel] = {}
        self._lock = threading.Lock()
        self._preload = set(settings.models.preload)
        self.pulls = pulls

    def model(self, name: str) -> AnyModel:
        """The (possibly not yet loaded) model object for ``name``."""
        with self._lock:
            existing = self._models.get(name)
            if existing is not None:
                return existing
            spec = self.catalog.get(name)
            files = self.catalog.resolve(spec)
            if files is None:
                if self.pulls is not None and isinstance(spec.source, HubSource):
                    self.pulls.start(spec.name)  # no-op while one runs
                    raise ModelDownloading(spec.name, self.pulls.percent(spec.name))
                raise ModelNotInstalled(name, spec.pull_command)
            ctx = ModelContext(files, self.settings.runtime, self._session_factory)
            created = model_class(spec)(spec, ctx)
            created.clock = self._clock
            self._models[name] = created
            return created

    def installed_spec(self, name: str) -> ModelSpec | None:
        """The spec of ``name`` when it can answer, else None (not installed); raises
        :class:`~argus.errors.UnknownModel` for a name the catalog does not know.

        A loaded model answers from memory, so its files are not looked at again (a request's
        hot path: the catalog's check reads the converted model's manifest and lists the pulled
        models, about 0.1 ms); any other is checked on disk as ``catalog.installed`` does."""
        existing = self._models.get(name)
        if existing is not None and existing.loaded:
            return existing.spec
        spec = self.catalog.get(name)
        return spec if self.catalog.installed(spec) else None

    def get(self, name: str, kind: type[M]) -> M:
        """The model ``name``, loaded, as a ``kind`` (a task protocol of
        :mod:`argus.models.tasks` or a model class); unloads idle or over-budget models first.

        Raises :class:`WrongModelKind` (400) before loading when the model is not a ``kind``.
        """
        return self._ready(self.model(name), kind)

    def local(self, spec: ModelSpec, files: Mapping[str, Path], kind: type[M]) -> M:
        """A model from files outside the catalog (a user's own, e.g. the plate model), made
        once per pool under ``spec.name``, then loaded, timed and unloaded like the others."""
        with self._lock:
            m = self._models.get(spec.name)
            if m is None:
                ctx = ModelContext(files, self.settings.runtime, self._session_factory)
                m = model_class(spec)(spec, ctx)
                m.clock = self._clock
                self._models[spec.name] = m
        return self._ready(m, kind)

    def _ready(self, model: AnyModel, kind: type[M]) -> M:
        m = model  # narrowed to ``kind`` below; ``model`` stays the pool's view
        if not serves(model.spec.task, kind) or not implements(m, kind):
            raise WrongModelKind(model.name, model.spec.task, getattr(kind, "__name__", str(kind)))
        model.load()
        model.last_used = self._clock()
        self.evict(keep=model.name)
        return m

    def preload(self) -> None:
        for name in self._preload:
            self.get(name, InferenceModel)

    def loaded_memory_mb(self) -> float:
        return sum(m.spec.memory_mb for m in self._models.values() if m.loaded)

    def any_loaded(self) -> bool:
        """Whether a model is loaded (a preloaded one always is)."""
        return any(m.loaded for m in self._models.values())

    def evict(self, keep: str | None = None) -> list[str]:
        """Unload models idle for longer than the TTL, then LRU ones while over budget."""
        now = self._clock()
        ttl = self.settings.models.ttl_s
        budget = self.settings.models.memory_budget_mb
        unloaded: list[str] = []
        with self._lock:
            candidates = sorted(
                (m for m in self._models.values() if m.loaded and m.name not in self._preload),
                key=lambda m: m.last_used,
            )
            for m in candidates:
                if m.name != keep and ttl > 0 and now - m.last_used > ttl:
                    m.unload()
                    unloaded.append(m.name)
            for m in candidates:
                if self.loaded_memory_mb() <= budget:
                    break
                if m.loaded and m.name != keep:
                    m.unload()
                    unloaded.append(m.name)
        if unloaded:
            release_freed_memory()  # else the process stays at its peak resident size
            if not self.any_loaded():
                page_out_runtime_libraries()  # their code, resident since it last ran
        return unloaded

    def status(self) -> list[ModelStatus]:
        now = self._clock()
        out = []
        for spec in self.catalog.specs():
            m = self._models.get(spec.name)
            loaded = m is not None and m.loaded
            installed = self.catalog.installed(spec)
            out.append(
                ModelStatus(
                    name=spec.name,
                    task=spec.task,
                    description=spec.description,
                    license=spec.license,
                    builtin=spec.builtin,
                    installed=installed,
                    loaded=loaded,
                    providers=m.providers if m is not None and loaded else [],
                    memory_mb=spec.memory_mb,
                    idle_s=round(now - m.last_used, 1) if m is not None and loaded else None,
                    pull_command=None if installed else spec.pull_command,
                    download=self._download(spec.name),
                )
            )
        return out

    def _download(self, name: str) -> dict[str, Any] | None:
        return self.pulls.view(name) if self.pulls is not None else None

    def close(self) -> None:
        with self._lock:
            for m in self._models.values():
                m.unload()
            self._models.clear()
        release_freed_memory()
