"""Face features (seed 004): the largest face, quality checks, an L2-normalised feature, cosine
comparison against a threshold that belongs to the active model.

:class:`FacePipeline` detects faces (dlib HOG by default), keeps the largest, optionally upscales
it when it is small (bicubic + unsharp mask on a crop around it, as seed 004's ID-card fork
did), finds its 5 landmarks, runs the checks of :mod:`argus.pipelines.face_quality` and, when
they pass (or ``strict`` is off), embeds it with the active model: the built-in
``dlib-resnet-face`` (128-d) or a pulled ArcFace-style ONNX model (:mod:`argus.models.arcface`).
Features are unit vectors, so cosine similarity is their dot product.

Thresholds: dlib publishes its operating point as a euclidean distance of 0.6 between raw
descriptors. Those are not unit vectors: their length is about 1.40 (1.25-1.51 over 91 faces
measured here), and for two vectors of length ``r`` at distance ``d`` the cosine is
``1 - d^2 / (2 r^2)``, so 0.6 becomes 0.908. ArcFace models carry theirs in the catalog.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Float32Array
from argus.config import FaceSettings
from argus.errors import DimensionMismatch, InvalidInput, NoQualifiedFace
from argus.models.arcface import l2_normalise
from argus.models.pool import ModelPool
from argus.models.tasks import Detector, FaceEmbedder, FaceLandmarker
from argus.pipelines import face_quality
from argus.pipelines.face_quality import Quality
from argus.vision.detections import Detections

DLIB_MODEL = "dlib-resnet-face"
DLIB_DIM = 128
DLIB_DISTANCE = 0.6
DLIB_DESCRIPTOR_NORM = 1.40
"""Typical length of a raw dlib descriptor (mean 1.38-1.45 on the faces measured here)."""


def dlib_cosine_threshold(
    distance: float = DLIB_DISTANCE, norm: float = DLIB_DESCRIPTOR_NORM
) -> float:
    """Cosine similarity equivalent to dlib's euclidean ``distance`` between descriptors of
    length ``norm``: ``1 - distance^2 / (2 norm^2)`` (0.6 at 1.40 -> 0.908)."""
    return round(1.0 - distance**2 / (2.0 * norm**2), 3)


@dataclass(frozen=True)
class FaceModelInfo:
    """The face-embedding model answering: its name, feature size and default threshold."""

    name: str
    dim: int
    threshold: float


@dataclass(frozen=True)
class FaceFeature:
    """One face's feature and how it was obtained (box and landmarks in original pixels)."""

    vector: Float32Array
    model: str
    box: tuple[float, float, float, float]
    landmarks: list[tuple[float, float]]
    detector_score: float
    quality: Quality
    upscale: float

    @property
    def dim(self) -> int:
        return int(self.vector.shape[0])

    def summary(self) -> dict[str, Any]:
        """Everything but the vector, as JSON-ready data."""
        return {
            "model": self.model,
            "box": [round(v, 1) for v in self.box],
            "landmarks": [[round(x, 1), round(y, 1)] for x, y in self.landmarks],
            "detector_score": round(self.detector_score, 3),
            "upscale": round(self.upscale, 3),
            "quality": self.quality.to_dict(),
        }


def as_feature(values: Any, what: str = "feature") -> Float32Array:
    """A client's feature (list of numbers) as a float32 vector; 400 if unusable."""
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} must be a list of numbers") from None
    if vector.ndim != 1 or vector.size == 0:
        raise InvalidInput(f"{what} must be a non-empty flat list of numbers")
    if not np.all(np.isfinite(vector)):
        raise InvalidInput(f"{what} contains NaN or infinite values")
    peak = float(np.max(np.abs(vector)))
    if peak == 0.0:
        raise InvalidInput(f"{what} is the zero vector")
    if peak > float(np.finfo(np.float32).max):
        raise InvalidInput(f"{what} has values beyond the float32 range (about 3.4e38)")
    return vector.astype(np.float32)


