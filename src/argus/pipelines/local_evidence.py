"""What the local photo-category engine's models saw in one picture, and seed 000's shapes for it.

:func:`look` runs the three built-in models the ``local`` engine decides with — NanoDet (COCO-80
boxes), CenterFace (faces) and EfficientNet-Lite0 (ImageNet-1k) — and condenses them into
:class:`Evidence`: the people a person would count (a confident person box, or a weaker one with
a face inside it: NanoDet alone also calls the cat and the Hubble deep field "person"), faces,
cats and dogs, food items, the ImageNet category evidence of
:func:`argus.pipelines.imagenet_categories.category_evidence`, and seed 000's own
``generalDetections`` (``{classId, className, confidence, bbox: [cx, cy, w, h]}``, COCO boxes at
0.25) and ``mobileNetV3Detections`` (top-5 ImageNet predictions, those at least 0.3, the top one)
so a seed client reading them works.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB
from argus.errors import ModelNotInstalled
from argus.models.coco_labels import COCO_LABELS
from argus.models.efficientnet_lite import EfficientNetLite
from argus.models.pool import ModelPool
from argus.models.tasks import Detector, ThresholdDetector
from argus.pipelines.imagenet_categories import NUM_CLASSES, category_evidence
from argus.vision.detections import Detections

DETECTOR = "nanodet-coco"
FACES = "centerface"
CLASSIFIER = "efficientnet-lite0"
FALLBACK_FACES = "dlib-hog-face"
NO_IMAGENET: dict[str, Any] = {
    "success": False,
    "predictions": [],
    "validPredictions": [],
    "topPrediction": None,
    "confidence": 0.0,
}

GENERAL_MIN = 0.25  # seed 000's YOLOv8s confidence threshold for generalDetections
IMAGENET_VALID = 0.3  # seed 000's MobileNet threshold for validPredictions
PERSON_CONFIDENT = 0.6  # a NanoDet person above this counts without a face
FACE_MIN = 0.5  # CenterFace peaks from here count as faces a person would see
PET_MIN = 0.4
FOOD_MIN = 0.5
PETS = ("cat", "dog")
OTHER_ANIMALS = ("horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "bird")
FOOD_ITEMS = (
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
)


@dataclass
class Evidence:
    """The counts and scores the local engine decides with, plus what each model saw."""

    people: list[tuple[float, float]] = field(default_factory=list)  # (score, area fraction)
    faces: int = 0
    pet_score: float = 0.0  # best NanoDet cat or dog
    other_animal_score: float = 0.0  # best NanoDet animal that is not a pet
    food_items: int = 0
    imagenet: dict[str, float] = field(default_factory=dict)
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def largest_person(self) -> float:
        """Area fraction of the largest counted person (0 without people)."""
        return max((area for _, area in self.people), default=0.0)


def probabilities(ranked: Sequence[tuple[str, float]], labels: Sequence[str]) -> npt.NDArray[Any]:
    """The classifier's ranked ``(label, probability)`` list back in class-index order.

    ImageNet names two classes alike (``crane``, ``maillot``): equal names fill their indices in
    turn, which no category group cares about (neither pair belongs to one)."""
    slots: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        slots.setdefault(label, []).append(index)
    out = np.zeros(len(labels), np.float64)
    for label, score in ranked:
        out[slots[label].pop(0)] = score
    return out


def _inside(point: tuple[float, float], box: Sequence[float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def general_detections(objects: Detections) -> list[dict[str, Any]]:
    """Seed 000's ``generalDetections``: COCO boxes at 0.25 or more, ``bbox`` as [cx, cy, w, h]."""
    out: list[dict[str, Any]] = []
    for box, score, label in zip(objects.xyxy, objects.scores, objects.labels, strict=True):
        if score < GENERAL_MIN:
            continue
        x1, y1, x2, y2 = (float(v) for v in box)
        out.append(
            {
                "classId": COCO_LABELS.index(label),
                "className": label,
                "confidence": round(float(score), 4),
                "bbox": [
                    round((x1 + x2) / 2, 1),
                    round((y1 + y2) / 2, 1),
                    round(x2 - x1, 1),
                    round(y2 - y1, 1),
                ],
            }
        )
    return out


