"""Redaction: an RGB image and quadrilaterals in, a new image of the same size out.

Every region is a quadrilateral (4 points, original pixels; an axis-aligned box is its four
corners) so oriented plate boxes and plain face boxes go through one code path. Regions are
clipped to the image by construction (masks are drawn inside it). Modes:

- ``cover``: the cover image is perspective-warped onto the quad (its first corner is the
  cover's top-left, then clockwise) and blended through its alpha mask (seed 002);
- ``blur``: Gaussian blur whose sigma grows with the region's short side times ``strength``;
- ``pixelate``: blocks of about ``short side / 6`` pixels divided by ``strength``;
- ``solid``: filled with ``color``.

``strength`` (default 1.0) scales blur and pixelation; the input array is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Quads
from argus.redact.cover import Cover, default_cover

Mode = Literal["cover", "blur", "pixelate", "solid"]
MODES: tuple[Mode, ...] = ("cover", "blur", "pixelate", "solid")


def box_quads(xyxy: npt.ArrayLike) -> Quads:
    """(N, 4) x1 y1 x2 y2 -> (N, 4, 2) corners: top-left, top-right, bottom-right, bottom-left."""
    b = np.asarray(xyxy, np.float32).reshape(-1, 4)
    return np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1).astype(
        np.float32
    )


def _short_side(quad: Quads) -> float:
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    return float(max(1.0, min(sides[0] + sides[2], sides[1] + sides[3]) / 2))


def _mask(shape: tuple[int, int], quad: Quads) -> npt.NDArray[np.uint8]:
    import cv2

    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(quad).astype(np.int32)], 255, lineType=cv2.LINE_8)
    return mask


def _bounds(mask: npt.NDArray[np.uint8]) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _cover(out: RGB, quad: Quads, cover: Cover) -> None:
    import cv2

    h, w = out.shape[:2]
    ch, cw = cover.alpha.shape
    src = np.asarray([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    warped = cv2.warpPerspective(cover.rgb, m, (w, h), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(cover.alpha, m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    blended = out.astype(np.float32) * (1 - alpha) + warped.astype(np.float32) * alpha
    out[...] = np.clip(np.round(blended), 0, 255).astype(np.uint8)


def _filtered(out: RGB, quad: Quads, mode: Mode, strength: float) -> RGB:
    """The whole window around ``quad`` after blurring or pixelating it."""
    import cv2

    short = _short_side(quad)
    if mode == "blur":
        sigma = max(1.0, short / 5 * strength)
        h, w = out.shape[:2]
        f = sigma / 4  # a wide blur is done on a shrunk window: the same look, 1/f^3 the work
        if f > 2 and min(h, w) / f >= 4:
            small = cv2.resize(out, (round(w / f), round(h / f)), interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma / f, sigmaY=sigma / f)
            return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)
        return np.asarray(cv2.GaussianBlur(out, (0, 0), sigmaX=sigma, sigmaY=sigma), np.uint8)
    block = max(2, round(short / 6 / max(strength, 1e-3)))
    h, w = out.shape[:2]
    small = cv2.resize(out, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST), np.uint8)


def redact(
    image: RGB,
    quads: Quads | Sequence[npt.ArrayLike],
    mode: Mode = "cover",
    *,
    strength: float = 1.0,
    cover: Cover | None = None,
    color: tuple[int, int, int] = (0, 0, 0),
) -> RGB:
    """A copy of ``image`` ((H, W, 3) uint8 RGB) with every quad ((N, 4, 2) pixels) hidden."""
    if mode not in MODES:
        raise ValueError(f"unknown redaction mode {mode!r}; one of {', '.join(MODES)}")
    out = np.array(image, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    for raw in quads:
        quad = np.asarray(raw, np.float32).reshape(4, 2)
        if not np.isfinite(quad).all():
            continue
        if mode == "cover":
            _cover(out, quad, cover or default_cover())
            continue
        mask = _mask((h, w), quad)
        found = _bounds(mask)
        if found is None:
            continue  # entirely outside the image
        if mode == "solid":
            out[mask > 0] = color
            continue
        x1, y1, x2, y2 = found
        pad = int(_short_side(quad))  # context so the filter does not see a hard frame edge
        wx1, wy1, wx2, wy2 = max(0, x1 - pad), max(0, y1 - pad), min(w, x2 + pad), min(h, y2 + pad)
        window = out[wy1:wy2, wx1:wx2]
        if mode == "pixelate":  # blocks aligned to the region, not to the window
            window = out[y1:y2, x1:x2]
            wx1, wy1 = x1, y1
        local = np.asarray(quad - [wx1, wy1], np.float32)
        filtered = _filtered(np.ascontiguousarray(window), local, mode, strength)
        sub = mask[wy1 : wy1 + filtered.shape[0], wx1 : wx1 + filtered.shape[1]] > 0
        target = out[wy1 : wy1 + filtered.shape[0], wx1 : wx1 + filtered.shape[1]]
        target[sub] = filtered[sub]
    return out
