"""The labelled real-photo set: the manifest is well formed and every local photo loads."""

from __future__ import annotations

import pytest

from support.real_photos import RealPhoto, load_manifest, pixels


def test_the_manifest_covers_every_capability_with_clear_labels() -> None:
    photos = load_manifest()
    categories = {p.category for p in photos if p.category}
    assert categories == {
        "social_activities",
        "pets",
        "single_person",
        "foods",
        "travel_scenery",
        "screenshot",
        "idcard",
        "other",
    }
    assert any(p.faces >= 3 for p in photos) and any(p.person is False for p in photos)


@pytest.mark.parametrize(
    "photo", [p for p in load_manifest() if p.source != "npm"], ids=lambda p: p.id
)
def test_each_packaged_or_rendered_photo_loads_as_rgb(photo: RealPhoto) -> None:
    image = pixels(photo)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype.name == "uint8"
    assert min(image.shape[:2]) >= 100
