"""Every catalogued model class is the task protocol its catalog task promises, so
``pool.get(name, Protocol)`` accepts each built-in and pullable model for its task."""

from __future__ import annotations

from typing import Protocol

import pytest

from argus.models.base import ModelContext
from argus.models.known import KNOWN
from argus.models.pool import model_class
from argus.models.specs import ModelSpec
from argus.models.tasks import (
    TASKS,
    Captioner,
    Detector,
    FaceAttributes,
    FaceDetector,
    FaceEmbedder,
    FaceLandmarker,
    Geocoder,
    ImageClassifier,
    ImageEmbedder,
    TextEmbedder,
    TextReader,
    ThresholdDetector,
    implements,
)

BY_TASK: dict[str, type[object]] = {
    "face-detection": FaceDetector,
    "object-detection": Detector,
    "nsfw-detection": ThresholdDetector,
    "ocr": TextReader,
    "face-landmarks": FaceLandmarker,
    "face-embedding": FaceEmbedder,
    "face-attributes": FaceAttributes,
    "image-classification": ImageClassifier,
    "image-embedding": ImageEmbedder,
    "text-embedding": TextEmbedder,
    "image-captioning": Captioner,
    "geocoding": Geocoder,
}


@pytest.mark.parametrize("spec", KNOWN, ids=lambda s: s.name)
def test_each_catalogued_model_is_the_protocol_of_its_task(spec: ModelSpec) -> None:
    model = model_class(spec)(spec, ModelContext({}))  # no files: nothing may be run or loaded
    kind = BY_TASK[spec.task]
    # ``isinstance`` would read every property: ArcFace's ``dim`` runs the model (KeyError here)
    assert implements(model, kind), f"{spec.family} is not a {kind.__name__}"
    assert spec.task in TASKS[kind]
    assert not model.loaded


def test_every_task_has_a_protocol() -> None:
    tasks = {t for accepted in TASKS.values() for t in accepted}
    assert tasks == set(BY_TASK)


class _Locates(Protocol):
    label: str

    def locate(self, where: str) -> str: ...


class _Locator:
    """Has ``locate``; its ``label`` is set on each instance that has one, not by the class."""

    def __init__(self, label: str | None) -> None:
        if label is not None:
            self.label = label

    def locate(self, where: str) -> str:
        return where


def test_a_member_set_on_the_instance_counts_and_one_missing_does_not() -> None:
    """What the class has is looked up once per class; the members it lacks are still looked
    for on each instance, so a later instance of the same class without one is refused."""
    assert implements(_Locator("here"), _Locates)
    assert not implements(_Locator(None), _Locates)
    assert implements(_Locator("again"), _Locates)
