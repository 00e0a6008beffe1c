"""Models share one loaded object across request threads: concurrent calls must stay correct.

dlib detectors and OpenCV cascades are not thread-safe by themselves (unguarded, two threads
abort the process or trip OpenCV assertions); the runtime wrappers serialise them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.models.pool import ModelPool
from argus.models.tasks import Detector

RGB = npt.NDArray[np.uint8]


@pytest.mark.parametrize("name", ["dlib-hog-face", "haar-face-frontal", "nudenet-320n"])
def test_four_threads_on_one_model_give_the_single_thread_answer(
    name: str, settings: Settings, astronaut: RGB, grace_hopper: RGB
) -> None:
    model = ModelPool(settings).get(name, Detector)
    images = [astronaut, grace_hopper] * 8
    expected = [model.predict([img])[0] for img in images[:2]]
    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda img: model.predict([img])[0], images))
    for i, dets in enumerate(results):
        np.testing.assert_allclose(dets.xyxy, expected[i % 2].xyxy, atol=1e-3)
        assert dets.labels == expected[i % 2].labels
