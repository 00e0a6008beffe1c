"""`BuiltinNsfwClassifier`: an offline ``normal``/``nsfw`` image classifier over NudeNet.

NudeNet (``nudenet-320n``) finds body parts with boxes; this model turns one image's detections
into the two scores an image-classification model such as ``Falconsai/nsfw_image_detection``
answers, so seed 001's clients work on a fresh offline install. The rule: ``s`` is the highest
detection score among NudeNet's explicit labels (:data:`~argus.models.nudenet.EXPOSED_LABELS`:
exposed genitalia, female breasts, buttocks, anus; 0 when none is detected above NudeNet's own
0.25), and with the decision threshold ``t`` (spec threshold ``"nsfw"``, 0.5 by default)

* ``nsfw = 0.5 * (s / t) ** 2`` below ``t``: weak, lone boxes count for little (NudeNet sees
  the saucer in scikit-image's ``coffee`` as exposed buttocks at 0.30, which becomes 0.18);
* ``nsfw = 0.5 + 0.5 * (s - t) / (1 - t)`` from ``t`` up: linear, so ``s >= t`` means
  ``nsfw >= 0.5`` and a certain detection (1.0) means 1.0;
* ``normal = 1 - nsfw``.

Covered parts, faces and feet never count. The scores are a mapping of a detector's
confidence, not a calibrated probability; the answers are ``[(label, score)]`` best first, the
shape :class:`~argus.models.image_classifier.OnnxImageClassifier` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from argus.arrays import RGB
from argus.models.base import InferenceModel, ModelContext
from argus.models.nudenet import EXPOSED_LABELS, NudeNetDetector
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.models.catalog import ModelSpec

Scores = list[tuple[str, float]]

LABELS: tuple[str, str] = ("normal", "nsfw")
DEFAULT_THRESHOLD = 0.5


def exposed_score(detections: Detections) -> float:
    """Highest score among the explicit (exposed) labels of one image's detections; 0 if none."""
    best = 0.0
    for label, score in zip(detections.labels, detections.scores, strict=True):
        if label in EXPOSED_LABELS:
            best = max(best, float(score))
    return best


def nsfw_score(exposed: float, threshold: float = DEFAULT_THRESHOLD) -> float:
    """Map an exposed-part score in [0, 1] to an nsfw score in [0, 1] with 0.5 at ``threshold``.

    Quadratic below the threshold, linear above it (see the module docstring); monotonic.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    s = min(max(exposed, 0.0), 1.0)
    if s < threshold:
        return 0.5 * (s / threshold) ** 2
    return 0.5 + 0.5 * (s - threshold) / (1.0 - threshold)


def scores_from(detections: Detections, threshold: float = DEFAULT_THRESHOLD) -> Scores:
    """``[(label, score)]`` for ``normal`` and ``nsfw``, best first (``normal`` on a tie)."""
    nsfw = nsfw_score(exposed_score(detections), threshold)
    normal = 1.0 - nsfw
    return (
        [("nsfw", nsfw), ("normal", normal)]
        if nsfw > normal
        else [
            ("normal", normal),
            ("nsfw", nsfw),
        ]
    )


class BuiltinNsfwClassifier(InferenceModel[RGB, Scores]):
    """RGB uint8 ``(H, W, 3)`` images -> ``[("normal"|"nsfw", score), ...]`` best first.

    It runs its own :class:`NudeNetDetector` on the file the catalog entry names (the same as
    ``nudenet-320n``'s); :meth:`detect_and_classify` also gives the detections behind scores.
    """

    def __init__(self, spec: ModelSpec, context: ModelContext) -> None:
        super().__init__(spec, context)
        self.detector = NudeNetDetector(spec, context)

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS

    @property
    def threshold(self) -> float:
        """The exposed-part score at which the answer turns ``nsfw`` (spec threshold "nsfw")."""
        return float(self.spec.thresholds.get("nsfw", DEFAULT_THRESHOLD))

    @property
    def providers(self) -> list[str]:
        return self.detector.providers

    def detect_and_classify(self, batch: Sequence[RGB]) -> tuple[list[Detections], list[Scores]]:
        """NudeNet's detections and the two scores, for each image of the batch."""
        self.load()
        found = self.detector.detect(batch)
        return found, [scores_from(d, self.threshold) for d in found]

    def _load(self) -> None:
        self.detector.load()

    def _unload(self) -> None:
        self.detector.unload()

    def _predict(self, batch: Sequence[RGB]) -> list[Scores]:
        return [scores_from(d, self.threshold) for d in self.detector.detect(batch)]
