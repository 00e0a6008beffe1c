"""The offline photo-category engine: built-in models and layout cues, no network.

What it looks at, in order of decision:

1. **ID documents** — PP-OCRv4 text holding a document keyword (居民身份证, 公民身份号码, 护照,
   驾驶证, PASSPORT, DRIVER LICENSE, IDENTITY CARD, an 18-character resident id number, a
   passport machine-readable line) or at least three field names (姓名, 性别, 出生, 住址,
   SURNAME, DATE OF BIRTH, ...); a face and a card-shaped picture add confidence.
2. **Screenshots** — no camera in EXIF, a large share of perfectly flat 8x8 blocks (UI
   backgrounds: JPEG noise tolerated), dense OCR text, a phone- or monitor-shaped frame and a
   clock in the status bar.
3. **People** — NanoDet person boxes (a confident one, or a weaker one with a CenterFace face
   inside) and CenterFace faces: one person is ``single_person``, two or more
   ``social_activities``; people covering under 10 % of the picture give way to strong
   pets, foods or scenery evidence (a walker in front of a palace is a travel photo).
4. **Pets, foods, travel scenery** — EfficientNet-Lite0's ImageNet classes grouped by
   :mod:`argus.pipelines.imagenet_categories`, with NanoDet's cats and dogs (an animal NanoDet
   is surer is a horse or a cow discounts the dog classes) and food items; the strongest
   evidence of at least 0.3 wins, its confidence grows with the evidence.
5. Otherwise ``other`` with confidence 0.25, which the cache rules never store.

``local_inference_result`` shows what each model saw, including seed 000's own
``generalDetections`` and ``mobileNetV3Detections``. OCR (0.2-1.2 s) runs in ``auto`` mode only
when the picture looks like a screen or a document (flat blocks, or no camera EXIF and a phone-
or card-shaped frame).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
from PIL import Image

from argus.arrays import RGB
from argus.categories import CategoryAnswer
from argus.imaging import Picture
from argus.models.pool import ModelPool
from argus.models.tasks import TextReader
from argus.pipelines.local_evidence import Evidence, look

MODEL = "argus-local"  # the answer's model (and the cache key's)
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
EVIDENCE_MIN = 0.3  # pets/foods/scenery evidence below this is not a category
SMALL_PEOPLE = 0.1  # people under this share of the picture yield to strong other evidence
STRONG_EVIDENCE = 0.5


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


def object_evidence(ev: Evidence) -> dict[str, float]:
    """Pets, foods and travel-scenery evidence in [0, 1] from ImageNet groups and NanoDet."""
    pets = ev.imagenet.get("pets", 0.0)
    if ev.other_animal_score > ev.pet_score:
        pets *= 1.0 - ev.other_animal_score  # a horse that ImageNet reads as a coonhound
    pets = max(pets, ev.pet_score if ev.pet_score >= 0.4 else 0.0)
    foods = max(
        ev.imagenet.get("foods", 0.0), min(1.0, 0.5 + 0.1 * ev.food_items) * (ev.food_items > 0)
    )
    return {
        "pets": round(pets, 3),
        "foods": round(foods, 3),
        "travel_scenery": round(ev.imagenet.get("travel_scenery", 0.0), 3),
    }


def classify_local(picture: Picture, pool: ModelPool, ocr_mode: OcrMode = "auto") -> CategoryAnswer:
    """The category of one decoded picture from the built-in models (blocking: run in a thread):
    engine ``local``, a Chinese note as the description, what it saw in ``seen``."""
    pixels = picture.pixels
    camera = picture.exif.camera
    flat = flat_fraction(pixels)
    shape = frame_shape(picture.width, picture.height)
    ev = look(pixels, pool, picture.scale)
    run_ocr = ocr_mode == "always" or (
        ocr_mode == "auto"
        and (flat >= OCR_FLAT or (camera is None and shape in ("phone", "card", "monitor")))
    )
    lines: list[str] = []
    text_area = 0.0
    clock = False
    if run_ocr:
        text = pool.get("ppocr-v4", TextReader).predict([pixels])[0]
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
        **ev.seen,
        "camera": camera,
        "frame_shape": shape,
        "flat_fraction": round(flat, 3),
        "ocr": run_ocr,
        "text_lines": lines[:50],
        "text_area_fraction": round(text_area, 4),
        "status_bar_clock": clock,
    }

    def result(category: str, confidence: float, message: str) -> CategoryAnswer:
        seen["message"] = message
        return CategoryAnswer(
            category=category,
            confidence=round(min(confidence, 0.95), 3),
            description=message,
            engine="local",
            model=MODEL,
            seen=seen,
        )

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
        confidence += 0.05 * (ev.faces == 1) + 0.05 * (shape == "card")
        return result("idcard", confidence, "本地识别：证件（文字关键词）")

    dense_text = len(lines) >= 5 or text_area >= 0.04
    if camera is None and flat >= SCREEN_FLAT and dense_text:
        confidence = 0.7 + 0.1 * (shape in ("phone", "monitor")) + 0.1 * clock
        confidence += 0.05 * (flat >= 0.5)
        return result("screenshot", confidence, "本地识别：屏幕截图（界面与文字）")

    evidence = object_evidence(ev)
    seen["category_evidence"] = evidence
    best = max(evidence, key=lambda c: evidence[c])
    strength = evidence[best]
    people = max(len(ev.people), ev.faces)
    small = ev.largest_person < SMALL_PEOPLE and ev.faces <= 1
    if people and not (small and strength >= STRONG_EVIDENCE):
        sure = max((score for score, _ in ev.people), default=0.5)
        if people >= 2:
            confidence = 0.65 + 0.05 * min(people - 2, 3) + 0.1 * (ev.faces >= 2)
            return result("social_activities", confidence, f"本地识别：{people}人")
        confidence = 0.55 + 0.2 * sure + 0.1 * (ev.faces == 1)
        return result("single_person", confidence, "本地识别：1人")
    if strength >= EVIDENCE_MIN:
        names = {"pets": "宠物", "foods": "美食", "travel_scenery": "风景名胜"}
        return result(best, 0.45 + 0.5 * strength, f"本地识别：{names[best]}")
    return result("other", 0.25, "本地识别：无法确定类别")
