"""Photos with licence plates rendered onto them, for the anonymization tests and the bench.

A plate is a white rectangle with a dark border and dark characters (DejaVu Sans Bold; Cyrillic
letters that look like Latin ones, as on Russian plates, or Latin), warped in perspective onto a
real photo. The quadrilateral it lands on is returned, so tests can check pixels inside it and
far from it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from support import images

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
RGB = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float32]


def plate_image(text: str, width: int = 520, height: int = 112) -> RGB:
    """A frontal plate: white, dark border, dark characters centred."""
    img = Image.new("RGB", (width, height), (245, 245, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle((3, 3, width - 4, height - 4), outline=(20, 20, 20), width=5)
    font = ImageFont.truetype(FONT, int(height * 0.72))
    box = draw.textbbox((0, 0), text, font=font)
    x = (width - (box[2] - box[0])) / 2 - box[0]
    y = (height - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), text, fill=(25, 25, 30), font=font)
    return np.asarray(img)


def russian_plate_image(number: str = "А123ВС", region: str = "77") -> RGB:
    """A Russian type-1 plate (GOST R 50577, 520x112 mm at 1 px/mm) in two parts: the number
    (letters smaller than digits, on one baseline), a separator, then the region code above
    ``RUS`` and the flag."""
    width, height, sep = 520, 112, 404
    img = Image.new("RGB", (width, height), (246, 246, 242))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((2, 2, width - 3, height - 3), radius=8, outline=(20, 20, 20), width=4)
    draw.line((sep, 6, sep, height - 7), fill=(20, 20, 20), width=3)
    digit, letter = ImageFont.truetype(FONT, 80), ImageFont.truetype(FONT, 60)
    x = 22
    for ch in number:
        font = digit if ch.isdigit() else letter
        box = draw.textbbox((0, 0), ch, font=font)
        draw.text((x - box[0], height - 8 - box[3]), ch, fill=(25, 25, 30), font=font)
        x += box[2] - box[0] + 8
    font = ImageFont.truetype(FONT, 52)
    box = draw.textbbox((0, 0), region, font=font)
    left = sep + (width - sep - (box[2] - box[0])) / 2 - box[0]
    draw.text((left, 10 - box[1]), region, fill=(25, 25, 30), font=font)
    font = ImageFont.truetype(FONT, 20)
    box = draw.textbbox((0, 0), "RUS", font=font)
    draw.text((sep + 12 - box[0], height - 30 - box[1]), "RUS", fill=(25, 25, 30), font=font)
    flag_x = sep + 20 + box[2] - box[0]
    for k, colour in enumerate([(255, 255, 255), (0, 57, 166), (213, 43, 30)]):
        y = height - 30 + 6 * k
        draw.rectangle((flag_x, y, flag_x + 26, y + 6), fill=colour, outline=(60, 60, 60))
    return np.asarray(img)


def put_plate(
    photo: RGB, text: str, quad: npt.ArrayLike, plate: RGB | None = None
) -> tuple[RGB, Quad]:
    """``photo`` with a plate (``plate``, else :func:`plate_image` of ``text``) warped onto
    ``quad`` (4 points: top-left, top-right, bottom-right, bottom-left); the new image and the
    quad as float32."""
    plate = plate_image(text) if plate is None else plate
    h, w = plate.shape[:2]
    src = np.asarray([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.asarray(quad, np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    size = (photo.shape[1], photo.shape[0])
    warped = cv2.warpPerspective(plate, m, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, size) > 127
    out = photo.copy()
    out[mask] = warped[mask]
    return out, dst


def street(photo: RGB, text: str = "А123ВС 77") -> tuple[RGB, Quad]:
    """``photo`` enlarged to 1000 px wide with one plate in mild perspective, lower left."""
    scale = 1000 / photo.shape[1]
    big = cv2.resize(photo, (1000, round(photo.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
    quad = [[110, 430], [390, 445], [386, 506], [108, 490]]
    return put_plate(np.ascontiguousarray(big), text, quad)


def encode(image: RGB, fmt: str = "JPEG") -> bytes:
    return images.encode(image, fmt, quality=92)


def inside_mask(shape: tuple[int, ...], quad: Quad, shrink: float = 0.15) -> npt.NDArray[np.bool_]:
    """Pixels well inside ``quad`` (shrunk towards its centre by ``shrink``)."""
    centre = quad.mean(axis=0)
    inner = centre + (quad - centre) * (1 - shrink)
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 1)
    return mask.astype(bool)


def far_mask(shape: tuple[int, ...], quad: Quad, margin: int = 80) -> npt.NDArray[np.bool_]:
    """Pixels more than ``margin`` px from the quad's bounding box."""
    x1, y1 = quad.min(axis=0) - margin
    x2, y2 = quad.max(axis=0) + margin
    mask = np.ones(shape[:2], bool)
    mask[max(0, int(y1)) : int(y2), max(0, int(x1)) : int(x2)] = False
    return mask
