"""The built-in dlib face models: HOG and CNN detectors, 5-point landmarks, 128-d embeddings.

The detectors and landmarks run in dlib on one CPU thread (``dlib-bin`` has no BLAS); the
ResNet embedding runs dlib's network converted to ONNX on ONNX Runtime (dlib's own took about
60 ms per face here, the ONNX graph about 8 ms on one thread, the same descriptors). Measured
here: HOG takes about 20 ms on a 512 px photo (80 ms with one upsampling), the MMOD CNN about
1.7 s, landmarks about 1 ms per face. HOG is the default detector; the CNN finds more poses at a
hundred times the cost.

Inputs are RGB ``uint8`` arrays (H, W, 3); boxes come back as :class:`Detections` in the input
image's pixels, clipped to it. Detection scores are dlib's own margins, not probabilities (see
:func:`margin_to_unit` for a monotone map to (0, 1)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Float32Array, UInt8Image
from argus.models.base import InferenceModel
from argus.runtime import dlib as rt
from argus.runtime.opencv import fit_max_side, rgb_uint8
from argus.runtime.session import Session
from argus.vision.boxes import clip
from argus.vision.detections import Detections

FaceInput = tuple[RGB, Detections]
T = TypeVar("T")

DEFAULT_DISTANCE = 0.6
"""Two dlib descriptors closer than this (euclidean) are the same person (dlib's own figure)."""

LANDMARK_NAMES = (
    "eye_image_right_outer",
    "eye_image_right_inner",
    "eye_image_left_outer",
    "eye_image_left_inner",
    "nose_base",
)
"""The five points of ``shape_predictor_5_face_landmarks`` in dlib's order (image left/right)."""


def margin_to_unit(margin: npt.ArrayLike) -> Float32Array:
    """Map dlib detector margins to (0, 1) with the logistic function ``1 / (1 + e^-m)``.

    Monotone, so it keeps the ranking and ``margin 0 -> 0.5``, but it is *not* calibrated: a
    0.8 does not mean 80 % of such boxes are faces. Use it only where a client needs a number
    in [0, 1] (the :class:`Detections` of these models keep the raw margins).
    """
    m = np.asarray(margin, np.float64)
    return (1.0 / (1.0 + np.exp(-m))).astype(np.float32)


def face_distance(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Euclidean distance between descriptors, broadcasting over leading axes.

    ``a`` and ``b`` are (..., 128); e.g. (N, 128) against (128,) gives (N,), and
    ``face_distance(x[:, None], y[None])`` gives the (N, M) matrix. Same person below
    :data:`DEFAULT_DISTANCE` (0.6).
    """
    diff = np.asarray(a, np.float32) - np.asarray(b, np.float32)
    out: npt.NDArray[np.float32] = np.sqrt(np.sum(diff * diff, axis=-1, dtype=np.float32))
    return out


def _detections(boxes: Float32Array, scores: Float32Array, image: RGB, factor: float) -> Detections:
    """Boxes found on a working image shrunk by ``factor`` -> Detections on ``image``."""
    h, w = image.shape[:2]
    xyxy = clip(boxes / np.float32(factor), (w, h))
    order = np.argsort(-scores, kind="stable")
    return Detections.from_arrays(xyxy[order], scores[order], ["face"] * len(boxes))


def _loaded(handle: T | None, name: str) -> T:
    if handle is None:  # only reachable if a subclass bypasses ``load()``
        raise RuntimeError(f"model {name} is not loaded")
    return handle


class HogFaceDetector(InferenceModel[RGB, Detections]):
    """dlib's HOG + linear SVM frontal face detector.

    Options (per call of :meth:`detect`; ``predict`` uses the defaults):

    * ``upsample``: how many times the working image is doubled before the search. The
      detector's window is 80x80 px, so without upsampling faces smaller than about 80 px
      (in the working image) are missed; each upsampling halves that and costs four times as
      long. ``None`` (default) means 1 when the working image's short side is under 400 px,
      else 0. It is not upsampled more eagerly: on scikit-image's astronaut one upsampling
      adds the round mission patch on her suit as a "face" (margin 0.12 against 1.16).
    * ``max_side`` (default 1024): larger images are shrunk to this longer side first and the
      boxes scaled back (a 7.7-MP photo: about 100 ms).
    * ``min_score``: the SVM margin a box needs (default the spec's ``score`` threshold, 0.3,
      dlib's own default; negative values find more, e.g. -0.5).

    Scores are the SVM margins (about 0 to 3, higher is more certain), not probabilities;
    :func:`margin_to_unit` maps them to (0, 1) for clients that need that range. Boxes come
    strongest first. Weak margins (under about 0.3) are often round or face-like things: the
    same mission patch scores 0.16 without upsampling once the photo is 20 % brighter, while
    the faces in the test photos score 1.2 to 1.5.
    """

    max_side = 1024
    small_side = 400

    _detector: rt.HogDetector | None = None

    @property
    def providers(self) -> list[str]:
        return list(rt.PROVIDERS)

    def _load(self) -> None:
        self._detector = rt.hog_detector()

    def _unload(self) -> None:
        self._detector = None

    def _predict(self, batch: Sequence[RGB]) -> list[Detections]:
        return [self._detect_one(image, None, self.max_side, None) for image in batch]

    def detect(
        self,
        images: Sequence[RGB],
        *,
        upsample: int | None = None,
        max_side: int | None = 1024,
        min_score: float | None = None,
    ) -> list[Detections]:
        """Like ``predict`` with explicit options (see the class docstring)."""
        with self.using():
            return [self._detect_one(image, upsample, max_side, min_score) for image in images]

    def _detect_one(
        self, image: RGB, upsample: int | None, max_side: int | None, min_score: float | None
    ) -> Detections:
        detector = _loaded(self._detector, self.name)
        image = rgb_uint8(image)
        work, factor = fit_max_side(image, max_side)
        if upsample is None:
            upsample = 1 if min(work.shape[:2]) < self.small_side else 0
        threshold = self.spec.thresholds.get("score", 0.0) if min_score is None else min_score
        boxes, scores = detector.run(work, max(0, upsample), threshold)
        return _detections(boxes, scores, image, factor)


class CnnFaceDetector(InferenceModel[RGB, Detections]):
    """dlib's MMOD CNN face detector (``mmod_human_face_detector.dat``).

    Finds faces in more poses and light than HOG, from about 40 px, but takes ~1.7 s for a
    512 px photo on one core (four times that per upsampling). Options of :meth:`detect`:
    ``upsample`` (default 0), ``max_side`` (default 800: larger images are shrunk first and the
    boxes scaled back) and ``min_score`` (default the spec's ``score`` threshold, else 0.0).

    Scores are MMOD detection confidences (a margin, about 1 for a clear face), not
    probabilities; :func:`margin_to_unit` maps them to (0, 1).
    """

    max_side = 800

    _detector: rt.CnnDetector | None = None

    @property
    def providers(self) -> list[str]:
        return list(rt.PROVIDERS)

    def _load(self) -> None:
        self._detector = rt.cnn_detector(self.context.files["model"])

    def _unload(self) -> None:
        self._detector = None

    def _predict(self, batch: Sequence[RGB]) -> list[Detections]:
        return [self._detect_one(image, 0, self.max_side, None) for image in batch]

    def detect(
        self,
        images: Sequence[RGB],
        *,
        upsample: int = 0,
        max_side: int | None = 800,
        min_score: float | None = None,
    ) -> list[Detections]:
        """Like ``predict`` with explicit options (see the class docstring)."""
        with self.using():
            return [self._detect_one(image, upsample, max_side, min_score) for image in images]

    def _detect_one(
        self, image: RGB, upsample: int, max_side: int | None, min_score: float | None
    ) -> Detections:
        detector = _loaded(self._detector, self.name)
        image = rgb_uint8(image)
        work, factor = fit_max_side(image, max_side)
        boxes, scores = detector.run(work, max(0, upsample))
        threshold = self.spec.thresholds.get("score", 0.0) if min_score is None else min_score
        keep = scores >= threshold
        return _detections(boxes[keep], scores[keep], image, factor)


class FaceLandmarks5(InferenceModel[FaceInput, Detections]):
    """dlib's 5-point landmarks for faces already found.

    Input: ``(image, detections)`` pairs; output: the same detections (boxes, scores, labels,
    data) with ``landmarks`` (N, 5, 2) float32 in image pixels, in dlib's order
    (:data:`LANDMARK_NAMES`: the two corners of the eye on the image's right, the two of the
    eye on its left, then the base of the nose). Points are not clipped: a face cut by the
    border may have points outside the image. Works best on boxes from the dlib detectors,
    which it was trained with.
    """

    _predictor: rt.ShapePredictor | None = None

    @property
    def providers(self) -> list[str]:
        return list(rt.PROVIDERS)

    def _load(self) -> None:
        self._predictor = rt.shape_predictor(self.context.files["model"])

    def _unload(self) -> None:
        self._predictor = None

    def _predict(self, batch: Sequence[FaceInput]) -> list[Detections]:
        predictor = _loaded(self._predictor, self.name)
        out = []
        for image, faces in batch:
            shapes = predictor.predict(rgb_uint8(image), faces.xyxy)
            points = shapes.points if len(faces) else np.zeros((0, 5, 2), np.float32)
            out.append(Detections(faces.xyxy, faces.scores, faces.labels, points, faces.data))
        return out


class DlibFaceEmbedder(InferenceModel[FaceInput, Float32Array]):
    """dlib's ResNet face embedding: one 128-d descriptor per face box.

    Input: ``(image, detections)`` pairs (boxes from any face detector, in image pixels);
    output: (N, 128) float32 per image, (0, 128) when there is no box. The model finds the
    5-point landmarks itself (the spec's ``landmarks`` file), cuts the 150x150 chips with
    dlib's ``get_face_chip`` and runs dlib's network converted to ONNX
    (:mod:`argus.models.convert.dlib_resnet`: the same weights and layers, descriptors equal to
    dlib's to float rounding) on ONNX Runtime, all faces of a batch in one call. Two
    descriptors closer than :attr:`threshold` (spec ``distance``, 0.6) by
    :func:`face_distance` are the same person.

    Option of :meth:`embed`: ``num_jitters`` (default 0): 0 and 1 both mean one pass; N > 1
    averages N randomly jittered chips (``dlib.jitter_image``, as dlib does), a little more
    robust and N times slower.
    """

    _predictor: rt.ShapePredictor | None = None
    _session: Session | None = None
    _chip = 150  # side of the aligned chip the network reads (its input's rows)

    @property
    def providers(self) -> list[str]:
        return list(self._session.providers) if self._session is not None else []

    @property
    def dim(self) -> int:
        return 128

    @property
    def threshold(self) -> float:
        return self.spec.thresholds.get("distance", DEFAULT_DISTANCE)

    def _load(self) -> None:
        self._predictor = rt.shape_predictor(self.context.files["landmarks"])
        self._session = self.context.session("model")
        rows = self._session.inputs[0].shape[1]
        self._chip = rows if isinstance(rows, int) else self._chip

    def _unload(self) -> None:
        self._predictor = None
        self._session = None

    def _predict(self, batch: Sequence[FaceInput]) -> list[Float32Array]:
        return self._embed(batch, 0)

    def embed(self, batch: Sequence[FaceInput], *, num_jitters: int = 0) -> list[Float32Array]:
        """Like ``predict`` with an explicit ``num_jitters``."""
        with self.using():
            return self._embed(batch, max(0, num_jitters))

    def _embed(self, batch: Sequence[FaceInput], num_jitters: int) -> list[Float32Array]:
        predictor = _loaded(self._predictor, self.name)
        session = _loaded(self._session, self.name)
        per_face = max(1, num_jitters)
        chips: list[UInt8Image] = []
        counts: list[int] = []
        for image, faces in batch:
            if len(faces) == 0:
                counts.append(0)
                continue
            pixels = rgb_uint8(image)
            shapes = predictor.predict(pixels, faces.xyxy)
            chips.append(rt.face_chips(pixels, shapes, self._chip, num_jitters))
            counts.append(len(faces))
        if not chips:
            return [np.zeros((0, 128), np.float32) for _ in batch]
        stacked = np.concatenate(chips).astype(np.float32)
        (raw,) = session.run({session.inputs[0].name: stacked})
        vectors = np.asarray(raw, np.float32).reshape(-1, per_face, 128).mean(axis=1)
        out: list[Float32Array] = []
        start = 0
        for count in counts:
            out.append(np.ascontiguousarray(vectors[start : start + count], np.float32))
            start += count
        return out
