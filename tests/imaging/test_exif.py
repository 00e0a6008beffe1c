"""EXIF: camera, capture time, GPS in decimal degrees, orientation; malformed values never raise."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from argus.imaging import decode
from argus.imaging.exif import ExifInfo, parse_datetime, parse_gps, read_exif

MAKE, MODEL, SOFTWARE, DATETIME, ORIENTATION = 0x010F, 0x0110, 0x0131, 0x0132, 0x0112
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011

# Notre-Dame de Paris: 48°51'24" N, 2°21'03" E
PARIS = {
    1: "N",
    2: (IFDRational(48, 1), IFDRational(51, 1), IFDRational(24, 1)),
    3: "E",
    4: (IFDRational(2, 1), IFDRational(21, 1), IFDRational(3, 1)),
    5: 0,
    6: IFDRational(355, 10),
}


def test_camera_time_and_gps_are_read_from_a_phone_like_jpeg(with_exif, chelsea, limits) -> None:
    data = with_exif(
        chelsea,
        ifd0={MAKE: "Canon", MODEL: "Canon EOS 5D Mark IV", SOFTWARE: "Lightroom 6.0"},
        exif_ifd={DATETIME_ORIGINAL: "2021:07:14 09:30:05"},
        gps_ifd=PARIS,
    )
    exif = decode(data, limits).exif
    assert exif.make == "Canon"
    assert exif.model == "Canon EOS 5D Mark IV"
    assert exif.camera == "Canon EOS 5D Mark IV"
    assert exif.software == "Lightroom 6.0"
    assert exif.captured_at == datetime(2021, 7, 14, 9, 30, 5)
    assert exif.gps is not None
    assert exif.gps.latitude == pytest.approx(48.8567, abs=1e-4)
    assert exif.gps.longitude == pytest.approx(2.3508, abs=1e-4)
    assert exif.gps.altitude_m == pytest.approx(35.5)
    assert exif.to_dict()["gps"]["latitude"] == pytest.approx(48.8566667)


def test_south_west_and_below_sea_level_are_negative(with_exif, chelsea, limits) -> None:
    # Dead Sea shore in the southern-western mirror image: 31°30'00" S, 35°28'48" W, 430 m below
    gps = {1: "S", 2: (31.0, 30.0, 0.0), 3: "W", 4: (35.0, 28.0, 48.0), 5: 1, 6: 430.0}
    position = decode(with_exif(chelsea, gps_ifd=gps), limits).exif.gps
    assert position is not None
    assert (position.latitude, position.longitude) == pytest.approx((-31.5, -35.48))
    assert position.altitude_m == -430.0


def test_datetime_is_used_when_datetime_original_is_missing(with_exif, chelsea, limits) -> None:
    data = with_exif(chelsea, ifd0={DATETIME: "2019:01:02 03:04:05", MAKE: "Apple"})
    exif = decode(data, limits).exif
    assert exif.captured_at == datetime(2019, 1, 2, 3, 4, 5)
    assert exif.camera == "Apple"


def test_offset_time_makes_the_capture_time_timezone_aware(with_exif, chelsea, limits) -> None:
    tags = {DATETIME_ORIGINAL: "2023:12:31 23:59:58", OFFSET_TIME_ORIGINAL: "+05:30"}
    captured = decode(with_exif(chelsea, exif_ifd=tags), limits).exif.captured_at
    assert captured == datetime(2023, 12, 31, 23, 59, 58, tzinfo=timezone(timedelta(hours=5.5)))


def test_an_image_without_exif_has_empty_info(save, chelsea, limits) -> None:
    assert decode(save(chelsea, "PNG"), limits).exif == ExifInfo()


def test_a_corrupt_exif_block_is_ignored_not_fatal(save, chelsea, limits) -> None:
    data = save(chelsea, "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff garbage")
    picture = decode(data, limits)
    assert picture.exif == ExifInfo()
    assert picture.pixels.shape == (300, 451, 3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021:07:14 09:30:05", datetime(2021, 7, 14, 9, 30, 5)),
        ("2021-07-14 09:30:05", datetime(2021, 7, 14, 9, 30, 5)),
        (b"2021:07:14 09:30:05\x00", datetime(2021, 7, 14, 9, 30, 5)),
        ("0000:00:00 00:00:00", None),
        ("2021:13:40 25:00:00", None),
        ("    :  :     :  :  ", None),
        ("", None),
        (None, None),
        (20210714, None),
    ],
)
def test_parse_datetime(value, expected) -> None:
    assert parse_datetime(value) == expected


def test_parse_datetime_keeps_subseconds() -> None:
    assert parse_datetime("2021:07:14 09:30:05", subsec="25") == datetime(
        2021, 7, 14, 9, 30, 5, 250000
    )


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        (PARIS, (48.856667, 2.350833)),
        ({**PARIS, 1: b"N\x00", 3: b"E\x00"}, (48.856667, 2.350833)),
        ({2: ((48, 1), (51, 1), (24, 1)), 4: ((2, 1), (21, 1), (3, 1))}, (48.856667, 2.350833)),
        ({1: "N", 2: (48.856667,), 3: "W", 4: (2.350833,)}, (48.856667, -2.350833)),
        ({1: "N", 2: (IFDRational(48, 0), 0.0, 0.0), 3: "E", 4: (2.0, 0.0, 0.0)}, None),
        ({1: "N", 2: (48.0, 51.0, 24.0), 3: "E"}, None),
        ({1: "X", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}, None),
        ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (2.0, 21.0, 3.0)}, None),
        ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, None),
        ({1: "N", 2: "48 deg 51' 24\"", 3: "E", 4: (2.0, 21.0, 3.0)}, None),
        ({1: "N", 2: (48.0, 51.0, 24.0, 1.0), 3: "E", 4: (2.0, 21.0, 3.0)}, None),
        ({1: "N", 2: (-48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}, None),
        ({}, None),
    ],
)
def test_parse_gps(gps, expected) -> None:
    position = parse_gps(gps)
    if expected is None:
        assert position is None
    else:
        assert position is not None
        assert (position.latitude, position.longitude) == pytest.approx(expected, abs=1e-6)


def test_malformed_altitude_keeps_the_position(with_exif, chelsea, limits) -> None:
    gps = {**PARIS, 6: IFDRational(1, 0)}
    position = decode(with_exif(chelsea, gps_ifd=gps), limits).exif.gps
    assert position is not None
    assert position.altitude_m is None


@pytest.mark.parametrize(("stored", "expected"), [(6, 6), (8, 8), (0, 1), (9, 1)])
def test_orientation_outside_1_to_8_reads_as_1(stored, expected) -> None:
    image = Image.new("RGB", (4, 2))
    exif = image.getexif()
    exif[ORIENTATION] = stored
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    assert read_exif(Image.open(io.BytesIO(buf.getvalue()))).orientation == expected
