"""``resize_bilinear`` against tf.image.resizeBilinear's definition, written out pixel by pixel.

TensorFlow's CPU kernel (``resize_bilinear_op.cc``, no half-pixel centres) samples source
position ``y * scale`` with ``scale = (in - 1) / (out - 1)`` when aligning corners, else
``in / out``; the top and bottom rows are each interpolated along x first, then the two along y.
The reference below does exactly that with Python floats; the function under test must agree to
float32 rounding, on real photo pixels, whatever the input dtype, and ``divide_by`` must give
the numbers of dividing first (nsfwjs divides by 255, then resizes).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from argus.models.tfjs_preprocess import resize_bilinear

RGB = npt.NDArray[np.uint8]


def reference(image: npt.NDArray[np.float64], out_h: int, out_w: int, align: bool) -> np.ndarray:
    h, w, c = image.shape

    def scale(size_in: int, size_out: int) -> float:
        if align and size_out > 1:
            return (size_in - 1) / (size_out - 1)
        return size_in / size_out

    sy, sx = scale(h, out_h), scale(w, out_w)
    out = np.zeros((out_h, out_w, c))
    for y in range(out_h):
        iy = y * sy
        y0 = min(math.floor(iy), h - 1)
        y1, dy = min(y0 + 1, h - 1), iy - y0
        for x in range(out_w):
            ix = x * sx
            x0 = min(math.floor(ix), w - 1)
            x1, dx = min(x0 + 1, w - 1), ix - x0
            top = image[y0, x0] * (1 - dx) + image[y0, x1] * dx
            bottom = image[y1, x0] * (1 - dx) + image[y1, x1] * dx
            out[y, x] = top * (1 - dy) + bottom * dy
    return out


@pytest.mark.parametrize("align", [True, False])
@pytest.mark.parametrize("size", [(37, 29), (90, 120)])
def test_matches_tensorflows_definition_on_photo_pixels(
    astronaut: RGB, align: bool, size: tuple[int, int]
) -> None:
    crop = astronaut[180:240, 200:270]  # her face: edges and smooth skin
    got = resize_bilinear(crop, size, align_corners=align)
    assert got.dtype == np.float32 and got.shape == (*size, 3)
    np.testing.assert_allclose(got, reference(crop.astype(np.float64), *size, align), atol=1e-3)


def test_divide_by_gives_the_numbers_of_dividing_first(coffee: RGB) -> None:
    crop = coffee[100:300, 150:400]
    first = resize_bilinear(crop.astype(np.float32) / np.float32(255), (64, 64), align_corners=True)
    assert np.array_equal(resize_bilinear(crop, (64, 64), align_corners=True, divide_by=255), first)
    assert float(first.max()) <= 1.0


def test_aligned_corners_keep_the_corner_pixels(chelsea: RGB) -> None:
    got = resize_bilinear(chelsea, (50, 70), align_corners=True)
    for y, x, sy, sx in ((0, 0, 0, 0), (49, 69, -1, -1), (0, 69, 0, -1)):
        np.testing.assert_array_equal(got[y, x], chelsea[sy, sx].astype(np.float32))
