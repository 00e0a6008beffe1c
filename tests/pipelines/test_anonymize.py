"""Image anonymization without HTTP: the face CenterFace finds on a real portrait is hidden,
the rest of the picture is untouched, and a picture with nothing to hide comes back as it was."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from argus.config import Settings
from argus.errors import ModelNotInstalled
from argus.models.pool import ModelPool
from argus.pipelines.anonymize import AnonymizeOptions, anonymize, result_name

RGB = npt.NDArray[np.uint8]


def outside(image: RGB, box: npt.NDArray[np.float32]) -> RGB:
    """The pixels outside ``box`` (grown by 2 px for the edge of the redaction)."""
    mask = np.ones(image.shape[:2], bool)
    x1, y1, x2, y2 = (int(v) for v in box)
    mask[max(0, y1 - 2) : y2 + 2, max(0, x1 - 2) : x2 + 2] = False
    return image[mask]


def test_the_astronaut_s_face_is_blurred_and_nothing_else_changes(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    result = anonymize(pool, settings, astronaut, AnonymizeOptions(targets="faces"))
    assert result.detections.labels == ("face",)
    assert result.detections.data["source"] == ["centerface"]
    box = result.detections.xyxy[0]
    x1, y1, x2, y2 = box
    assert 150 < x1 < x2 < 300 and 20 < y1 < y2 < 220  # her face, grown by face_expand
    assert result.image.shape == astronaut.shape
    face_before = astronaut[int(y1) : int(y2), int(x1) : int(x2)].astype(float)
    face_after = result.image[int(y1) : int(y2), int(x1) : int(x2)].astype(float)
    assert np.abs(face_after - face_before).mean() > 5  # hidden
    assert np.array_equal(outside(result.image, box), outside(astronaut, box))


def test_solid_mode_fills_the_face_with_one_colour(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    options = AnonymizeOptions(targets="faces", mode="solid")
    result = anonymize(pool, settings, astronaut, options)
    x1, y1, x2, y2 = (int(v) for v in result.detections.xyxy[0])
    inner = result.image[y1 + 4 : y2 - 4, x1 + 4 : x2 - 4].reshape(-1, 3)
    assert len(np.unique(inner, axis=0)) == 1


def test_a_picture_without_plates_comes_back_unchanged_as_a_copy(
    settings: Settings, pool: ModelPool, chelsea: RGB
) -> None:
    result = anonymize(pool, settings, chelsea, AnonymizeOptions(targets="plates"))
    assert len(result.detections) == 0
    assert np.array_equal(result.image, chelsea)
    assert result.image is not chelsea  # the caller may write into it


def test_an_uninstalled_face_model_is_named(
    settings: Settings, pool: ModelPool, astronaut: RGB
) -> None:
    settings.anonymize.face_model = "clip-vit-b-32"
    with pytest.raises(ModelNotInstalled, match="clip-vit-b-32"):
        anonymize(pool, settings, astronaut, AnonymizeOptions(targets="faces"))


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("photo.jpg", "webp", "covered_photo.webp"),
        ("dir/shot.png", "jpeg", "covered_shot.jpg"),
        ("", "png", "covered_image.png"),
    ],
)
def test_result_names_follow_the_seed(name: str, fmt: str, expected: str) -> None:
    assert result_name(name, fmt) == expected  # type: ignore[arg-type]
