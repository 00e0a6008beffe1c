"""Seed 003's task graph: one decode per request, shared detections, independent tasks at once.

:class:`Analyzer` decodes the image once (counted in :attr:`Analyzer.decodes`, timed as the
``decode`` span) and starts every task as its own asyncio task. Tasks ask the request's
:class:`AnalysisRun` for what they need: faces on the whole image, the prominent face and the
prominent person are each computed at most once per request (the first task to ask starts the
work, the others await the same future), and every model call runs in a worker thread, so a
CLIP embedding, the NSFW detector and OCR proceed side by side while the event loop stays free.
The same model is not called twice at once within a request (dlib handles are not re-entrant).
Rules (seed 003): an unknown type is ``skipped``, a target the operation does not allow is
``skipped``, ``prominent_person`` without a person falls back to the whole image,
``prominent_face`` without a face is ``skipped``, a model that is not installed makes that task an
``error`` naming ``argus models pull`` while the other tasks still succeed, any other failure is
an ``error`` with the exception's plain description. Each result that is not a success carries its
typed ``problem`` (:mod:`~argus.pipelines.operations.base`); seed 003's renderer words it.
Duplicate operation ids: the last one wins.

With a :class:`Progress` (the route's :func:`argus.api.disconnect.cancel_on_disconnect`), every
task checks it before it starts and before each model call: once the client has gone, the graph
stops at the next task or model call with :class:`Cancelled` (tasks whose models are busy wait
and then stop without running theirs). :attr:`Analyzer.tasks_done` counts the tasks that ran to
their result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from argus.config import Settings
from argus.errors import ArgusError, Cancelled, ModelNotInstalled
from argus.imaging import Picture, decode
from argus.models.pool import ModelPool
from argus.models.tasks import Detector, In, Model, Out
from argus.pipelines.collections import CollectionStore
from argus.pipelines.operations import extra, offline, regions, seed
from argus.pipelines.operations.base import (
    PROMINENT_FACE,
    PROMINENT_PERSON,
    WHOLE_IMAGE,
    Failed,
    InternalFailure,
    NoProminentFace,
    Operation,
    OperationResult,
    Region,
    Skipped,
    TaskSpec,
    UnsupportedTarget,
    UnsupportedType,
)
from argus.pipelines.progress import Progress
from argus.plainwords import describe
from argus.timing import span
from argus.vision.detections import Detections

log = logging.getLogger(__name__)
T = TypeVar("T")
FALLBACK_FACE_MODEL = "dlib-hog-face"


def operations() -> dict[str, Operation]:
    """Every operation by type name, seed 003's first."""
    ops = [*seed.OPERATIONS, *extra.OPERATIONS, *offline.OPERATIONS]
    if extra.photo_category_available():
        ops.append(extra.PHOTO_CATEGORY)
    return {op.name: op for op in ops}


