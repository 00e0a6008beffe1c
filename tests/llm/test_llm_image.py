"""The JPEG sent to LLM providers: bounded longer side, never enlarged, still the same picture."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from argus.llm.image import jpeg_for_llm


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_large_photo_is_shrunk_to_the_side_keeping_its_shape(chelsea) -> None:
    image = _open(jpeg_for_llm(chelsea, 200))  # chelsea is 451x300
    assert image.format == "JPEG"
    assert image.size == (200, 133)


def test_a_small_photo_is_sent_at_its_own_size_and_looks_the_same(astronaut) -> None:
    image = _open(jpeg_for_llm(astronaut, 1024))
    assert image.size == (512, 512)
    diff = np.abs(np.asarray(image.convert("RGB")).astype(int) - astronaut.astype(int))
    assert diff.mean() < 4  # quality 90: the provider sees the photo, not a smear