def imagenet_detections(probs: npt.NDArray[Any], labels: Sequence[str]) -> dict[str, Any]:
    """Seed 000's ``mobileNetV3Detections``: top 5, those at 0.3 or more, the top one."""
    top = [int(i) for i in np.argsort(-probs, kind="stable")[:5]]
    predictions: list[dict[str, Any]] = [
        {"index": i, "probability": round(float(probs[i]), 4), "class": labels[i]} for i in top
    ]
    return {
        "success": True,
        "predictions": predictions,
        "validPredictions": [p for p in predictions if p["probability"] >= IMAGENET_VALID],
        "topPrediction": predictions[0],
        "confidence": predictions[0]["probability"],
    }


def _installed(pool: ModelPool, name: str) -> bool:
    try:
        pool.model(name)
    except ModelNotInstalled:
        return False
    return True


def _imagenet(pixels: RGB, pool: ModelPool) -> tuple[npt.NDArray[Any], tuple[str, ...]] | None:
    """EfficientNet's class probabilities in class order and its labels; None when missing."""
    if not _installed(pool, CLASSIFIER):
        return None
    classifier = pool.get(CLASSIFIER, EfficientNetLite)
    labels = classifier.labels
    probs = probabilities(classifier.predict([pixels])[0], labels)
    if len(probs) != NUM_CLASSES:
        raise ValueError(f"{CLASSIFIER} gave {len(probs)} classes, not {NUM_CLASSES}")
    return probs, labels


def _objects(pixels: RGB, pool: ModelPool) -> Detections | None:
    """NanoDet's COCO boxes from the seed's 0.25 up; None when it is not installed."""
    if not _installed(pool, DETECTOR):
        return None
    return pool.get(DETECTOR, ThresholdDetector).detect([pixels], score_threshold=GENERAL_MIN)[0]


def look(pixels: RGB, pool: ModelPool, scale: tuple[float, float] = (1.0, 1.0)) -> Evidence:
    """Run NanoDet, CenterFace and EfficientNet on one picture (blocking: run in a thread);
    ``scale`` maps the decoded copy's pixels back to the original's for the boxes shown.

    A model that is not installed (no npm for NanoDet, ``make models`` not run) is listed under
    ``missing_models`` and left out: faces then come from dlib HOG, people from faces alone, and
    there is no ImageNet evidence (``mobileNetV3Detections.success`` is false)."""
    h, w = pixels.shape[:2]
    area = float(max(1, h * w))
    missing = [name for name in (DETECTOR, FACES, CLASSIFIER) if not _installed(pool, name)]
    found = _objects(pixels, pool)
    objects = Detections.empty() if found is None else found
    face_model = FALLBACK_FACES if FACES in missing else FACES
    faces = pool.get(face_model, Detector).predict([pixels])[0]
    imagenet = _imagenet(pixels, pool)
    strong = faces[faces.scores >= FACE_MIN]
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in strong.xyxy.tolist()]
    evidence = category_evidence(imagenet[0]) if imagenet is not None else {}
    ev = Evidence(faces=len(strong), imagenet=evidence)
    for box, score, label in zip(
        objects.xyxy.tolist(), objects.scores.tolist(), objects.labels, strict=True
    ):
        if label == "person":
            if score >= PERSON_CONFIDENT or any(_inside(c, box) for c in centres):
                ev.people.append((score, (box[2] - box[0]) * (box[3] - box[1]) / area))
        elif label in PETS:
            ev.pet_score = max(ev.pet_score, score)
        elif label in OTHER_ANIMALS:
            ev.other_animal_score = max(ev.other_animal_score, score)
        elif label in FOOD_ITEMS and score >= FOOD_MIN:
            ev.food_items += 1
    ev.seen = {
        "idCardDetections": [],
        "generalDetections": general_detections(objects.scaled(*scale)),
        "mobileNetV3Detections": (
            imagenet_detections(*imagenet) if imagenet is not None else NO_IMAGENET
        ),
        "faces": [d.to_dict() for d in faces.scaled(*scale)],
        "models": {
            "objects": None if DETECTOR in missing else DETECTOR,
            "faces": face_model,
            "imagenet": None if CLASSIFIER in missing else CLASSIFIER,
        },
        "missing_models": missing,
        "people": len(ev.people),
        "imagenet_evidence": {k: round(v, 3) for k, v in ev.imagenet.items()},
    }
    return ev
