"""`PaddleOcr`: PP-OCRv4 text detection + recognition on Argus's own ONNX Runtime sessions.

The two ONNX graphs come from the ``rapidocr_onnxruntime`` wheel (``det``: DB text detector,
``rec``: SVTR-LCNet CTC recogniser whose character list is stored in the graph's metadata
under ``"character"``); the pre- and post-processing is ours (:mod:`argus.models.ocr_postprocess`)
and reproduces RapidOCR's defaults:

- images whose long side exceeds 2000 px are scaled down, those whose short side is under 30 px
  scaled up; very flat images (height <= 30 px or width/height > 8) get black bands above and
  below, as RapidOCR adds them, so the detector sees a usable shape;
- the detector runs with its short side scaled up to at least 736 px (``limit_type: min``),
  both sides multiples of 32; probability map threshold 0.3, box threshold 0.5 (the spec's
  ``"box"``), unclip ratio 1.6, 2x2 dilation;
- each text quad is warped upright (crops at least 1.5 times taller than wide are turned 90°),
  resized to height 48 keeping its aspect ratio, and recognised in batches of 6 sorted by
  aspect ratio, padded to the widest of the batch (at least 320 px); greedy CTC decoding with
  the blank at index 0 and a space appended after the dictionary, as PaddleOCR does.

Two departures from RapidOCR: line crops are taken from the caller's image at full resolution
rather than from the resized copy the detector saw, and each crop gets a margin around the
detected quad (``crop_margin``, default :data:`CROP_MARGIN`: 0.1 of the line height at each end
and 0.15 above and below; the returned polygon stays the detected one). DB quads hug the glyphs
and on such tight crops the recogniser drops spaces ("HelloWorld", as RapidOCR itself returns).
Measured here: exact lines on rendered text (DejaVu fonts 16-36 px, white and photo backgrounds)
rose from 41% to 79%, and on scikit-image's scanned ``page()`` from 1 to 4 of its 5 detected
lines; the cost is a little more single-letter noise on photos (a cat's eye read as "O" at 0.54),
which :func:`~argus.models.ocr_postprocess.text_like` drops (a lone character needs 0.8).
Larger margins pull in neighbouring lines of dense text. With ``crop_margin=(0, 0)`` the output
equals RapidOCR's (``use_cls=False``) for images whose sides are within 30-2000 px (checked on
rendered text, ``page()`` and ``grace_hopper``: same strings and scores).

The 180° angle classifier is **not** run: on these machines it flipped a correctly oriented
line, and without it every line was read (see the design notes); upside-down text is therefore
not read.

Input images are RGB ``(H, W, 3)`` uint8 (grey and RGBA are accepted); the graphs were trained
on BGR, which this module converts to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from argus.arrays import Float32Array, UInt8Image
from argus.errors import ModelLoadFailed
from argus.models.base import InferenceModel, ModelContext
from argus.models.ocr_postprocess import (
    crop_quad,
    ctc_greedy_decode,
    db_boxes,
    det_input_size,
    expand_quad,
    normalize_chw,
    order_quad,
    quad_sides,
    reading_order,
    rec_batch,
    text_like,
)
from argus.runtime.session import Session
from argus.vision.detections import Detections

if TYPE_CHECKING:
    from argus.models.catalog import ModelSpec

#: RapidOCR ``Global`` defaults: bounds on the image before detection.
MAX_SIDE_LEN = 2000
MIN_SIDE_LEN = 30
MIN_HEIGHT = 30
MAX_WIDTH_HEIGHT_RATIO = 8.0
#: RapidOCR ``Det`` defaults.
DET_LIMIT_SIDE_LEN = 736
DET_LIMIT_TYPE = "min"
DET_THRESH = 0.3
DET_UNCLIP_RATIO = 1.6
#: Quads narrower or shorter than this (pixels of the detector's image) are dropped.
MIN_QUAD_SIDE = 3
#: Margin added to a quad before cropping, as fractions of the line height: ``(at each end of
#: the line, above and below it)``; see the module docstring for the measurements.
CROP_MARGIN = (0.1, 0.15)
#: RapidOCR ``Rec`` default batch size.
REC_BATCH = 6

LABEL = "text"


@dataclass(frozen=True)
class _Prepared:
    """An image made ready for the detector, and how to map its points back."""

    image: UInt8Image  # BGR, possibly resized and padded
    ratio_w: float  # original x = (x - 0) * ratio_w
    ratio_h: float  # original y = (y - pad_top) * ratio_h
    pad_top: int


def _as_bgr(image: npt.NDArray[np.uint8]) -> UInt8Image:
    """RGB, grey or RGBA uint8 -> BGR uint8 (H, W, 3)."""
    import cv2

    arr = np.asarray(image, dtype=np.uint8)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 1):
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR), np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_RGBA2BGR), np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return np.ascontiguousarray(arr[:, :, ::-1])
    raise ValueError(f"expected an (H, W, 3) RGB image, got shape {arr.shape}")


def _resize_to_stride(image: UInt8Image, ratio: float) -> UInt8Image:
    import cv2

    h, w = image.shape[:2]
    new_w = max(32, round(int(w * ratio) / 32) * 32)
    new_h = max(32, round(int(h * ratio) / 32) * 32)
    return np.asarray(cv2.resize(image, (int(new_w), int(new_h))), np.uint8)


def prepare(image_bgr: UInt8Image) -> _Prepared:
    """Bound the image's sides and pad flat images, as RapidOCR does before detection."""
    import cv2

    raw_h, raw_w = image_bgr.shape[:2]
    img = image_bgr
    if max(raw_h, raw_w) > MAX_SIDE_LEN:
        img = _resize_to_stride(img, MAX_SIDE_LEN / max(raw_h, raw_w))
    h, w = img.shape[:2]
    if min(h, w) < MIN_SIDE_LEN:
        img = _resize_to_stride(img, MIN_SIDE_LEN / min(h, w))
    h, w = img.shape[:2]
    ratio_w, ratio_h = raw_w / w, raw_h / h
    pad_top = 0
    if h <= MIN_HEIGHT or w / h > MAX_WIDTH_HEIGHT_RATIO:
        new_h = max(int(w / MAX_WIDTH_HEIGHT_RATIO), MIN_HEIGHT) * 2
        pad_top = int(abs(new_h - h) / 2)
        img = np.asarray(
            cv2.copyMakeBorder(img, pad_top, pad_top, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0)),
            np.uint8,
        )
    return _Prepared(img, ratio_w, ratio_h, pad_top)