class AnalysisRun:
    """One request's decoded picture and the detections its tasks share."""

    def __init__(
        self,
        picture: Picture,
        *,
        settings: Settings,
        pool: ModelPool,
        collections: CollectionStore,
        tenant: str,
        progress: Progress | None = None,
    ) -> None:
        self.picture = picture
        self.progress = progress
        self.tasks_done = 0
        self.settings = settings
        self.pool = pool
        self.collections = collections
        self.tenant = tenant
        self._shared: dict[str, asyncio.Future[Any]] = {}
        self._model_locks: dict[str, asyncio.Lock] = {}

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the pixels."""
        h, w = self.picture.pixels.shape[:2]
        return w, h

    # -- models

    async def predict(self, name: str, kind: type[Model[In, Out]], item: In) -> Out:
        """``pool.get(name, kind).predict_one(item)`` in a worker thread, one call per model at
        once."""
        async with self.model_lock(name):
            self.check()
            # one thread hop for the lookup (which may load the model) and the call
            return await asyncio.to_thread(lambda: self.pool.get(name, kind).predict_one(item))

    def check(self) -> None:
        """Raise :class:`Cancelled` once the request's client has gone."""
        if self.progress is not None:
            self.progress.check()

    def model_lock(self, name: str) -> asyncio.Lock:
        """The lock held while ``name`` runs for this request."""
        return self._model_locks.setdefault(name, asyncio.Lock())

    async def once(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """The result of ``make()``, computed by the first caller and shared with the others."""
        future = self._shared.get(key)
        if future is None:
            future = asyncio.ensure_future(make())
            self._shared[key] = future
        result: T = await asyncio.shield(future)
        return result

    # -- shared detections

    async def faces(self) -> Detections:
        """Every face on the whole image (``analysis.face_model``; dlib HOG without it), best
        first."""

        async def find() -> Detections:
            name = self.settings.analysis.face_model
            try:
                dets: Detections = await self.predict(name, Detector, self.picture.pixels)
            except ModelNotInstalled:
                if name == FALLBACK_FACE_MODEL:
                    raise
                log.warning("%s is not installed: faces from %s", name, FALLBACK_FACE_MODEL)
                dets = await self.predict(FALLBACK_FACE_MODEL, Detector, self.picture.pixels)
            dets = dets[dets.scores >= self.settings.analysis.face_min_score]
            return dets.sorted_by_score()

        return await self.once("faces", find)

    async def person(self) -> np.ndarray[Any, Any] | None:
        """The prominent person's box (see :mod:`~argus.pipelines.operations.regions`)."""

        async def find() -> np.ndarray[Any, Any] | None:
            full = upper = Detections.empty()
            sure = self.settings.analysis.person_min_score
            for name in self.settings.analysis.person_models:
                try:
                    dets: Detections = await self.predict(name, Detector, self.picture.pixels)
                except ModelNotInstalled:
                    log.warning("%s is not installed: the person box comes from the face", name)
                    continue
                people = dets[np.asarray([label == "person" for label in dets.labels], bool)]
                strong = people[people.scores >= sure]
                weak = people[people.scores < sure]
                full = Detections.concat([full, strong])
                upper = Detections.concat([upper, weak])
            # one sure person and no unsure one is the answer whatever the face: no face search
            needs_face = not (len(full) == 1 and len(upper) == 0)
            face = regions.best(await self.faces()) if needs_face else None
            box, how = regions.prominent_person(full, upper, face, self.size)
            log.debug("prominent person from %s: %s", how, box)
            return box

        return await self.once("person", find)

    async def face(self, face_context: str) -> np.ndarray[Any, Any] | None:
        """The prominent face, searched inside the prominent person (the seed's default) or on
        the whole image; with no person it is searched on the whole image."""
        faces = await self.faces()
        if face_context == PROMINENT_PERSON:
            person = await self.person()
            if person is not None:
                return regions.best(regions.faces_inside(faces, person))
        return regions.best(faces)

    async def region(self, target: str, task: TaskSpec) -> Region:
        """The pixels a task works on (raises :class:`Skipped` when no face is found)."""
        if target == PROMINENT_PERSON:
            box = await self.person()
        elif target == PROMINENT_FACE:
            context = str(task.params.get("face_context") or PROMINENT_PERSON)
            box = await self.face(context)
            if box is None:
                raise Skipped(NoProminentFace(task.operation_id))
        else:
            box = None
        if box is None:
            return Region(self.picture.pixels, None)
        x1, y1, x2, y2 = regions.int_box(box, self.size)
        return Region(self.picture.pixels[y1:y2, x1:x2], [x1, y1, x2, y2])


async def run_task(run: AnalysisRun, task: TaskSpec, ops: dict[str, Operation]) -> OperationResult:
    """One task under the seed's skip and error rules."""
    op = ops.get(task.type)
    if op is None:
        return OperationResult("skipped", problem=UnsupportedType(task.type))
    target = task.params.get("target") or op.default_target
    if target not in op.allowed_targets:
        return OperationResult(
            "skipped", problem=UnsupportedTarget(task.type, target, op.allowed_targets)
        )
    try:
        run.check()
        result = await op.run(run, task, str(target))
    except Cancelled:
        raise
    except Skipped as exc:
        return OperationResult("skipped", problem=exc.reason)
    except ArgusError as exc:
        return OperationResult("error", problem=Failed(exc.message))
    except Exception as exc:
        log.exception("task %s (%s) failed", task.operation_id, task.type)
        return OperationResult("error", problem=InternalFailure(describe(exc)))
    run.tasks_done += 1
    return result


class Analyzer:
    """Runs task lists; one per app. :attr:`decodes` counts image decodes since it was made."""

    def __init__(self, settings: Settings, pool: ModelPool) -> None:
        self.settings = settings
        self.pool = pool
        self.collections = CollectionStore(settings)
        self.decodes = 0
        self.tasks_done = 0

    async def decode(self, data: bytes) -> Picture:
        """Decode once, in a thread, as the ``decode`` span; errors are the imaging errors."""

        def work() -> Picture:
            with span("decode"):
                return decode(data, self.settings.imaging)

        picture = await asyncio.to_thread(work)
        self.decodes += 1
        return picture

    async def analyze(
        self, data: bytes, tasks: Sequence[TaskSpec], *, tenant: str
    ) -> dict[str, OperationResult]:
        """Decode ``data`` once and run every task; results keyed by operation id."""
        picture = await self.decode(data)
        return await self.run(picture, tasks, tenant=tenant)

    async def run(
        self,
        picture: Picture,
        tasks: Sequence[TaskSpec],
        *,
        tenant: str,
        progress: Progress | None = None,
    ) -> dict[str, OperationResult]:
        """Every task at once; with ``progress``, :class:`Cancelled` once it is cancelled (the
        tasks still running stop at their next check)."""
        run = AnalysisRun(
            picture,
            settings=self.settings,
            pool=self.pool,
            collections=self.collections,
            tenant=tenant,
            progress=progress,
        )
        ops = operations()
        try:
            outcomes = await asyncio.gather(*(run_task(run, t, ops) for t in tasks))
        finally:
            self.tasks_done += run.tasks_done
        results: dict[str, OperationResult] = {}
        for task, outcome in zip(tasks, outcomes, strict=True):
            results[task.operation_id] = outcome
        return results


__all__ = [
    "WHOLE_IMAGE",
    "AnalysisRun",
    "Analyzer",
    "OperationResult",
    "TaskSpec",
    "operations",
]
