"""Pure numpy/OpenCV steps of PP-OCR: DB text-box extraction, line crops, CTC decoding.

These follow PaddleOCR's reference post-processing as RapidOCR ships it (same thresholds,
minimum-area rectangles, "fast" box score, pyclipper unclip with ``JT_ROUND``, reading order with
a 10-pixel line tolerance, recogniser input of height 48 normalised to [-1, 1], greedy CTC with
the blank at index 0). Every function takes and returns plain arrays and accepts the empty case.

Units: a *probability map* is ``(H, W)`` float32 in [0, 1] at the detector's input size; a
*quad* is ``(4, 2)`` float32 ``[x, y]`` points ordered top-left, top-right, bottom-right,
bottom-left; quad arrays are ``(N, 4, 2)``. Images are ``(H, W, 3)`` uint8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyclipper

from argus.arrays import Float32Array, UInt8Image

#: Detector input: normalisation ``(x / 255 - 0.5) / 0.5``, dims a multiple of this stride.
DET_STRIDE = 32
#: Recogniser input height and the narrowest batch width (PP-OCRv4 ``rec_img_shape``).
REC_HEIGHT = 48
REC_MIN_WIDTH = 320


def det_input_size(
    width: int, height: int, limit_side_len: int, limit_type: str
) -> tuple[int, int]:
    """The ``(width, height)`` the DB detector runs at, each a multiple of 32 (at least 32).

    ``limit_type="min"`` scales the image up until its *short* side reaches ``limit_side_len``
    (never down); ``"max"`` scales it down until its *long* side fits (never up). This is
    PaddleOCR's ``DetResizeForTest`` as RapidOCR configures it.
    """
    if limit_type == "min":
        short = min(width, height)
        ratio = limit_side_len / short if short < limit_side_len else 1.0
    else:
        long = max(width, height)
        ratio = limit_side_len / long if long > limit_side_len else 1.0
    w = max(DET_STRIDE, round(int(width * ratio) / DET_STRIDE) * DET_STRIDE)
    h = max(DET_STRIDE, round(int(height * ratio) / DET_STRIDE) * DET_STRIDE)
    return int(w), int(h)


def normalize_chw(image: UInt8Image) -> Float32Array:
    """(H, W, 3) uint8 -> (3, H, W) float32 in [-1, 1] (PaddleOCR's mean = std = 0.5)."""
    x = image.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def _mini_box(points: npt.NDArray[np.floating]) -> tuple[Float32Array, float]:
    """Minimum-area rectangle of a point set, as a quad (tl, tr, br, bl), and its short side."""
    import cv2

    rect = cv2.minAreaRect(points.reshape(-1, 1, 2).astype(np.float32))
    pts = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    left = sorted(pts[:2], key=lambda p: p[1])
    right = sorted(pts[2:], key=lambda p: p[1])
    quad = np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)
    return quad, float(min(rect[1]))


