"""The offline photo-category engine: built-in models and layout cues, no network.

What it looks at, in order of decision:

1. **ID documents** — PP-OCRv4 text holding a document keyword (居民身份证, 公民身份号码, 护照,
   驾驶证, PASSPORT, DRIVER LICENSE, IDENTITY CARD, an 18-character resident id number, a
   passport machine-readable line) or at least three field names (姓名, 性别, 出生, 住址,
   SURNAME, DATE OF BIRTH, ...); a face and a card-shaped picture add confidence.
2. **Screenshots** — no camera in EXIF, a large share of perfectly flat 8x8 blocks (UI
   backgrounds: JPEG noise tolerated), dense OCR text, a phone- or monitor-shaped frame and a
   clock in the status bar.
3. **People** — dlib's HOG face detector: one face is ``single_person``, two or more
   ``social_activities``. Frontal faces only: profiles and small faces in crowds are missed.
4. **Pets** — OpenCV's cat-face cascade. Weak: it wants a whole frontal cat head and misses
   most cats (scikit-image's ``chelsea()`` included); dogs are not detected at all.
5. Otherwise ``other`` with confidence 0.25, which the cache rules never store.

Foods and travel scenery are never recognised offline (that needs an LLM or a pulled image
classifier). OCR (0.2-1.2 s) runs in ``auto`` mode only when the picture looks like a screen or
a document (flat blocks, or no camera EXIF and a phone- or card-shaped frame).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from argus.imaging import Picture
from argus.models.pool import ModelPool
from argus.vision.detections import Detections

RGB = npt.NDArray[np.uint8]
OcrMode = Literal["auto", "always", "never"]

STRONG_ID_WORDS = (
    "居民身份证",
    "公民身份号码",
    "身份证",
    "护照",
    "驾驶证",
    "通行证",
    "PASSPORT",
    "DRIVERLICENSE",
    "DRIVERSLICENSE",
    "DRIVER'SLICENSE",
    "DRIVINGLICENCE",
    "DRIVERLICENCE",
    "IDENTITYCARD",
    "IDCARD",
)
FIELD_WORDS = (
    "姓名",
    "性别",
    "民族",
    "出生",
    "住址",
    "签发机关",
    "有效期限",
    "国籍",
    "SURNAME",
    "GIVENNAME",
    "DATEOFBIRTH",
    "NATIONALITY",
    "DATEOFEXPIRY",
    "EXPIRES",
    "DOB",
)
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
_MRZ = re.compile(r"P<[A-Z]{3}")
_CLOCK = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")

FLAT_BLOCK = 8
FLAT_RANGE = 4  # grey levels a block may span and still count as flat
FLAT_SIDE = 512
OCR_FLAT = 0.2
SCREEN_FLAT = 0.3
FACE_MIN_SCORE = 0.3


@dataclass(frozen=True)
class LocalResult:
    """The local engine's category, confidence, a Chinese note and what it saw."""

    category: str
    confidence: float
    description: str
    seen: dict[str, Any]


