"""EXIF metadata a person cares about: camera, capture time, GPS position, orientation, software.

:func:`read_exif` reads an :class:`ExifInfo` from a Pillow image (IFD0, the Exif IFD ``0x8769``
and the GPS IFD ``0x8825``). Photos in the wild carry every kind of malformed value (zero
denominators, empty strings, ``0000:00:00`` dates, out-of-range coordinates); each field that
cannot be read sensibly is None, and reading never raises. GPS coordinates are decimal degrees,
south and west negative; altitude is metres above sea level, negative below it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from PIL import Image

ORIENTATION = 0x0112
MAKE = 0x010F
MODEL = 0x0110
SOFTWARE = 0x0131
DATETIME = 0x0132
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
SUBSEC_TIME_ORIGINAL = 0x9291
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2
GPS_LONGITUDE_REF, GPS_LONGITUDE = 3, 4
GPS_ALTITUDE_REF, GPS_ALTITUDE = 5, 6

_DATETIME_RE = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})")


@dataclass(frozen=True)
class GpsPosition:
    """Where a photo was taken: decimal degrees (south and west negative), metres above sea."""

    latitude: float
    longitude: float
    altitude_m: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "latitude": round(self.latitude, 7),
            "longitude": round(self.longitude, 7),
            "altitude_m": None if self.altitude_m is None else round(self.altitude_m, 2),
        }


@dataclass(frozen=True)
class ExifInfo:
    """What EXIF says about a photo; every field is None when absent or unreadable.

    Attributes:
        make: camera maker ("Canon", "Apple").
        model: camera model ("iPhone 13 mini").
        software: the program that last wrote the file.
        captured_at: DateTimeOriginal, else DateTime; timezone-aware when the file records an
            offset (OffsetTimeOriginal), naive (camera local time) otherwise.
        gps: the GPS position, or None when missing, malformed or exactly (0, 0).
        orientation: EXIF orientation 1-8 as stored in the file (1 when absent or invalid).
            Decoded pixels already have it applied; this is for display only.
    """

    make: str | None = None
    model: str | None = None
    software: str | None = None
    captured_at: datetime | None = None
    gps: GpsPosition | None = None
    orientation: int = 1

    @property
    def camera(self) -> str | None:
        """Make and model in one string, without repeating the make ("Canon EOS 5D")."""
        if self.make and self.model:
            if self.model.lower().startswith(self.make.lower()):
                return self.model
            return f"{self.make} {self.model}"
        return self.model or self.make

    def to_dict(self) -> dict[str, Any]:
        return {
            "make": self.make,
            "model": self.model,
            "software": self.software,
            "captured_at": None if self.captured_at is None else self.captured_at.isoformat(),
            "gps": None if self.gps is None else self.gps.to_dict(),
            "orientation": self.orientation,
        }


def read_exif(image: Image.Image) -> ExifInfo:
    """The :class:`ExifInfo` of a Pillow image (opened lazily is enough); never raises."""
    try:
        exif = image.getexif()
    except Exception:  # corrupt EXIF blocks raise all sorts of errors inside Pillow
        return ExifInfo()
    try:
        exif_ifd: Mapping[int, Any] = exif.get_ifd(EXIF_IFD)
    except Exception:
        exif_ifd = {}
    try:
        gps_ifd: Mapping[int, Any] = exif.get_ifd(GPS_IFD)
    except Exception:
        gps_ifd = {}
    captured = parse_datetime(
        exif_ifd.get(DATETIME_ORIGINAL),
        subsec=exif_ifd.get(SUBSEC_TIME_ORIGINAL),
        offset=exif_ifd.get(OFFSET_TIME_ORIGINAL),
    )
    if captured is None:
        captured = parse_datetime(exif.get(DATETIME))
    return ExifInfo(
        make=_text(exif.get(MAKE)),
        model=_text(exif.get(MODEL)),
        software=_text(exif.get(SOFTWARE)),
        captured_at=captured,
        gps=parse_gps(gps_ifd),
        orientation=parse_orientation(exif.get(ORIENTATION)),
    )


def parse_orientation(value: Any) -> int:
    """EXIF orientation 1-8; anything else (absent, 0, 9, text) is 1, "as stored"."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 8 else 1


def parse_datetime(value: Any, *, subsec: Any = None, offset: Any = None) -> datetime | None:
    """An EXIF date ("2024:06:01 14:03:22") as a datetime, or None when absent or invalid."""
    text = _text(value)
    if text is None:
        return None
    match = _DATETIME_RE.match(text)
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # 0000:00:00, month 13, ...
        return None
    fraction = _text(subsec)
    if fraction is not None and fraction.isdigit():
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    zone = _text(offset)
    zone_match = _OFFSET_RE.fullmatch(zone) if zone is not None else None
    if zone_match is not None:
        sign = -1 if zone_match.group(1) == "-" else 1
        hours, minutes = int(zone_match.group(2)), int(zone_match.group(3))
        if hours <= 14 and minutes < 60:
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
            moment = moment.replace(tzinfo=tz)
    return moment


def parse_gps(gps: Mapping[int, Any]) -> GpsPosition | None:
    """Decimal-degree position from a GPS IFD mapping (tag number -> value), or None."""
    lat = _degrees(gps.get(GPS_LATITUDE))
    lon = _degrees(gps.get(GPS_LONGITUDE))
    if lat is None or lon is None:
        return None
    lat_ref = (_text(gps.get(GPS_LATITUDE_REF)) or "N").upper()[:1]
    lon_ref = (_text(gps.get(GPS_LONGITUDE_REF)) or "E").upper()[:1]
    if lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None
    lat = -lat if lat_ref == "S" else lat
    lon = -lon if lon_ref == "W" else lon
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or (lat == 0.0 and lon == 0.0):
        return None
    altitude = _number(gps.get(GPS_ALTITUDE))
    if altitude is not None:
        below = gps.get(GPS_ALTITUDE_REF)
        if below in (1, b"\x01", "1"):
            altitude = -altitude
    return GpsPosition(lat, lon, altitude)


def _degrees(value: Any) -> float | None:
    """(degrees, minutes, seconds) rationals -> decimal degrees; also accepts (d,) and (d, m)."""
    if value is None:
        return None
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [_number(p) for p in parts]
    if any(n is None or n < 0 for n in numbers):
        return None
    total = sum(n / 60**i for i, n in enumerate(numbers) if n is not None)
    return total if math.isfinite(total) else None


def _number(value: Any) -> float | None:
    """A finite float from an int, float, IFDRational or (numerator, denominator) pair."""
    try:
        if isinstance(value, tuple) and len(value) == 2:
            number = float(value[0]) / float(value[1])
        else:
            number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    """A stripped string from str or bytes EXIF values; None when empty."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = value.replace("\x00", "").strip()
    return text or None
