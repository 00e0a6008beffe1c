"""Pure numpy functions on boxes.

Every box array is ``(N, 4)`` float32 ``xyxy`` in pixels; every function accepts ``N == 0``.
Image sizes are ``(width, height)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array, UInt8Image

Boxes = npt.NDArray[np.floating]


def as_boxes(boxes: npt.ArrayLike) -> Float32Array:
    """Any (N, 4)-shaped input as a float32 (N, 4) array."""
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


def clip(boxes: npt.ArrayLike, size: tuple[int, int]) -> Float32Array:
    """Clip boxes to ``[0, width] x [0, height]``."""
    b = as_boxes(boxes).copy()
    w, h = size
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, w)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, h)
    return b


def area(boxes: npt.ArrayLike) -> Float32Array:
    """(N,) areas in square pixels; inverted boxes have area 0."""
    b = as_boxes(boxes)
    w = np.clip(b[:, 2] - b[:, 0], 0, None)
    h = np.clip(b[:, 3] - b[:, 1], 0, None)
    out: Float32Array = (w * h).astype(np.float32)
    return out


def expand(boxes: npt.ArrayLike, ratio: float) -> Float32Array:
    """Grow each box about its centre by ``ratio`` of its width/height on *each* side.

    ``ratio=0.5`` doubles width and height. Negative ratios shrink.
    """
    b = as_boxes(boxes)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    d = np.stack([-w * ratio, -h * ratio, w * ratio, h * ratio], axis=1)
    return (b + d).astype(np.float32)


def scale(boxes: npt.ArrayLike, fx: float, fy: float | None = None) -> Float32Array:
    """Multiply x coordinates by ``fx`` and y by ``fy`` (default ``fx``)."""
    fy = fx if fy is None else fy
    return (as_boxes(boxes) * np.array([fx, fy, fx, fy], np.float32)).astype(np.float32)


def iou_matrix(a: npt.ArrayLike, b: npt.ArrayLike) -> Float32Array:
    """(N, M) intersection-over-union of every pair; 0 where the union is empty."""
    ba, bb = as_boxes(a), as_boxes(b)
    if len(ba) == 0 or len(bb) == 0:
        return np.zeros((len(ba), len(bb)), np.float32)
    x1 = np.maximum(ba[:, None, 0], bb[None, :, 0])
    y1 = np.maximum(ba[:, None, 1], bb[None, :, 1])
    x2 = np.minimum(ba[:, None, 2], bb[None, :, 2])
    y2 = np.minimum(ba[:, None, 3], bb[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = area(ba)[:, None] + area(bb)[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return iou.astype(np.float32)


def nms(boxes: npt.ArrayLike, scores: npt.ArrayLike, iou_threshold: float) -> npt.NDArray[np.intp]:
    """Greedy non-maximum suppression; indices of kept boxes, highest score first."""
    b = as_boxes(boxes)
    s = np.asarray(scores, dtype=np.float32).reshape(-1)
    order = np.argsort(-s, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if order.size == 1:
            break
        ious = iou_matrix(b[i : i + 1], b[order[1:]])[0]
        order = order[1:][ious <= iou_threshold]
    return np.asarray(keep, dtype=np.intp)


def crop(image: UInt8Image, box: npt.ArrayLike) -> UInt8Image:
    """The pixels of ``image`` (H, W, C) inside one box, clipped to the image; may be empty."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = clip(box, (w, h))[0]
    return image[int(np.floor(y1)) : int(np.ceil(y2)), int(np.floor(x1)) : int(np.ceil(x2))]
