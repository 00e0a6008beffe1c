"""`NudeNetDetector`: NudeNet v3's YOLOv8n body-part detector on Argus's ONNX Runtime session.

The graph (``320n.onnx`` from the ``nudenet`` wheel, AGPL-3.0) takes ``(B, 3, 320, 320)`` **BGR** in
[0, 1]: NudeNet's own reader swaps the channels of an OpenCV (BGR) image twice
(``cvtColor(RGBA2BGR)`` on three channels, then ``blobFromImage(swapRB=True)``), so the model has
always been fed BGR, and on the sample photos Argus's detections equal the library's only that way
(fed RGB, coffee's saucer scored 0.30 "buttocks exposed"; the library sees nothing). It returns
``(B, 22, 2100)``: per anchor ``cx, cy, w, h`` in input pixels followed by 18 class scores. Pre- and
post-processing follow ``nudenet.NudeDetector``: the image is padded with black on the right and
bottom to a square, resized to 320 px (bilinear), and after the score threshold one class-agnostic
non-maximum suppression keeps the best box among overlapping ones. The batch axis of the graph is
dynamic, so a batch of images runs as one call (in chunks of :data:`MAX_BATCH`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from argus.arrays import RGB, Float32Array
from argus.errors import ModelLoadFailed
from argus.models.detector import OnnxDetector
from argus.runtime.session import Session
from argus.vision.boxes import clip, nms
from argus.vision.detections import Detections

if TYPE_CHECKING:
    pass

#: Class names in the order of the graph's score channels.
LABELS: tuple[str, ...] = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)

#: The explicit labels: exposed genitalia, female breasts, buttocks and anus.
EXPOSED_LABELS: frozenset[str] = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)

INPUT_SIZE = 320
#: Images per ONNX Runtime call (bounds memory: 1.2 MB of input per image).
MAX_BATCH = 16


def letterbox(image: npt.NDArray[np.uint8], size: int = INPUT_SIZE) -> tuple[Float32Array, float]:
    """Pad an RGB image (H, W, 3) to a square at its bottom/right and resize it to ``size``.

    Returns ``(blob (3, size, size) float32 in [0, 1], scale)`` where input pixel coordinates are
    ``scale`` times the blob's. The blob's channels are B, G, R (what NudeNet feeds its model).
    """
    import cv2

    h, w = image.shape[:2]
    side = max(h, w)
    padded = cv2.copyMakeBorder(image, 0, side - h, 0, side - w, cv2.BORDER_CONSTANT, value=0)
    resized = cv2.resize(padded, (size, size), interpolation=cv2.INTER_LINEAR)
    blob = resized.astype(np.float32).transpose(2, 0, 1)[::-1] * np.float32(1.0 / 255.0)
    return np.ascontiguousarray(blob), side / size


def decode(
    output: npt.NDArray[np.float32],
    scale: float,
    image_size: tuple[int, int],
    score_threshold: float,
    iou_threshold: float,
) -> Detections:
    """Detections from one image's graph output.

    Args:
        output: (4 + C, A) raw output: ``cx, cy, w, h`` in blob pixels, then C class scores.
        scale: input pixels per blob pixel (from :func:`letterbox`).
        image_size: ``(width, height)`` of the input image; boxes are clipped to it.
        score_threshold: keep anchors whose best class score reaches this.
        iou_threshold: class-agnostic NMS overlap above which the weaker box is dropped.

    Returns:
        Detections in input pixels, highest score first.
    """
    rows = output.T
    class_scores = rows[:, 4:]
    best = class_scores.argmax(axis=1)
    score = class_scores[np.arange(len(rows)), best]
    keep = score >= score_threshold
    if not keep.any():
        return Detections.empty()
    cx, cy, bw, bh = (rows[keep, i] for i in range(4))
    corners = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    xyxy = clip(corners * scale, image_size)
    score = score[keep]
    best = best[keep]
    kept = nms(xyxy, score, iou_threshold)
    return Detections.from_arrays(xyxy[kept], score[kept], [LABELS[int(c)] for c in best[kept]])


def _as_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    import cv2

    arr = np.asarray(image, dtype=np.uint8)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 1):
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB), np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_RGBA2RGB), np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr
    raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")


class NudeNetDetector(OnnxDetector):
    """NudeNet body parts: one :class:`Detections` per RGB image, labels from :data:`LABELS`.

    Scores are class confidences in [0, 1]. ``score_threshold`` and ``iou_threshold`` default to
    the spec's ``"score"`` and ``"iou"`` thresholds (0.25 and 0.45, NudeNet's own).
    """

    default_score = 0.25
    default_iou = 0.45
    _batched = False

    def _check(self, session: Session) -> None:
        out_shape = session.outputs[0].shape if session.outputs else ()
        channels = out_shape[1] if len(out_shape) == 3 else None
        if isinstance(channels, int) and channels != 4 + len(LABELS):
            raise ModelLoadFailed(
                f"{self.name}: expected {4 + len(LABELS)} output channels, got {channels}"
            )
        batch_dim = session.inputs[0].shape[0] if session.inputs[0].shape else 1
        self._batched = not isinstance(batch_dim, int)

    def _run(self, blobs: Float32Array) -> npt.NDArray[np.float32]:
        session = self.session
        name = session.inputs[0].name
        if self._batched:
            return np.asarray(session.run({name: blobs})[0], np.float32)
        return np.concatenate(
            [np.asarray(session.run({name: b[None]})[0], np.float32) for b in blobs]
        )

    def _detect(self, images: Sequence[RGB], score: float, iou: float) -> list[Detections]:
        results: list[Detections] = []
        for start in range(0, len(images), MAX_BATCH):
            chunk = [_as_rgb(img) for img in images[start : start + MAX_BATCH]]
            valid = [i for i, img in enumerate(chunk) if img.shape[0] > 0 and img.shape[1] > 0]
            out: list[Detections] = [Detections.empty() for _ in chunk]
            if valid:
                prepared = [letterbox(chunk[i]) for i in valid]
                raw = self._run(np.stack([blob for blob, _ in prepared]))
                for j, i in enumerate(valid):
                    h, w = chunk[i].shape[:2]
                    out[i] = decode(raw[j], prepared[j][1], (w, h), score, iou)
            results.extend(out)
        return results
