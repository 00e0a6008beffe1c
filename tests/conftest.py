"""Shared fixtures: real photos nobody here made, and settings rooted in a temporary data dir.

Photos come from scikit-image's bundled samples and matplotlib's ``grace_hopper.jpg``; tests
assert on what a person can see in them (a face on the astronaut, a cat on chelsea).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import skimage.data
from matplotlib import cbook
from PIL import Image

from argus.config import Settings
from support.images import encode

RGB = npt.NDArray[np.uint8]


@pytest.fixture(scope="session")
def astronaut() -> RGB:
    """Eileen Collins in her NASA portrait: one frontal face, 512x512."""
    return np.ascontiguousarray(skimage.data.astronaut())


@pytest.fixture(scope="session")
def chelsea() -> RGB:
    """Chelsea the cat, 451x300; no person."""
    return np.ascontiguousarray(skimage.data.chelsea())


@pytest.fixture(scope="session")
def coffee() -> RGB:
    """A cup of coffee on a saucer, 600x400; no person, no text."""
    return np.ascontiguousarray(skimage.data.coffee())


@pytest.fixture(scope="session")
def grace_hopper() -> RGB:
    """Grace Hopper in uniform, 512x600: one frontal face, a different person from astronaut."""
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return np.asarray(Image.open(f).convert("RGB"))


@pytest.fixture
def encode_image() -> Callable[..., bytes]:
    return encode


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the data dir in a fresh temporary folder and downloads off."""
    return Settings(data_dir=tmp_path / "data", offline=True)


@pytest.fixture(scope="session")
def face_api_photos() -> list[RGB]:
    """The six group photos of face-api's npm ``demo/`` folder (three to five women each),
    fetched with ``npm pack`` and checked against the pinned sha512; skipped without npm or
    network outside CI."""
    from support.photos import face_api_demo_photos, load_rgb

    return [load_rgb(p) for p in face_api_demo_photos()]
