"""What a model can be asked for: one :class:`~typing.Protocol` per task.

Code that needs a model names the task it needs, ``pool.get("centerface", FaceDetector)``, and
gets a value of that type; the pool checks at run time that the model is one (:func:`implements`:
its members, for a protocol; for a task protocol also the model's catalog task, see
:func:`serves`) and raises :class:`~argus.errors.WrongModelKind` otherwise. The protocols
describe the model classes of :mod:`argus.models`; a concrete class (e.g. ``EfficientNetLite``)
may be asked for too when a caller needs more than its task.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeGuard, TypeVar, runtime_checkable

from argus.arrays import RGB, Float32Array
from argus.models.age_gender import AgeGender
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.models.geocode import Place
    from argus.models.specs import ModelSpec, Task

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out")
K = TypeVar("K")

Scores = list[tuple[str, float]]
"""A classifier's answer for one image: (label, probability), best first."""

FaceInput = tuple[RGB, Detections]
"""An image and the faces found in it (boxes, and landmarks where a model needs them)."""

CaptionRequest = tuple[RGB, int]
"""An image and the most tokens its caption may have."""


@runtime_checkable
class Model(Protocol[In, Out]):
    """Any model of the pool: ``predict`` a batch (loading on first use), ``unload`` it."""

    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> ModelSpec: ...

    @property
    def loaded(self) -> bool: ...

    @property
    def providers(self) -> list[str]: ...

    def load(self) -> None: ...

    def unload(self) -> None: ...

    def predict(self, batch: Sequence[In]) -> list[Out]: ...

    def predict_one(self, item: In) -> Out: ...


@runtime_checkable
class Detector(Model[RGB, Detections], Protocol):
    """Boxes in an RGB image: faces, objects, exposed body parts, text lines."""


@runtime_checkable
class FaceDetector(Detector, Protocol):
    """Face boxes (with 5 landmarks where the model gives them)."""


@runtime_checkable
class ThresholdDetector(Detector, Protocol):
    """A detector whose score and NMS thresholds can be set per call."""

    def detect(
        self,
        images: Sequence[RGB],
        *,
        score_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[Detections]: ...


@runtime_checkable
class TextReader(Detector, Protocol):
    """OCR: text-line boxes whose ``data`` holds each line's ``text`` and ``polygon``."""


@runtime_checkable
class FaceLandmarker(Model[FaceInput, Detections], Protocol):
    """The given face boxes with their 5 landmarks."""


@runtime_checkable
class FaceEmbedder(Model[FaceInput, Float32Array], Protocol):
    """One identity vector per given face: (N, dim) float32 per image."""

    @property
    def dim(self) -> int: ...

    @property
    def threshold(self) -> float: ...


@runtime_checkable
class FaceAttributes(Model[RGB, AgeGender], Protocol):
    """Age and gender of a face crop."""


@runtime_checkable
class ImageClassifier(Model[RGB, Scores], Protocol):
    """Class probabilities of an image, best first (ImageNet classes, NSFW classes, ...)."""


@runtime_checkable
class ImageEmbedder(Model[RGB, Float32Array], Protocol):
    """One vector per image (e.g. CLIP's image tower)."""


@runtime_checkable
class TextEmbedder(Model[str, Float32Array], Protocol):
    """One vector per text (e.g. CLIP's text tower); prompt groups averaged per class."""

    def embed_prompts(self, groups: Sequence[Sequence[str]]) -> Float32Array: ...


@runtime_checkable
class Captioner(Model[CaptionRequest, str], Protocol):
    """A sentence describing an image."""


@runtime_checkable
class Geocoder(Model[Sequence[float], "Place"], Protocol):
    """Places near a (latitude, longitude) point."""

    def locate(self, latitude: float, longitude: float) -> Place: ...

    def nearest_towns(self, latitude: float, longitude: float, k: int = 1) -> list[Place]: ...

    def town_counts(self, country_code: str) -> tuple[int, int, int]: ...


TASKS: dict[type[object], frozenset[Task]] = {
    Detector: frozenset({"face-detection", "object-detection", "nsfw-detection", "ocr"}),
    FaceDetector: frozenset({"face-detection"}),
    ThresholdDetector: frozenset({"face-detection", "object-detection", "nsfw-detection"}),
    TextReader: frozenset({"ocr"}),
    FaceLandmarker: frozenset({"face-landmarks"}),
    FaceEmbedder: frozenset({"face-embedding"}),
    FaceAttributes: frozenset({"face-attributes"}),
    ImageClassifier: frozenset({"image-classification"}),
    ImageEmbedder: frozenset({"image-embedding"}),
    TextEmbedder: frozenset({"text-embedding"}),
    Captioner: frozenset({"image-captioning"}),
    Geocoder: frozenset({"geocoding"}),
}
"""The catalog tasks each task protocol accepts (protocols cannot tell outputs apart at run
time: a classifier and a detector both have ``predict``)."""


def protocol_members(kind: type[object]) -> frozenset[str]:
    """The public names a protocol (and the protocols it extends) asks for."""
    return frozenset(
        name
        for base in kind.__mro__
        if getattr(base, "_is_protocol", False) and base is not Protocol
        for name in (*vars(base), *getattr(base, "__annotations__", {}))
        if not name.startswith("_")
    )


_CLASS_LACKS: dict[tuple[type[object], type[object]], tuple[str, ...]] = {}


def _missing_on_class(cls: type[object], kind: type[object]) -> tuple[str, ...]:
    """The members of protocol ``kind`` that class ``cls`` does not have itself (worked out
    once per pair; a race only works it out twice)."""
    found = _CLASS_LACKS.get((cls, kind))
    if found is None:
        missing = object()
        found = _CLASS_LACKS[cls, kind] = tuple(
            name
            for name in sorted(protocol_members(kind))
            if inspect.getattr_static(cls, name, missing) is missing
        )
    return found


def implements(model: object, kind: type[K]) -> TypeGuard[K]:
    """``isinstance(model, kind)`` that runs nothing: for a protocol, whether every member is
    there, looked up statically (Python 3.11's ``isinstance`` reads each property, and e.g.
    ArcFace's ``dim`` runs the model to find its size).

    What the model's class has is looked up once per class (the pool asks on every ``get``:
    about 50 us a time looked up afresh); only the members the class lacks are looked for on
    the instance (``spec``, set in ``__init__``)."""
    if not getattr(kind, "_is_protocol", False):
        return isinstance(model, kind)
    missing = object()
    return all(
        inspect.getattr_static(model, name, missing) is not missing
        for name in _missing_on_class(type(model), kind)
    )


def serves(task: str, kind: type[object]) -> bool:
    """Whether a model of the catalog ``task`` may be used as a ``kind`` (any task for a
    protocol or class not in :data:`TASKS`); the pool checks ``isinstance`` besides."""
    tasks = TASKS.get(kind)
    return tasks is None or task in tasks