class PaddleOcr(InferenceModel[npt.NDArray[np.uint8], Detections]):
    """PP-OCRv4: one :class:`Detections` per image, one row per recognised text line.

    Each row has an axis-aligned ``xyxy`` box around the line, ``score`` = recognition
    confidence in [0, 1], label ``"text"``, ``data["text"]`` the string and
    ``data["polygon"]`` the line's quad as four ``[x, y]`` points (top-left, top-right,
    bottom-right, bottom-left), all in input pixels. Rows come in reading order (top to bottom,
    then left to right). Lines scoring below ``min_text_score`` (spec threshold ``"text"``),
    reading as blank, or a lone character read without confidence (:func:`text_like`: a cat's
    eye is not an "O") are dropped.
    """

    def __init__(
        self,
        spec: ModelSpec,
        context: ModelContext,
        *,
        min_text_score: float | None = None,
        box_threshold: float | None = None,
        crop_margin: tuple[float, float] = CROP_MARGIN,
    ) -> None:
        super().__init__(spec, context)
        th = spec.thresholds
        self.min_text_score = th.get("text", 0.5) if min_text_score is None else min_text_score
        self.box_threshold = th.get("box", 0.5) if box_threshold is None else box_threshold
        self.crop_margin = crop_margin
        self._det: Session | None = None
        self._rec: Session | None = None
        self._characters: list[str] = []

    @property
    def providers(self) -> list[str]:
        if self._det is None:
            return super().providers
        return list(self._det.providers)

    def _load(self) -> None:
        det = self.context.session("det")
        rec = self.context.session("rec")
        chars = rec.metadata.get("character")
        if not chars:
            raise ModelLoadFailed(
                f"{self.name}: the recogniser has no 'character' dictionary in its metadata"
            )
        # Class 0 is the CTC blank; PaddleOCR appends a space after the dictionary.
        characters = ["", *chars.splitlines(), " "]
        classes = rec.outputs[0].shape[-1] if rec.outputs and rec.outputs[0].shape else None
        if isinstance(classes, int) and classes != len(characters):
            raise ModelLoadFailed(
                f"{self.name}: the recogniser has {classes} classes but its dictionary "
                f"gives {len(characters)}"
            )
        self._det, self._rec, self._characters = det, rec, characters

    def _unload(self) -> None:
        self._det = self._rec = None
        self._characters = []

    def _sessions(self) -> tuple[Session, Session]:
        if self._det is None or self._rec is None:
            raise ModelLoadFailed(f"{self.name} is not loaded")
        return self._det, self._rec

    def detect_quads(self, image_bgr: UInt8Image) -> Float32Array:
        """Text quads ``(N, 4, 2)`` float32 in the image's pixels, in reading order."""
        import cv2

        det, _ = self._sessions()
        raw_h, raw_w = image_bgr.shape[:2]
        if raw_h == 0 or raw_w == 0:
            return np.zeros((0, 4, 2), np.float32)
        prep = prepare(image_bgr)
        h, w = prep.image.shape[:2]
        in_w, in_h = det_input_size(w, h, DET_LIMIT_SIDE_LEN, DET_LIMIT_TYPE)
        blob = normalize_chw(np.asarray(cv2.resize(prep.image, (in_w, in_h)), np.uint8))[None]
        prob = np.asarray(det.run({det.inputs[0].name: blob})[0], np.float32)[0, 0]
        quads, _ = db_boxes(
            prob,
            (w, h),
            thresh=DET_THRESH,
            box_thresh=self.box_threshold,
            unclip_ratio=DET_UNCLIP_RATIO,
        )
        kept: list[Float32Array] = []
        for quad in quads:
            q = order_quad(quad)
            q[:, 0] = np.clip(q[:, 0], 0, w - 1)
            q[:, 1] = np.clip(q[:, 1], 0, h - 1)
            qw, qh = quad_sides(q)
            if int(qw) <= MIN_QUAD_SIDE or int(qh) <= MIN_QUAD_SIDE:
                continue
            q[:, 0] = np.clip(q[:, 0] * prep.ratio_w, 0, raw_w)
            q[:, 1] = np.clip((q[:, 1] - prep.pad_top) * prep.ratio_h, 0, raw_h)
            kept.append(q)
        if not kept:
            return np.zeros((0, 4, 2), np.float32)
        out = np.stack(kept).astype(np.float32)
        return out[reading_order(out)]

    def recognize(self, crops: Sequence[UInt8Image]) -> list[tuple[str, float]]:
        """``(text, confidence)`` for each BGR line crop, in order (batches sorted by width)."""
        _, rec = self._sessions()
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        order = np.argsort([c.shape[1] / c.shape[0] for c in crops], kind="stable")
        for start in range(0, len(order), REC_BATCH):
            idx = order[start : start + REC_BATCH]
            batch = rec_batch([crops[i] for i in idx])
            probs = np.asarray(rec.run({rec.inputs[0].name: batch})[0], np.float32)
            for i, res in zip(idx, ctc_greedy_decode(probs, self._characters), strict=True):
                results[int(i)] = res
        return results

    def _predict(self, batch: Sequence[npt.NDArray[np.uint8]]) -> list[Detections]:
        images = [_as_bgr(img) for img in batch]
        all_quads = [self.detect_quads(img) for img in images]
        crops = [
            crop_quad(img, expand_quad(q, *self.crop_margin))
            for img, quads in zip(images, all_quads, strict=True)
            for q in quads
        ]
        texts = iter(self.recognize(crops))
        out: list[Detections] = []
        for quads in all_quads:
            boxes, scores, strings, polygons = [], [], [], []
            for quad in quads:
                text, score = next(texts)
                text = text.strip()
                if score < self.min_text_score or not text_like(text, score):
                    continue
                boxes.append([*quad.min(axis=0), *quad.max(axis=0)])
                scores.append(score)
                strings.append(text)
                polygons.append([[round(float(x), 1), round(float(y), 1)] for x, y in quad])
            out.append(
                Detections.from_arrays(
                    np.asarray(boxes, np.float32).reshape(-1, 4),
                    scores,
                    [LABEL] * len(boxes),
                    data={"text": strings, "polygon": polygons},
                )
            )
        return out
