"""Face galleries without HTTP: enrol real portraits into a SQLite database, identify and
verify other photos of the same people, refuse a picture without a face, and keep a
stranger unknown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import skimage.data

from argus.config import Settings
from argus.errors import NoQualifiedFace, NotFound
from argus.imaging import Picture, decode
from argus.models.pool import ModelPool
from argus.pipelines.faces import FacePipeline
from argus.pipelines.galleries import GalleryService
from argus.pipelines.vector_index import IndexRegistry
from argus.store.db import Database
from support.images import jpeg

RGB = npt.NDArray[np.uint8]
T = TypeVar("T")


def stranger() -> RGB:
    """Face 64 of scikit-image's LFW subset, enlarged on a replicated border (tests/faces)."""
    grey = (skimage.data.lfw_subset()[64] * 255).astype(np.uint8)
    grey = cv2.resize(grey, (160, 160), interpolation=cv2.INTER_CUBIC)
    grey = cv2.copyMakeBorder(grey, 60, 60, 60, 60, cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))


def other_photo(image: RGB) -> RGB:
    """The same person in another shot: cropped off-centre, enlarged 1.3x, 15 % brighter."""
    h, w = image.shape[:2]
    crop = image[10 : h - 40, 30 : w - 20].astype(np.float32) * 1.15
    out = np.clip(crop, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(cv2.resize(out, None, fx=1.3, fy=1.3))


@pytest.fixture
def service_run(
    settings: Settings, pool: ModelPool, tmp_path: Path
) -> Callable[[Callable[[GalleryService], Awaitable[T]]], T]:
    """Runs ``work(service)`` on a fresh SQLite database migrated to head."""
    settings.database_url = f"sqlite:///{tmp_path / 'galleries.db'}"

    def run(work: Callable[[GalleryService], Awaitable[T]]) -> T:
        async def main() -> T:
            db = Database.from_settings(settings)
            try:
                await db.upgrade()
                service = GalleryService(
                    db, FacePipeline(pool, settings.faces), IndexRegistry("numpy"), settings.faces
                )
                return await work(service)
            finally:
                await db.dispose()

        return asyncio.run(main())

    return run


def picture(image: RGB, settings: Settings) -> Picture:
    return decode(jpeg(image), settings.imaging)


def test_enrolled_people_are_identified_in_other_photos_and_a_stranger_is_unknown(
    settings: Settings, service_run: Callable[..., object], astronaut: RGB, grace_hopper: RGB
) -> None:
    async def work(service: GalleryService) -> None:
        await service.create("t", "crew", threshold=None, model=None)
        await service.enrol("t", "crew", "eileen", [("eileen.jpg", picture(astronaut, settings))])
        await service.enrol("t", "crew", "grace", [("grace.jpg", picture(grace_hopper, settings))])
        found = await service.identify("t", "crew", picture(other_photo(astronaut), settings))
        assert found.identified and found.subject == "eileen"
        assert [m.subject for m in found.matches] == ["eileen", "grace"]  # best first
        assert found.matches[0].similarity > found.threshold > found.matches[1].similarity
        found = await service.identify("t", "crew", picture(other_photo(grace_hopper), settings))
        assert found.subject == "grace"
        unknown = await service.identify("t", "crew", picture(stranger(), settings))
        assert not unknown.identified and unknown.subject != "eileen"
        same = await service.verify("t", "crew", "grace", picture(grace_hopper, settings))
        assert same.is_same_person
        other = await service.verify("t", "crew", "grace", picture(astronaut, settings))
        assert not other.is_same_person and other.similarity < same.similarity

    service_run(work)


def test_a_picture_without_a_face_is_rejected_and_galleries_are_per_tenant(
    settings: Settings, service_run: Callable[..., object], chelsea: RGB, astronaut: RGB
) -> None:
    async def work(service: GalleryService) -> None:
        await service.create("t", "crew", threshold=None, model=None)
        with pytest.raises(NoQualifiedFace):
            await service.enrol("t", "crew", "cat", [("cat.jpg", picture(chelsea, settings))])
        enrolled = await service.enrol(
            "t",
            "crew",
            "eileen",
            [("cat.jpg", picture(chelsea, settings)), ("e.jpg", picture(astronaut, settings))],
        )
        assert [name for name, _ in enrolled.rejected] == ["cat.jpg"]
        assert len(enrolled.faces) == 1
        with pytest.raises(NotFound):
            await service.identify("other-tenant", "crew", picture(astronaut, settings))

    service_run(work)
