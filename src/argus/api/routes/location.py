"""Seed 000's location routes: the nearest city, and the cities near a point, offline.

Backed by the built-in ``geonames-cities`` model (GeoNames, see :mod:`argus.models.geocode`)
instead of the seed's MySQL ``global_cities`` table. Out-of-range coordinates and limits are 422
as in the seed (FastAPI query validation). ``/nearest-city`` answers the city a person names at
the point (a populous place whose reach holds it, else the nearest place of 1000+ people);
``/nearby-cities`` lists the nearest places of 15,000+ people (city sections and quarters left
out). Where GeoNames knows them, ``geoname_id``, ``population`` and ``name_zh`` are filled, and
``id`` is the GeoNames id (else the place's row in the 1000+ file). The seed searched only cities
of 100,000+ people with a Chinese name. ``GET /stats`` (admin token, as in the seed) counts the
populous places in China as the seed counted its ``global_cities`` rows with
``country_code = 'CN'``: all of them, those with a Chinese name, those of 100,000+ people; every
one is queryable here. Query counts are kept per UTC day in ``usage_counters``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from argus.api.auth import principal
from argus.api.deps import Admin, Db, Pool
from argus.api.routes.stats import _render, bearer_present
from argus.api.seeds.category import CityInfo
from argus.api.seeds.routing import seed_route_class
from argus.store import usage_counters

if TYPE_CHECKING:
    from argus.models.geocode import Place


router = APIRouter(
    prefix="/api/v1/location",
    tags=["location (seed 000)"],
    route_class=seed_route_class(_render),
    dependencies=[Depends(principal)],
)

Latitude = Annotated[float, Query(ge=-90, le=90, description="Latitude in degrees.")]
Longitude = Annotated[float, Query(ge=-180, le=180, description="Longitude in degrees.")]
UserId = Annotated[str | None, Query(description="Recorded by the seed; ignored here.")]


def _city(place: Place) -> CityInfo:
    return CityInfo(
        id=place.geoname_id or (place.row or 0) + 1,
        geoname_id=place.geoname_id,
        name=place.city,
        name_zh=place.name_zh,
        population=place.population,
        ascii_name=place.city,
        latitude=place.lat,
        longitude=place.lon,
        country_code=place.country_code,
        distance_km=round(place.distance_km, 3),
        admin1=place.admin1,
        admin2=place.admin2,
    )


async def _nearest(pool: Pool, latitude: float, longitude: float, k: int) -> list[CityInfo]:
    from argus.models.tasks import Geocoder

    def search() -> list[Place]:
        model = pool.get("geonames-cities", Geocoder)
        if k == 1:
            return [model.locate(latitude, longitude)]
        return model.nearest_towns(latitude, longitude, k)

    return [_city(place) for place in await asyncio.to_thread(search)]


class LocationStats(BaseModel):
    """Seed 000's ``LocationStats`` (flat, not wrapped in ``success``/``data``)."""

    total_cities: int = Field(description="Places of 15,000+ people in China (GeoNames).")
    cities_with_chinese: int = Field(description="Of those, with a Chinese name.")
    cities_above_100k: int = Field(description="Of those, with 100,000+ people.")
    cities_queryable: int = Field(description="Searched places in China: all of them here.")
    chinese_coverage_percent: float
    queryable_coverage_percent: float
    total_queries_today: int = 0
    nearest_queries_today: int = 0
    nearby_queries_today: int = 0
    total_queries_all: int = 0


QUERY_COUNTERS = ["location:nearest", "location:nearby"]


@router.get(
    "/stats",
    response_model=LocationStats,
    summary="City data and query counts (admin token)",
    dependencies=[Depends(bearer_present)],
)
async def location_stats(_: Admin, pool: Pool, db: Db) -> LocationStats:
    from argus.models.tasks import Geocoder

    def count() -> tuple[int, int, int]:
        return pool.get("geonames-cities", Geocoder).town_counts("CN")

    total, with_chinese, above_100k = await asyncio.to_thread(count)
    today = await usage_counters.totals(db, names=QUERY_COUNTERS, day=usage_counters.day_of())
    every = await usage_counters.totals(db, names=QUERY_COUNTERS)
    return LocationStats(
        total_cities=total,
        cities_with_chinese=with_chinese,
        cities_above_100k=above_100k,
        cities_queryable=total,
        chinese_coverage_percent=round(100.0 * with_chinese / total, 2) if total else 0.0,
        queryable_coverage_percent=100.0 if total else 0.0,
        total_queries_today=sum(today.values()),
        nearest_queries_today=today["location:nearest"],
        nearby_queries_today=today["location:nearby"],
        total_queries_all=sum(every.values()),
    )


@router.get("/nearest-city", response_model=CityInfo, summary="The nearest city to a point")
async def nearest_city(
    pool: Pool, db: Db, latitude: Latitude, longitude: Longitude, user_id: UserId = None
) -> CityInfo:
    city = (await _nearest(pool, latitude, longitude, 1))[0]
    await usage_counters.increment(db, name="location:nearest")
    return city


@router.get("/nearby-cities", response_model=list[CityInfo], summary="Cities near a point")
async def nearby_cities(
    pool: Pool,
    db: Db,
    latitude: Latitude,
    longitude: Longitude,
    limit: Annotated[int, Query(ge=1, le=100, description="How many cities.")] = 10,
    max_distance_km: Annotated[
        float | None, Query(ge=0, description="Only cities this close; no limit when absent.")
    ] = None,
    user_id: UserId = None,
) -> list[CityInfo]:
    cities = await _nearest(pool, latitude, longitude, limit)
    if max_distance_km:
        cities = [c for c in cities if c.distance_km <= max_distance_km]
    if cities:  # the seed logs a nearby query only when it found a city
        await usage_counters.increment(db, name="location:nearby")
    return cities
