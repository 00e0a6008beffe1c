"""`NsfwjsClassifier`: nsfwjs's MobileNetV2 NSFW classifier (5 labels), converted from tfjs.

The graph (``nsfwjs-mobilenet-v2.onnx``, converted at install time from the uint8-quantized
tfjs layers model inside npm ``nsfwjs@4.4.0``, MIT) takes ``(B, 224, 224, 3)`` RGB in [0, 1]
and returns softmax probabilities over :data:`LABELS`, the label set of seed 001's example
model (the input size is read from the graph, so nsfwjs's 299-px InceptionV3, converted the
same way, runs too). Preprocessing is nsfwjs's own: pixels divided by 255, then a bilinear
resize to the input size with ``align_corners=True`` (``tf.image.resizeBilinear``), no crop
and no aspect-ratio keeping. It calls some clothed party and beach photos ``sexy``; it is a
classifier of the whole image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.models.tfjs_preprocess import as_rgb, resize_bilinear
from argus.runtime.session import Session

LABELS: tuple[str, ...] = ("drawings", "hentai", "neutral", "porn", "sexy")
#: The labels that mean "not safe for work" (``sexy`` is suggestive, not explicit).
EXPLICIT_LABELS: frozenset[str] = frozenset({"hentai", "porn"})
INPUT_SIZE = 224
MAX_BATCH = 16

Scores = list[tuple[str, float]]


def preprocess(image: npt.NDArray[np.uint8], size: int = INPUT_SIZE) -> Float32Array:
    """(size, size, 3) float32 in [0, 1] from an RGB image, as nsfwjs prepares it."""
    rgb = as_rgb(image)
    if rgb.shape[:2] == (size, size):
        return rgb.astype(np.float32) / np.float32(255.0)
    return resize_bilinear(rgb, (size, size), align_corners=True, divide_by=255.0)


class NsfwjsClassifier(InferenceModel[npt.NDArray[np.uint8], Scores]):
    """Per RGB image, ``[(label, probability), ...]`` over :data:`LABELS`, best first."""

    _session: Session | None = None
    _size = INPUT_SIZE

    def _load(self) -> None:
        session = self.context.session("model")
        dims = session.inputs[0].shape
        self._size = dims[1] if len(dims) == 4 and isinstance(dims[1], int) else INPUT_SIZE
        shape = session.outputs[0].shape if session.outputs else ()
        if len(shape) == 2 and isinstance(shape[1], int) and shape[1] != len(LABELS):
            raise ModelLoadFailed(f"{self.name}: expected {len(LABELS)} outputs, got {shape[1]}")
        self._session = session

    def _unload(self) -> None:
        self._session = None

    def _predict(self, batch: Sequence[npt.NDArray[np.uint8]]) -> list[Scores]:
        session = self._session
        if session is None:
            raise ModelLoadFailed(f"{self.name} is not loaded")
        name = session.inputs[0].name
        results: list[Scores] = []
        for start in range(0, len(batch), MAX_BATCH):
            chunk = batch[start : start + MAX_BATCH]
            blob = np.stack([preprocess(img, self._size) for img in chunk])
            probs = np.asarray(session.run({name: blob})[0], np.float32)
            for row in probs:
                order = np.argsort(-row, kind="stable")
                results.append([(LABELS[i], float(row[i])) for i in order])
        return results
