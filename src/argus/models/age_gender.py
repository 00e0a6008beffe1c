"""`AgeGenderEstimator`: face-api's age and gender network on face crops.

The graph (``age-gender.onnx``) is face-api's TinyXception restated by
:mod:`argus.models.convert.faceapi` around the ``age_gender_model`` weights of npm
``@vladmandic/face-api@1.7.15`` (MIT; published mean absolute age error 4.54 years, gender
accuracy 95 %). Preprocessing is face-api's: the crop is centred on a black square, resized to
112×112 (``tf.image.resizeBilinear``, no corner alignment), the RGB mean
``(122.782, 117.001, 104.298)`` subtracted and the result divided by 256. Give it a face box
from a detector (a tight box, as face-api's own pipeline does); it does not find faces itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel
from argus.models.tfjs_preprocess import as_rgb, pad_to_square, resize_bilinear
from argus.runtime.session import Session

INPUT_SIZE = 112
MEAN_RGB = np.array([122.782, 117.001, 104.298], np.float32)
DIVISOR = np.float32(256.0)
MAX_BATCH = 32

Gender = Literal["male", "female"]


@dataclass(frozen=True)
class AgeGender:
    """The estimate for one face: age in years, gender and that gender's probability."""

    age: float
    gender: Gender
    probability: float

    def to_dict(self) -> dict[str, object]:
        return {
            "age": round(self.age, 1),
            "gender": self.gender,
            "gender_probability": round(self.probability, 4),
        }


def preprocess(face: npt.NDArray[np.uint8]) -> Float32Array:
    """(3, 112, 112) float32 network input from an RGB face crop (H, W, 3)."""
    square = pad_to_square(as_rgb(face))
    resized = resize_bilinear(square, (INPUT_SIZE, INPUT_SIZE), align_corners=False)
    return np.ascontiguousarray(((resized - MEAN_RGB) / DIVISOR).transpose(2, 0, 1))


def interpret(age: float, probs: npt.NDArray[np.float32]) -> AgeGender:
    """An :class:`AgeGender` from the age output and the (male, female) probabilities."""
    male = float(probs[0])
    if male > 0.5:
        return AgeGender(age=float(age), gender="male", probability=male)
    return AgeGender(age=float(age), gender="female", probability=1.0 - male)


class AgeGenderEstimator(InferenceModel[npt.NDArray[np.uint8], AgeGender]):
    """One :class:`AgeGender` per RGB face crop; an empty crop is refused with ValueError."""

    _session: Session | None = None

    def _load(self) -> None:
        session = self.context.session("model")
        names = {o.name for o in session.outputs}
        if not {"age", "gender"} <= names:
            raise ModelLoadFailed(f"{self.name}: expected outputs age and gender, got {names}")
        self._session = session

    def _unload(self) -> None:
        self._session = None

    def _predict(self, batch: Sequence[npt.NDArray[np.uint8]]) -> list[AgeGender]:
        session = self._session
        if session is None:
            raise ModelLoadFailed(f"{self.name} is not loaded")
        for face in batch:
            if face.shape[0] == 0 or face.shape[1] == 0:
                raise ValueError("an empty face crop has no age or gender")
        name = session.inputs[0].name
        results: list[AgeGender] = []
        for start in range(0, len(batch), MAX_BATCH):
            blob = np.stack([preprocess(face) for face in batch[start : start + MAX_BATCH]])
            age, gender = session.run({name: blob}, ["age", "gender"])
            ages = np.asarray(age, np.float32).reshape(-1)
            probs = np.asarray(gender, np.float32)
            results.extend(interpret(float(a), p) for a, p in zip(ages, probs, strict=True))
        return results
