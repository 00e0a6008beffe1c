"""`OnnxDetector`: a one-session ONNX detector whose score and NMS thresholds can be set per call.

NanoDet, NudeNet and CenterFace differ only in their graphs and decoding; the rest is here once:
the thresholds (the constructor's, else the spec's ``"score"`` and ``"iou"``, else the class
defaults), ``detect(images, score_threshold=..., iou_threshold=...)`` for one call's own
thresholds (:class:`~argus.models.tasks.ThresholdDetector`), the session's providers and the
load check. A subclass implements :meth:`_detect` and, optionally, :meth:`_check`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from argus.arrays import RGB
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel, ModelContext
from argus.runtime.session import Session
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.models.catalog import ModelSpec


class OnnxDetector(InferenceModel[RGB, Detections]):
    """Boxes from one ONNX graph (file ``model``), with per-call thresholds."""

    default_score: ClassVar[float] = 0.25
    default_iou: ClassVar[float] = 0.45

    def __init__(
        self,
        spec: ModelSpec,
        context: ModelContext,
        *,
        score_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> None:
        super().__init__(spec, context)
        th = spec.thresholds
        self.score_threshold = (
            th.get("score", self.default_score) if score_threshold is None else score_threshold
        )
        self.iou_threshold = (
            th.get("iou", self.default_iou) if iou_threshold is None else iou_threshold
        )
        self._session: Session | None = None

    @property
    def providers(self) -> list[str]:
        if self._session is None:
            return super().providers
        return list(self._session.providers)

    @property
    def session(self) -> Session:
        """The open session; ModelLoadFailed when the model is not loaded."""
        if self._session is None:
            raise ModelLoadFailed(f"{self.name} is not loaded")
        return self._session

    def _load(self) -> None:
        session = self.context.session("model")
        self._check(session)
        self._session = session

    def _check(self, session: Session) -> None:
        """Raise :class:`ModelLoadFailed` when the graph is not the one this class decodes."""

    def _unload(self) -> None:
        self._session = None

    def detect(
        self,
        images: Sequence[RGB],
        *,
        score_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[Detections]:
        """Like :meth:`predict`, with thresholds overridden for this call."""
        score = self.score_threshold if score_threshold is None else score_threshold
        iou = self.iou_threshold if iou_threshold is None else iou_threshold
        with self.using():
            return self._detect(images, score, iou)

    def _predict(self, batch: Sequence[RGB]) -> list[Detections]:
        return self._detect(batch, self.score_threshold, self.iou_threshold)

    @abstractmethod
    def _detect(self, images: Sequence[RGB], score: float, iou: float) -> list[Detections]:
        """One :class:`Detections` per image, boxes from ``score`` up merged above ``iou``."""
