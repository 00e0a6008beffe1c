"""Pictures for the photo-category tests, rendered with Pillow, and small helpers.

``phone_screenshot`` draws what a chat app looks like on a 1080x2340 phone: a status bar with
the time and a battery, a title bar, chat bubbles with text, an input box. ``id_card`` draws a
Chinese resident identity card (856x540, the card's 85.6 x 54 mm at 10 px/mm) with its field
names, an 18-digit number and a face photo pasted from a real portrait. ``side_by_side`` puts
two real portraits next to each other at one height.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

RGB = npt.NDArray[np.uint8]

CJK_FONT_NAMES = ("wqy", "NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "DroidSansFallback")


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    for path in sorted(Path("/usr/share/fonts").rglob("*")):
        if path.suffix.lower() in {".ttf", ".ttc", ".otf"} and any(
            n.lower() in path.name.lower() for n in CJK_FONT_NAMES
        ):
            return ImageFont.truetype(str(path), size)
    pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")


def latin_font(size: int) -> ImageFont.FreeTypeFont:
    system = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    path = system if system.is_file() else Path(font_manager.findfont("DejaVu Sans"))
    return ImageFont.truetype(str(path), size)


def phone_screenshot() -> RGB:
    """A chat app on a 1080x2340 phone screen."""
    width, height = 1080, 2340
    img = Image.new("RGB", (width, height), (237, 237, 237))
    draw = ImageDraw.Draw(img)
    small, text = latin_font(40), cjk_font(46)
    draw.rectangle((0, 0, width, 110), fill=(246, 246, 246))
    draw.text((60, 30), "9:41", font=small, fill=(0, 0, 0))
    draw.rectangle((900, 40, 990, 80), outline=(0, 0, 0), width=4)
    draw.rectangle((906, 46, 960, 74), fill=(0, 0, 0))
    draw.rectangle((0, 110, width, 260), fill=(246, 246, 246))
    draw.text((420, 150), "Alice", font=cjk_font(56), fill=(0, 0, 0))
    messages = [
        ("left", "Are we still meeting at six?"),
        ("right", "Yes, see you at the station"),
        ("left", "今天晚上一起吃饭吗"),
        ("right", "好的，七点见"),
        ("left", "I will bring the tickets"),
        ("right", "Great, thanks a lot!"),
        ("left", "别忘了带雨伞"),
    ]
    y = 320
    for side, message in messages:
        box = draw.textbbox((0, 0), message, font=text)
        w, h = box[2] - box[0] + 60, box[3] - box[1] + 50
        x = 60 if side == "left" else width - 60 - w
        colour = (255, 255, 255) if side == "left" else (149, 236, 105)
        draw.rounded_rectangle((x, y, x + w, y + h), radius=24, fill=colour)
        draw.text((x + 30, y + 20), message, font=text, fill=(0, 0, 0))
        y += h + 70
    draw.rectangle((0, height - 180, width, height), fill=(246, 246, 246))
    draw.rounded_rectangle((40, height - 150, width - 200, height - 50), radius=20, fill="white")
    draw.text((width - 160, height - 130), "Send", font=small, fill=(0, 0, 0))
    return np.asarray(img)


def id_card(face: RGB) -> RGB:
    """The front of a Chinese resident identity card with ``face`` as its photo."""
    width, height = 856, 540
    img = Image.new("RGB", (width, height), (226, 236, 244))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle(
        (4, 4, width - 5, height - 5), radius=30, outline=(160, 180, 200), width=3
    )
    label, value = cjk_font(30), cjk_font(34)
    draw.text((200, 22), "中华人民共和国居民身份证", font=cjk_font(36), fill=(30, 60, 120))
    rows = [
        ("姓名", "张伟", 90),
        ("性别", "男    民族  汉", 160),
        ("出生", "1990年1月1日", 230),
        ("住址", "北京市东城区长安街1号", 300),
    ]
    for name, text, y in rows:
        draw.text((50, y), name, font=label, fill=(40, 90, 160))
        draw.text((150, y - 2), text, font=value, fill=(0, 0, 0))
    draw.text((50, 430), "公民身份号码", font=label, fill=(40, 90, 160))
    draw.text((260, 426), "110101199001011234", font=latin_font(38), fill=(0, 0, 0))
    portrait = Image.fromarray(face).resize((220, 260))
    img.paste(portrait, (600, 110))
    return np.asarray(img)


def side_by_side(left: RGB, right: RGB, height: int = 512) -> RGB:
    """Two pictures next to each other, each scaled to ``height``."""
    parts = []
    for image in (left, right):
        h, w = image.shape[:2]
        parts.append(Image.fromarray(image).resize((round(w * height / h), height)))
    out = Image.new("RGB", (sum(p.width for p in parts), height))
    x = 0
    for part in parts:
        out.paste(part, (x, 0))
        x += part.width
    return np.asarray(out)


def with_gps(image: RGB, lat: float, lon: float) -> bytes:
    """A JPEG of ``image`` with an EXIF GPS position (and a camera make and model)."""

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        return (float(d), float(m), round((value - d - m / 60) * 3600, 4))

    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 13 mini"
    exif.get_ifd(0x8825).update(
        {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    )
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", exif=exif, quality=90)
    return buf.getvalue()
