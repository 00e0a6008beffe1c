"""The labelled real-photo set of ``tests/data/real/manifest.json``: entries and their pixels.

Photos come from the packages that ship them, at run time: scikit-image's ``skimage.data``,
matplotlib's sample data, scikit-learn's sample images, npm packages' demo folders (through
:mod:`support.photos`, sha512 pinned), and pictures drawn by the tests' own renderers
(``tests/classify/classify_support.py``). Nothing binary is committed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from support.photos import FACE_API_PACKAGE, face_api_package

RGB = npt.NDArray[np.uint8]
MANIFEST = Path(__file__).resolve().parents[1] / "data" / "real" / "manifest.json"
CATEGORIES = (
    "social_activities",
    "pets",
    "single_person",
    "foods",
    "travel_scenery",
    "screenshot",
    "idcard",
    "other",
)
NPM_PACKAGES: dict[str, Callable[[Path | None], Path]] = {FACE_API_PACKAGE: face_api_package}


@dataclass(frozen=True)
class RealPhoto:
    """One labelled photo: where it comes from and what a person sees in it."""

    id: str
    source: str
    name: str
    category: str | None
    nsfw: str
    faces: int
    person: bool | None
    note: str
    package: str | None = None


def load_manifest(path: Path = MANIFEST) -> list[RealPhoto]:
    """Every entry of the manifest, checked: known sources and labels, unique ids."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    photos = [RealPhoto(**row) for row in data["photos"]]
    ids = [p.id for p in photos]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate ids in the manifest")
    for p in photos:
        if p.source not in ("skimage", "matplotlib", "sklearn", "npm", "render"):
            raise ValueError(f"{p.id}: unknown source {p.source}")
        if p.category is not None and p.category not in CATEGORIES:
            raise ValueError(f"{p.id}: unknown category {p.category}")
        if p.nsfw not in ("normal", "nsfw") or p.faces < 0:
            raise ValueError(f"{p.id}: bad labels")
        if p.source == "npm" and p.package not in NPM_PACKAGES:
            raise ValueError(f"{p.id}: package {p.package} is not pinned in NPM_PACKAGES")
    return photos


def _rgb(image: npt.ArrayLike) -> RGB:
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0, 1) * 255).astype(np.uint8) if a.max() <= 1 else a.astype(np.uint8)
    if a.ndim == 2:
        a = np.stack([a] * 3, axis=-1)
    return np.ascontiguousarray(a[..., :3])


def pixels(photo: RealPhoto, cache: Path | None = None) -> RGB:
    """The photo as RGB uint8 (grey photos repeated on three channels)."""
    if photo.source == "skimage":
        import skimage.data

        image = getattr(skimage.data, photo.name)()
        return _rgb(image[0] if isinstance(image, tuple) else image)
    if photo.source == "matplotlib":
        from matplotlib import cbook

        with cbook.get_sample_data(photo.name) as f:
            return _rgb(Image.open(f).convert("RGB"))
    if photo.source == "sklearn":
        from sklearn.datasets import load_sample_image

        return _rgb(load_sample_image(photo.name))
    if photo.source == "npm":
        assert photo.package is not None
        path = NPM_PACKAGES[photo.package](cache) / photo.name
        return _rgb(Image.open(path).convert("RGB"))
    renderers = _classify_renderers()
    if photo.name == "phone_screenshot":
        return _rgb(renderers.phone_screenshot())
    if photo.name == "id_card":
        import skimage.data

        return _rgb(renderers.id_card(skimage.data.astronaut()))
    raise ValueError(f"{photo.id}: no renderer named {photo.name}")


def _classify_renderers() -> ModuleType:
    """``tests/classify/classify_support.py``, loaded by path (``classify`` is also the name
    of a bench script, so it is not imported by name)."""
    name = "real_photos_classify_support"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "classify" / "classify_support.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
