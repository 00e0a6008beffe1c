"""Redaction modes on a real photo: the region changes, the rest and the size do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from argus.redact import MODES, box_quads, default_cover, load_cover, redact

RGB = npt.NDArray[np.uint8]
QUAD = np.asarray([[[100, 120], [300, 150], [290, 220], [95, 190]]], np.float32)


def outside(shape: tuple[int, ...], quad: np.ndarray, margin: int = 3) -> npt.NDArray[np.bool_]:
    x1, y1 = quad.reshape(-1, 2).min(axis=0) - margin
    x2, y2 = quad.reshape(-1, 2).max(axis=0) + margin
    mask = np.ones(shape[:2], bool)
    mask[int(y1) : int(y2) + 1, int(x1) : int(x2) + 1] = False
    return mask


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_changes_only_the_region(coffee: RGB, mode: str) -> None:
    out = redact(coffee, QUAD, mode)  # type: ignore[arg-type]
    assert out.shape == coffee.shape and out.dtype == np.uint8
    assert not np.shares_memory(out, coffee)
    centre = (slice(160, 180), slice(180, 220))
    assert np.abs(out[centre].astype(int) - coffee[centre]).mean() > 5
    keep = outside(coffee.shape, QUAD)
    assert np.array_equal(out[keep], coffee[keep])


def test_boxes_partly_outside_are_clipped(coffee: RGB) -> None:
    boxes = box_quads([[-50, -40, 80, 60], [550, 350, 900, 700], [700, 500, 800, 600]])
    for mode in MODES:
        out = redact(coffee, boxes, mode)
        assert out.shape == coffee.shape
        assert not np.array_equal(out[:50, :70], coffee[:50, :70])
        assert np.array_equal(out[100:300, 100:500], coffee[100:300, 100:500])


def test_no_regions_is_an_unchanged_copy(coffee: RGB) -> None:
    out = redact(coffee, np.zeros((0, 4, 2), np.float32), "blur")
    assert np.array_equal(out, coffee)


def test_stronger_blur_is_blurrier(astronaut: RGB) -> None:
    box = box_quads([[160, 60, 290, 200]])
    weak = redact(astronaut, box, "blur", strength=0.3)[60:200, 160:290].astype(float)
    strong = redact(astronaut, box, "blur", strength=3)[60:200, 160:290].astype(float)
    assert np.abs(np.diff(strong, axis=1)).mean() < np.abs(np.diff(weak, axis=1)).mean()


def test_default_cover_has_transparent_corners() -> None:
    cover = default_cover()
    assert cover.rgb.shape == (212, 1040, 3)
    assert cover.alpha[0, 0] == 0 and cover.alpha[106, 520] == 1


def test_user_cover_without_alpha_masks_black_pixels(tmp_path: Path, coffee: RGB) -> None:
    art = np.zeros((50, 200, 3), np.uint8)
    art[:, 100:] = (255, 0, 0)  # left half black: transparent, right half red
    path = tmp_path / "cover.png"
    Image.fromarray(art).save(path)
    quad = box_quads([[100, 100, 300, 150]])
    out = redact(coffee, quad, "cover", cover=load_cover(path))
    assert np.array_equal(out[110:140, 110:190], coffee[110:140, 110:190]), "black = see-through"
    assert (out[110:140, 210:290] == (255, 0, 0)).all()
