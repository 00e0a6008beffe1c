"""OpenCV Haar cascades as detectors: one class for every ``haar-*`` entry of the catalog.

Fast, offline and weak. Each cascade runs on the histogram-equalised grayscale of the image with
``detectMultiScale``; the parameters default per label (faces, persons, cats, plates differ in
size and in how many overlapping hits make a detection) and can be overridden per call.

What they really do on the test photos (measured): the frontal-face cascade finds the
astronaut's and Grace Hopper's faces; the cat-face cascades find nothing on scikit-image's
``chelsea()`` (the cat's face fills and overflows the frame, while the cascade wants a whole
head); ``haar-plate-ru`` finds a synthetic white plate with black Latin letters pasted on
``coffee()`` at 3 of 4 widths (130-400 px), with a box taller than the plate (IoU 0.5-0.6),
while ``haar-plate-ru-16`` finds it at 1 of those 4 widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from argus.arrays import RGB
from argus.models.base import InferenceModel
from argus.runtime.opencv import Cascade, equalized_gray, fit_max_side, rgb_uint8
from argus.vision.boxes import clip
from argus.vision.detections import Detections


@dataclass(frozen=True)
class HaarParams:
    """``detectMultiScale`` parameters plus the working size.

    Attributes:
        scale_factor: step between pyramid levels (1.1 = 10 %); smaller is slower, finds more.
        min_neighbors: overlapping raw hits needed to keep a box; higher = fewer false boxes.
        min_size: smallest box (width, height) in working-image pixels. Boxes always have the
            cascade window's aspect ratio, so this only needs to exceed that window.
        max_side: longer side of the working image (larger images are shrunk, boxes scaled
            back); None searches at full size.
    """

    scale_factor: float = 1.1
    min_neighbors: int = 5
    min_size: tuple[int, int] = (30, 30)
    max_side: int | None = 1280


DEFAULT_PARAMS: dict[str, HaarParams] = {
    "face": HaarParams(1.1, 5, (30, 30), 1280),
    "person": HaarParams(1.05, 3, (28, 28), 1280),
    "cat": HaarParams(1.1, 3, (24, 24), 1280),
    # plates are wide and small: 60x20 is the plate cascade's window; search larger images at
    # more pixels so that distant plates survive the shrink
    "plate": HaarParams(1.1, 3, (60, 15), 2048),
}


class HaarCascadeDetector(InferenceModel[RGB, Detections]):
    """A Haar cascade of the catalog; the label of every box is ``spec.labels[0]``.

    Scores are the level weights of the cascade's last stage when OpenCV reports them (an
    unbounded margin, higher is more certain, not a probability), else 1.0.
    """

    _cascade: Cascade | None = None

    @property
    def label(self) -> str:
        return self.spec.labels[0] if self.spec.labels else "object"

    @property
    def params(self) -> HaarParams:
        """The defaults for this model's label."""
        return DEFAULT_PARAMS.get(self.label, HaarParams())

    @property
    def providers(self) -> list[str]:
        return ["opencv-cpu"]

    def _load(self) -> None:
        self._cascade = Cascade(self.context.files["cascade"])

    def _unload(self) -> None:
        self._cascade = None

    def _predict(self, batch: Sequence[RGB]) -> list[Detections]:
        return [self._detect_one(image, self.params) for image in batch]

    def detect(
        self,
        images: Sequence[RGB],
        *,
        scale_factor: float | None = None,
        min_neighbors: int | None = None,
        min_size: tuple[int, int] | None = None,
        max_side: int | None = -1,
    ) -> list[Detections]:
        """Like ``predict`` with parameters overridden (None/-1 keep the label's default;
        ``max_side=None`` searches at full size)."""
        base = self.params
        params = replace(
            base,
            scale_factor=base.scale_factor if scale_factor is None else scale_factor,
            min_neighbors=base.min_neighbors if min_neighbors is None else min_neighbors,
            min_size=base.min_size if min_size is None else min_size,
            max_side=base.max_side if max_side == -1 else max_side,
        )
        with self.using():
            return [self._detect_one(image, params) for image in images]

    def _detect_one(self, image: RGB, params: HaarParams) -> Detections:
        cascade = self._cascade
        if cascade is None:  # only reachable if a subclass bypasses ``load()``
            raise RuntimeError(f"model {self.name} is not loaded")
        image = rgb_uint8(image)
        work, factor = fit_max_side(image, params.max_side)
        boxes, weights = cascade.detect(
            equalized_gray(work),
            scale_factor=params.scale_factor,
            min_neighbors=params.min_neighbors,
            min_size=params.min_size,
        )
        scores = np.ones(len(boxes), np.float32) if weights is None else weights
        h, w = image.shape[:2]
        xyxy = clip(boxes / np.float32(factor), (w, h))
        order = np.argsort(-scores, kind="stable")
        return Detections.from_arrays(xyxy[order], scores[order], [self.label] * len(boxes))