def flat_fraction(pixels: RGB) -> float:
    """Share of 8x8 blocks (on a copy at most 512 px) spanning at most 4 grey levels."""
    grey = Image.fromarray(pixels).convert("L")
    grey.thumbnail((FLAT_SIDE, FLAT_SIDE))
    g = np.asarray(grey, np.int16)
    h, w = (g.shape[0] // FLAT_BLOCK) * FLAT_BLOCK, (g.shape[1] // FLAT_BLOCK) * FLAT_BLOCK
    if h == 0 or w == 0:
        return 0.0
    blocks = g[:h, :w].reshape(h // FLAT_BLOCK, FLAT_BLOCK, w // FLAT_BLOCK, FLAT_BLOCK)
    spans = blocks.max(axis=(1, 3)) - blocks.min(axis=(1, 3))
    return float((spans <= FLAT_RANGE).mean())


def frame_shape(width: int, height: int) -> str:
    """``phone``, ``monitor``, ``card`` or ``photo`` from the aspect ratio alone."""
    ratio = max(width, height) / max(1, min(width, height))
    if height > width and 1.75 <= ratio <= 2.4:
        return "phone"
    if width >= height and (abs(ratio - 16 / 9) < 0.03 or abs(ratio - 1.6) < 0.02):
        return "monitor"
    if 1.56 <= ratio <= 1.61:  # ID-1 cards are 85.6 x 54 mm (1.586); 3:2 photos are not
        return "card"
    return "photo"


def _boxes(dets: Detections) -> list[dict[str, Any]]:
    return [
        {"bbox": [round(float(v), 1) for v in box], "score": round(float(score), 3)}
        for box, score in zip(dets.xyxy, dets.scores, strict=True)
    ]


def classify_local(picture: Picture, pool: ModelPool, ocr_mode: OcrMode = "auto") -> LocalResult:
    """The category of one decoded picture from the built-in models (blocking: run in a thread)."""
    pixels = picture.pixels
    camera = picture.exif.camera
    flat = flat_fraction(pixels)
    shape = frame_shape(picture.width, picture.height)
    faces = pool.get("dlib-hog-face").predict([pixels])[0]
    faces = faces[faces.scores >= FACE_MIN_SCORE]
    found_faces = faces.scaled(*picture.scale)
    run_ocr = ocr_mode == "always" or (
        ocr_mode == "auto"
        and (flat >= OCR_FLAT or (camera is None and shape in ("phone", "card", "monitor")))
    )
    lines: list[str] = []
    text_area = 0.0
    clock = False
    if run_ocr:
        text = pool.get("ppocr-v4").predict([pixels])[0]
        lines = [str(t) for t in text.data.get("text", [])]
        h, w = pixels.shape[:2]
        areas = (text.xyxy[:, 2] - text.xyxy[:, 0]) * (text.xyxy[:, 3] - text.xyxy[:, 1])
        text_area = float(areas.sum()) / float(h * w)
        clock = any(
            _CLOCK.search(line) and box[1] < 0.06 * h
            for line, box in zip(lines, text.xyxy, strict=True)
        )
    seen: dict[str, Any] = {
        "success": True,
        "engine": "local",
        "faces": _boxes(found_faces),
        "camera": camera,
        "frame_shape": shape,
        "flat_fraction": round(flat, 3),
        "ocr": run_ocr,
        "text_lines": lines[:50],
        "text_area_fraction": round(text_area, 4),
        "status_bar_clock": clock,
    }

    def result(category: str, confidence: float, message: str) -> LocalResult:
        seen["message"] = message
        return LocalResult(category, round(min(confidence, 0.95), 3), message, seen)

    squashed = "".join(lines).upper().replace(" ", "")
    strong = [w for w in STRONG_ID_WORDS if w in squashed]
    if _ID_NUMBER.search(squashed):
        strong.append("ID_NUMBER")
    if _MRZ.search(squashed):
        strong.append("MRZ")
    fields = [w for w in FIELD_WORDS if w in squashed]
    seen["id_keywords"] = strong + fields
    if strong or len(fields) >= 3:
        confidence = 0.6 + 0.1 * min(len(strong), 2) + 0.04 * min(len(fields), 4)
        confidence += 0.05 * (len(faces) == 1) + 0.05 * (shape == "card")
        return result("idcard", confidence, "本地识别：证件（文字关键词）")

    dense_text = len(lines) >= 5 or text_area >= 0.04
    if camera is None and flat >= SCREEN_FLAT and dense_text:
        confidence = 0.7 + 0.1 * (shape in ("phone", "monitor")) + 0.1 * clock
        confidence += 0.05 * (flat >= 0.5)
        return result("screenshot", confidence, "本地识别：屏幕截图（界面与文字）")

    if len(faces) >= 2:
        return result(
            "social_activities",
            0.7 + 0.05 * min(len(faces) - 2, 3),
            f"本地识别：{len(faces)}张人脸",
        )
    if len(faces) == 1:
        margin = float(faces.scores[0])
        return result("single_person", 0.65 + 0.1 * min(margin, 1.5), "本地识别：1张人脸")

    cats = pool.get("haar-cat-face").predict([pixels])[0]
    seen["cats"] = _boxes(cats)
    if len(cats):
        return result("pets", 0.55, "本地识别：猫脸")
    return result("other", 0.25, "本地识别：无法确定类别")