def _box_score(prob: Float32Array, quad: Float32Array) -> float:
    """Mean probability inside ``quad`` (PaddleOCR's "fast" score mode)."""
    import cv2

    h, w = prob.shape
    x0 = int(np.clip(np.floor(quad[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(quad[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(quad[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(quad[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    shifted = (quad - np.array([x0, y0], np.float32)).astype(np.int32)
    cv2.fillPoly(mask, [shifted.reshape(-1, 1, 2)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def unclip(quad: Float32Array, ratio: float) -> Float32Array | None:
    """Grow a quad outwards by ``area * ratio / perimeter`` (DB's shrink undone).

    Returns the offset polygon as ``(K, 2)`` float32, or None when the offset is degenerate.
    """
    import cv2

    perimeter = cv2.arcLength(quad.reshape(-1, 1, 2), closed=True)
    if perimeter <= 0:
        return None
    distance = cv2.contourArea(quad.reshape(-1, 1, 2)) * ratio / perimeter
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(quad.tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    paths = offset.Execute(distance)
    if len(paths) != 1 or len(paths[0]) < 3:
        return None
    return np.asarray(paths[0], dtype=np.float32)


def db_boxes(
    prob: Float32Array,
    dest_size: tuple[int, int],
    *,
    thresh: float = 0.3,
    box_thresh: float = 0.5,
    unclip_ratio: float = 1.6,
    max_candidates: int = 1000,
    min_size: float = 3.0,
    dilate: bool = True,
) -> tuple[Float32Array, Float32Array]:
    """Text quads from a DB probability map.

    Args:
        prob: (H, W) probability map from the detector.
        dest_size: ``(width, height)`` of the image the quads are returned in (the map is
            scaled to it).
        thresh: pixel threshold of the binary map.
        box_thresh: a candidate is kept when its mean probability reaches this.
        unclip_ratio: how far shrunk text regions are grown back.
        max_candidates: at most this many contours are examined.
        min_size: candidates whose short side is below this (map pixels) are dropped.
        dilate: dilate the binary map with a 2x2 kernel first (joins broken strokes).

    Returns:
        ``(quads (N, 4, 2) float32 in dest pixels, scores (N,) float32)``.
    """
    import cv2

    height, width = prob.shape
    dest_w, dest_h = dest_size
    bitmap = (prob > thresh).astype(np.uint8)
    if dilate:
        bitmap = np.asarray(cv2.dilate(bitmap, np.ones((2, 2), np.uint8)), np.uint8)
    contours, _ = cv2.findContours(bitmap * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    quads: list[Float32Array] = []
    scores: list[float] = []
    for contour in contours[:max_candidates]:
        quad, short = _mini_box(np.asarray(contour, np.float32))
        if short < min_size:
            continue
        score = _box_score(prob, quad)
        if score < box_thresh:
            continue
        grown = unclip(quad, unclip_ratio)
        if grown is None:
            continue
        quad, short = _mini_box(grown)
        if short < min_size + 2:
            continue
        quad[:, 0] = np.clip(np.round(quad[:, 0] / width * dest_w), 0, dest_w)
        quad[:, 1] = np.clip(np.round(quad[:, 1] / height * dest_h), 0, dest_h)
        quads.append(quad)
        scores.append(score)
    if not quads:
        return np.zeros((0, 4, 2), np.float32), np.zeros((0,), np.float32)
    return np.stack(quads).astype(np.float32), np.asarray(scores, np.float32)


def order_quad(points: npt.NDArray[np.floating]) -> Float32Array:
    """Four points in the order top-left, top-right, bottom-right, bottom-left."""
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left = by_x[:2][np.argsort(by_x[:2, 1], kind="stable")]
    right = by_x[2:][np.argsort(by_x[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


def quad_sides(quad: Float32Array) -> tuple[float, float]:
    """``(width, height)`` of a quad: its longest top/bottom and left/right edges."""
    width = max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3]))
    height = max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2]))
    return float(width), float(height)


def reading_order(quads: Float32Array, line_tolerance: float = 10.0) -> npt.NDArray[np.intp]:
    """Indices of ``quads`` top-to-bottom, then left-to-right within a line.

    Quads whose top-left corners are less than ``line_tolerance`` pixels apart vertically count
    as one line (PaddleOCR's ``sorted_boxes``).
    """
    order = sorted(range(len(quads)), key=lambda i: (quads[i][0][1], quads[i][0][0]))
    for i in range(len(order) - 1):
        for j in range(i, -1, -1):
            a, b = quads[order[j]][0], quads[order[j + 1]][0]
            if abs(b[1] - a[1]) < line_tolerance and b[0] < a[0]:
                order[j], order[j + 1] = order[j + 1], order[j]
            else:
                break
    return np.asarray(order, dtype=np.intp)


def expand_quad(quad: Float32Array, along: float, across: float) -> Float32Array:
    """Grow a quad about its own axes by fractions of its line thickness (its shorter side).

    ``along`` is added at both ends of the line (along its longer axis), ``across`` above and
    below it; both are fractions of the shorter side. ``(0, 0)`` returns the quad unchanged.
    """
    q = quad.astype(np.float32)
    width, height = quad_sides(q)
    thickness = min(width, height)
    if thickness <= 0 or (along == 0 and across == 0):
        return q.copy()
    ux = (q[1] - q[0]) + (q[2] - q[3])
    uy = (q[3] - q[0]) + (q[2] - q[1])
    ux = ux / max(float(np.linalg.norm(ux)), 1e-6)
    uy = uy / max(float(np.linalg.norm(uy)), 1e-6)
    dx, dy = (along, across) if width >= height else (across, along)
    sx = ux * dx * thickness
    sy = uy * dy * thickness
    return np.stack([q[0] - sx - sy, q[1] + sx - sy, q[2] + sx + sy, q[3] - sx + sy]).astype(
        np.float32
    )


def crop_quad(image: UInt8Image, quad: Float32Array) -> UInt8Image:
    """The text line inside ``quad``, warped upright; tall crops (h/w >= 1.5) turned 90° left.

    The crop is at least 1x1 pixel; outside the image the border pixels are repeated.
    """
    import cv2

    width, height = quad_sides(quad)
    w, h = max(1, int(width)), max(1, int(height))
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    out = cv2.warpPerspective(
        image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if out.shape[0] / out.shape[1] >= 1.5:
        out = np.ascontiguousarray(np.rot90(out))
    return np.asarray(out, dtype=np.uint8)


def rec_batch(crops: Sequence[UInt8Image]) -> Float32Array:
    """Recogniser input for crops of one batch: (B, 3, 48, W) float32 in [-1, 1].

    Each crop is resized to height 48 keeping its aspect ratio; the batch width is
    ``48 * max aspect ratio`` (at least 320) and narrower crops are zero-padded on the right.
    """
    import cv2

    if not crops:
        return np.zeros((0, 3, REC_HEIGHT, REC_MIN_WIDTH), np.float32)
    max_ratio = max(REC_MIN_WIDTH / REC_HEIGHT, *(c.shape[1] / c.shape[0] for c in crops))
    batch_w = int(REC_HEIGHT * max_ratio)
    out = np.zeros((len(crops), 3, REC_HEIGHT, batch_w), np.float32)
    for i, crop in enumerate(crops):
        w = min(batch_w, math.ceil(REC_HEIGHT * crop.shape[1] / crop.shape[0]))
        resized = np.asarray(cv2.resize(crop, (w, REC_HEIGHT)), np.uint8)
        out[i, :, :, :w] = normalize_chw(resized)
    return out


def ctc_greedy_decode(probs: Float32Array, characters: Sequence[str]) -> list[tuple[str, float]]:
    """Greedy CTC decoding of recogniser output.

    Args:
        probs: (B, T, C) per-step class probabilities; class 0 is the CTC blank.
        characters: C strings, ``characters[k]`` the text of class k (index 0 is ignored).

    Returns:
        For each row, ``(text, confidence)``: repeats collapsed, blanks dropped; confidence is
        the mean probability of the kept steps (0.0 when nothing is kept).
    """
    results: list[tuple[str, float]] = []
    if probs.size == 0:
        return [("", 0.0) for _ in range(len(probs))]
    best = probs.argmax(axis=2)
    best_p = probs.max(axis=2)
    for idx, p in zip(best, best_p, strict=True):
        keep = np.ones(len(idx), dtype=bool)
        keep[1:] = idx[1:] != idx[:-1]
        keep &= idx != 0
        text = "".join(characters[k] for k in idx[keep])
        conf = float(np.mean(p[keep])) if keep.any() else 0.0
        results.append((text, conf))
    return results


LONE_GLYPH_MIN_SCORE = 0.8
"""Confidence a line of a single character needs to count as text (see :func:`text_like`)."""


def text_like(text: str, score: float) -> bool:
    """Whether a recognised line carries enough evidence of being text.

    A line of two or more characters is text at any confidence that passed the model's
    threshold. A lone character is what the recogniser makes of round or striped things that
    are not writing (a cat's eye in scikit-image's ``chelsea()`` reads as "O" at 0.54 and "D" at
    0.69), so it needs :data:`LONE_GLYPH_MIN_SCORE`; a clear single letter or digit still passes.
    ``text`` is the stripped string; blank is never text.
    """
    glyphs = sum(1 for ch in text if not ch.isspace())
    if glyphs == 0:
        return False
    return glyphs >= 2 or score >= LONE_GLYPH_MIN_SCORE
