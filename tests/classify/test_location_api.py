"""Seed 000's location routes, answered offline from the built-in GeoNames cities."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.config import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("location") / "data", offline=True)
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_nearest_city_to_tiananmen_is_beijing(client: TestClient) -> None:
    resp = client.get(
        "/api/v1/location/nearest-city", params={"latitude": 39.9042, "longitude": 116.4074}
    )
    assert resp.status_code == 200
    city = resp.json()
    assert city["name"] == "Beijing"
    assert city["country_code"] == "CN"
    assert city["distance_km"] < 2
    assert {"id", "geoname_id", "name_zh", "ascii_name", "population"} <= set(city)
    assert (city["name_zh"], city["geoname_id"]) == ("北京", 1816670)
    assert city["population"] > 10_000_000


@pytest.mark.parametrize(
    ("landmark", "point", "name", "name_zh"),
    [
        # The suburb across the Seine (Neuilly-sur-Seine, Boulogne) has a nearer centre.
        ("Eiffel Tower", (48.8584, 2.2945), "Paris", "巴黎"),
        # The nearest place of 1000+ people is Burbank, a neighbourhood inside San Jose.
        ("San Jose City Hall", (37.3377, -121.8853), "San Jose", "圣荷西"),
        ("Shinjuku station", (35.6896, 139.7006), "Tokyo", "东京"),
    ],
)
def test_a_landmark_answers_the_city_a_person_names(
    client: TestClient, landmark: str, point: tuple[float, float], name: str, name_zh: str
) -> None:
    params = {"latitude": point[0], "longitude": point[1]}
    city = client.get("/api/v1/location/nearest-city", params=params).json()
    assert (city["name"], city["name_zh"]) == (name, name_zh), landmark
    assert city["population"] > 900_000
    assert city["id"] == city["geoname_id"]


def test_far_from_any_town_the_nearest_place_answers(client: TestClient) -> None:
    """Mid-Pacific: no populous place within reach; the nearest village, with no GeoNames data."""
    params = {"latitude": 0.0, "longitude": -140.0}
    city = client.get("/api/v1/location/nearest-city", params=params).json()
    assert city["country_code"] == "PF"
    assert city["distance_km"] > 500
    assert city["population"] is None and city["geoname_id"] is None


def test_nearby_cities_come_nearest_first_within_the_limit(client: TestClient) -> None:
    params = {"latitude": 48.8566, "longitude": 2.3522, "limit": 5}
    cities = client.get("/api/v1/location/nearby-cities", params=params).json()
    assert len(cities) == 5
    assert cities[0]["name"] == "Paris"
    # Towns, not Paris's own arrondissements or quarters
    assert all(not c["name"].startswith("Paris ") for c in cities)
    assert all(c["population"] >= 15_000 for c in cities)
    distances = [c["distance_km"] for c in cities]
    assert distances == sorted(distances)
    close = client.get(
        "/api/v1/location/nearby-cities", params={**params, "limit": 50, "max_distance_km": 3}
    ).json()
    assert close and all(c["distance_km"] <= 3 for c in close)


@pytest.mark.parametrize(
    "params",
    [
        {"latitude": 91, "longitude": 0},
        {"latitude": 0, "longitude": 181},
        {"latitude": "north", "longitude": 0},
        {"longitude": 0},
    ],
)
def test_bad_coordinates_get_422(client: TestClient, params: dict[str, object]) -> None:
    resp = client.get("/api/v1/location/nearest-city", params=params)
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], list)


def test_a_limit_over_100_gets_422(client: TestClient) -> None:
    params = {"latitude": 0, "longitude": 0, "limit": 101}
    assert client.get("/api/v1/location/nearby-cities", params=params).status_code == 422
