"""face-api's age and gender network (restated around its weights): preprocessing and the
reading of its outputs as pure functions, then the real model on face crops of real photos.

Eileen Collins (``astronaut``) is read as a woman in her thirties (she was 42 then). On
Grace Hopper in uniform the model is unsure and changes its mind with the crop (female 0.61
on the box below, male 0.89 on dlib's tighter box), so only her age is tested: she was 78.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from argus.config import Settings
from argus.models.age_gender import (
    INPUT_SIZE,
    MEAN_RGB,
    AgeGenderEstimator,
    interpret,
    preprocess,
)
from argus.models.pool import ModelPool

ASTRONAUT_FACE = (173, 83, 274, 180)
GRACE_HOPPER_FACE = (170, 140, 359, 343)


def test_preprocess_pads_to_a_square_and_subtracts_the_mean() -> None:
    crop = np.empty((40, 20, 3), np.uint8)
    crop[:] = np.round(MEAN_RGB).astype(np.uint8)
    x = preprocess(crop)
    assert x.shape == (3, INPUT_SIZE, INPUT_SIZE)
    assert np.abs(x[:, :, 56]).max() < 0.01  # the face: mean colour -> ~0
    np.testing.assert_allclose(x[:, 56, 0], -MEAN_RGB / 256, rtol=1e-5)  # black side border


def test_outputs_read_as_the_more_likely_gender_with_its_probability() -> None:
    male = interpret(30.0, np.array([0.8, 0.2], np.float32))
    female = interpret(30.0, np.array([0.3, 0.7], np.float32))
    assert male.gender == "male" and male.probability == pytest.approx(0.8)
    assert female.gender == "female" and female.probability == pytest.approx(0.7)
    assert female.to_dict() == {"age": 30.0, "gender": "female", "gender_probability": 0.7}


@pytest.fixture(scope="module")
def estimator() -> Iterator[AgeGenderEstimator]:
    pool = ModelPool(Settings(offline=True))
    model = pool.get("faceapi-age-gender", AgeGenderEstimator)
    yield model
    pool.close()


def _crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x1, y1, x2, y2 = box
    return image[y1:y2, x1:x2]


def test_eileen_collins_is_read_as_a_woman_of_plausible_age(
    estimator: AgeGenderEstimator, astronaut: np.ndarray
) -> None:
    result = estimator.predict_one(_crop(astronaut, ASTRONAUT_FACE))
    assert result.gender == "female"
    assert result.probability > 0.75
    assert 25 <= result.age <= 55


def test_grace_hopper_is_read_as_old(
    estimator: AgeGenderEstimator, grace_hopper: np.ndarray
) -> None:
    assert estimator.predict_one(_crop(grace_hopper, GRACE_HOPPER_FACE)).age >= 60


def test_a_batch_answers_per_face_and_an_empty_crop_is_refused(
    estimator: AgeGenderEstimator, astronaut: np.ndarray, grace_hopper: np.ndarray
) -> None:
    faces = [_crop(astronaut, ASTRONAUT_FACE), _crop(grace_hopper, GRACE_HOPPER_FACE)]
    batch = estimator.predict(faces)
    singles = [estimator.predict_one(face) for face in faces]
    assert [r.gender for r in batch] == [r.gender for r in singles]
    assert [r.age for r in batch] == pytest.approx([r.age for r in singles], abs=1e-3)
    with pytest.raises(ValueError, match="empty"):
        estimator.predict_one(np.zeros((0, 10, 3), np.uint8))