def cosine_similarity(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cosine of the angle between two feature vectors; a dimension mismatch is a 400."""
    va, vb = as_feature(a, "feature1"), as_feature(b, "feature2")
    if va.shape != vb.shape:
        raise DimensionMismatch(va.shape[0], vb.shape[0])
    # in float64, each scaled by its largest value first: huge (but float32) values cannot
    # overflow the norm, so the similarity is always finite
    a64, b64 = va.astype(np.float64), vb.astype(np.float64)
    a64 /= np.max(np.abs(a64))
    b64 /= np.max(np.abs(b64))
    (na, nb) = l2_normalise(np.stack([a64, b64]))
    return float(np.clip(np.dot(na.astype(np.float64), nb.astype(np.float64)), -1.0, 1.0))


class FacePipeline:
    """Detection -> largest face -> (upscale) -> landmarks -> checks -> feature."""

    def __init__(self, pool: ModelPool, cfg: FaceSettings) -> None:
        self.pool = pool
        self.cfg = cfg

    def model_info(self, name: str | None = None) -> FaceModelInfo:
        """Name, dimension and default threshold of ``name`` (default the active model)."""
        name = name or self.cfg.model
        spec = self.pool.catalog.get(name)
        if "distance" in spec.thresholds or name == DLIB_MODEL:
            distance = spec.thresholds.get("distance", DLIB_DISTANCE)
            return FaceModelInfo(name, DLIB_DIM, dlib_cosine_threshold(distance))
        dim = self.pool.get(name, FaceEmbedder).dim  # WrongModelKind (400) if not a face model
        return FaceModelInfo(name, dim, float(spec.thresholds.get("similarity", 0.5)))

    def threshold(self, name: str | None = None) -> float:
        """The configured threshold, else the model's own."""
        if self.cfg.threshold is not None:
            return self.cfg.threshold
        return self.model_info(name).threshold

    def extract(
        self, image: RGB, *, model: str | None = None, strict: bool | None = None
    ) -> FaceFeature:
        """The feature of the largest face of ``image``; raises :class:`NoQualifiedFace`."""
        strict = self.cfg.strict if strict is None else strict
        faces = self.pool.get(self.cfg.detector, Detector).predict([image])[0]
        if len(faces) == 0:
            raise NoQualifiedFace("no face detected")
        face = faces[int(np.argmax(faces.areas))]
        work, work_face, factor, origin = self._maybe_upscale(image, face)
        work_face = self.pool.get(self.cfg.landmarks, FaceLandmarker).predict([(work, work_face)])[
            0
        ]
        assert work_face.landmarks is not None
        quality = face_quality.assess(work, work_face.xyxy[0], work_face.landmarks[0], self.cfg)
        if strict and not quality.passed:
            raise NoQualifiedFace(f"quality check failed: {quality.describe_failures()}", quality)
        name = model or self.cfg.model
        raw = self.pool.get(name, FaceEmbedder).predict([(work, work_face)])[0]
        vector = l2_normalise(np.asarray(raw, np.float32).reshape(1, -1))[0]
        landmarks = work_face.landmarks[0] / np.float32(factor) + origin
        x1, y1, x2, y2 = (float(v) for v in face.xyxy[0])
        return FaceFeature(
            vector=vector,
            model=name,
            box=(x1, y1, x2, y2),
            landmarks=[(float(x), float(y)) for x, y in landmarks],
            detector_score=float(face.scores[0]),
            quality=quality,
            upscale=factor,
        )

    def _maybe_upscale(
        self, image: RGB, face: Detections
    ) -> tuple[RGB, Detections, float, Float32Array]:
        """The image and face the rest works on, the upscale factor and the crop's origin:
        unchanged, or a crop around a small face enlarged so that its shorter side reaches
        ``min_face_px``."""
        none = np.zeros(2, np.float32)
        x1, y1, x2, y2 = (float(v) for v in face.xyxy[0])
        side = min(x2 - x1, y2 - y1)
        cfg = self.cfg
        if not cfg.upscale_small_faces or side >= cfg.min_face_px:
            return image, face, 1.0, none
        if side < cfg.upscale_min_face_px or side <= 0:
            return image, face, 1.0, none
        factor = math.ceil(cfg.min_face_px / side * 1000) / 1000 + 1e-3
        h, w = image.shape[:2]
        margin = max(x2 - x1, y2 - y1)
        cx1, cy1 = max(0, math.floor(x1 - margin)), max(0, math.floor(y1 - margin))
        cx2, cy2 = min(w, math.ceil(x2 + margin)), min(h, math.ceil(y2 + margin))
        crop = np.ascontiguousarray(image[cy1:cy2, cx1:cx2])
        big = face_quality.upscale(crop, factor)
        offset = np.array([cx1, cy1, cx1, cy1], np.float32)
        moved = Detections(
            (face.xyxy - offset) * np.float32(factor), face.scores, face.labels, None, face.data
        )
        return big, moved, factor, np.array([cx1, cy1], np.float32)

    def extract_many(
        self, images: Sequence[RGB], *, model: str | None = None, strict: bool | None = None
    ) -> list[FaceFeature | NoQualifiedFace]:
        """:meth:`extract` per image; failures are returned in place, not raised."""
        out: list[FaceFeature | NoQualifiedFace] = []
        for image in images:
            try:
                out.append(self.extract(image, model=model, strict=strict))
            except NoQualifiedFace as exc:
                out.append(exc)
        return out
