"""The whole plate is covered, not only the text line OCR read: the geometry of
:func:`plate_extent`, and a Russian two-part plate in perspective on a real photo through the
HTTP API, unreadable afterwards."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from anon_support import decode_rgb, wait_job
from fastapi.testclient import TestClient
from plates_support import put_plate, russian_plate_image

from argus.api.app import create_app
from argus.config import Settings
from argus.models.plates import plate_extent
from argus.models.pool import ModelPool
from argus.models.tasks import TextReader
from support.images import png

RGB = npt.NDArray[np.uint8]
LINE = np.float32([[100, 100], [300, 100], [300, 140], [100, 140]])  # 200 x 40, level


def spans(quad: npt.NDArray[np.float32]) -> tuple[float, float, float, float]:
    return (
        float(quad[:, 0].min()),
        float(quad[:, 0].max()),
        float(quad[:, 1].min()),
        float(quad[:, 1].max()),
    )


def test_text_beside_the_line_is_joined_and_far_or_tall_text_is_not() -> None:
    region = np.float32([[320, 95], [370, 95], [370, 125], [320, 125]])  # 20 px to the right
    far = np.float32([[420, 100], [470, 100], [470, 130], [420, 130]])  # 120 px away
    tall = np.float32([[305, 20], [330, 20], [330, 200], [305, 200]])  # a pole, not plate text
    x1, x2, y1, y2 = spans(plate_extent(LINE, [region], margin=0.0, aspect=0.0))
    assert (x1, x2, y1, y2) == pytest.approx((100, 370, 95, 140))
    for other in (far, tall):
        assert spans(plate_extent(LINE, [other], margin=0.0, aspect=0.0)) == pytest.approx(
            (100, 300, 100, 140)
        )


def test_joining_chains_through_neighbours() -> None:
    first = np.float32([[320, 100], [360, 100], [360, 130], [320, 130]])
    second = np.float32([[380, 105], [420, 105], [420, 135], [380, 135]])  # next to first only
    x2 = spans(plate_extent(LINE, [second, first], margin=0.0, aspect=0.0))[1]
    assert x2 == pytest.approx(420)


def test_a_short_line_is_widened_by_the_shortfall_on_both_sides() -> None:
    x1, x2, y1, y2 = spans(plate_extent(LINE, [], margin=0.1, aspect=7.5))
    # 40 px high: a 4 px border makes it 208 wide; 7.5 * 40 = 300 needs 92 more on each side
    assert (x1, x2, y1, y2) == pytest.approx((96 - 92, 304 + 92, 96, 144))
    assert spans(plate_extent(LINE, [], margin=0.0, aspect=3.0)) == pytest.approx(
        (100, 300, 100, 140)
    )


def test_a_cascade_box_around_the_line_is_joined_unless_it_is_far_larger() -> None:
    plate = np.float32([[90, 85, 380, 150]])
    assert spans(plate_extent(LINE, [], plate, margin=0.0, aspect=0.0)) == pytest.approx(
        (90, 380, 85, 150)
    )
    huge = np.float32([[0, 0, 1000, 800]])
    beside = np.float32([[400, 80, 500, 150]])  # does not hold the line's centre
    for box in (huge, beside):
        assert spans(plate_extent(LINE, [], box, margin=0.0, aspect=0.0)) == pytest.approx(
            (100, 300, 100, 140)
        )


def test_the_extent_follows_the_lines_perspective() -> None:
    angle = np.deg2rad(20)
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    tilted = (LINE - LINE.mean(axis=0)) @ rot.T + 500
    out = plate_extent(tilted, [], margin=0.0, aspect=7.5)
    along = out[1] - out[0]
    assert np.degrees(np.arctan2(along[1], along[0])) == pytest.approx(20, abs=0.01)
    assert np.linalg.norm(along) == pytest.approx(200 + 100 + 100, abs=0.01)  # 100 each side
    assert np.linalg.norm(out[3] - out[0]) == pytest.approx(40, abs=0.01)


def readable(pool: ModelPool, image: RGB) -> list[str]:
    """Lines PP-OCRv4 reads with at least one letter or digit."""
    lines = (
        pool.get("ppocr-v4", TextReader)
        .predict_one(np.ascontiguousarray(image))
        .data.get("text", [])
    )
    return [str(t) for t in lines if any(c.isalnum() for c in str(t))]


@pytest.mark.slow
@pytest.mark.parametrize(
    "quad",
    [
        [[300, 420], [640, 440], [636, 512], [296, 488]],  # seen from the left, a little below
        [[420, 300], [700, 270], [704, 330], [424, 356]],  # tilted up, seen from the right
    ],
    ids=["left", "right"],
)
def test_a_russian_two_part_plate_is_unreadable_after_anonymization(
    settings: Settings, chelsea: RGB, quad: list[list[int]]
) -> None:
    scale = 1000 / chelsea.shape[1]
    photo = cv2.resize(chelsea, (1000, round(chelsea.shape[0] * scale)), cv2.INTER_CUBIC)
    image, corners = put_plate(np.ascontiguousarray(photo), "", quad, russian_plate_image())
    x1, y1 = (corners.min(axis=0) - 40).astype(int)
    x2, y2 = (corners.max(axis=0) + 40).astype(int)
    pool = ModelPool(settings)
    try:
        before = readable(pool, image[y1:y2, x1:x2])
        assert "A123BC" in before and "77" in before, before  # both parts readable first
        with TestClient(create_app(settings)) as client:
            resp = client.post(
                "/api/v1/anonymize",
                files=[("files", ("car.png", png(image), "image/png"))],
                data={"targets": "plates", "format": "png"},
            )
            assert resp.status_code == 202, resp.text
            body = wait_job(client, resp.json()["job_id"])
            assert body["status"] == "completed", body
            out = decode_rgb(client.get(body["items"][0]["url"]).content)
        assert readable(pool, out[y1:y2, x1:x2]) == []
    finally:
        pool.close()
    away = np.ones(out.shape[:2], bool)
    away[max(0, y1 - 150) : y2 + 150, max(0, x1 - 300) : x2 + 300] = False
    assert np.array_equal(out[away], image[away]), "the cover stays near the plate"
