"""Image formats recognised from their first bytes, never from a file name or a declared MIME type.

:func:`sniff` reads the magic bytes of an upload and answers the format Argus will decode it as
(JPEG, PNG, GIF, WebP, BMP, TIFF, HEIF or AVIF), or raises
:class:`~argus.errors.UnsupportedMediaType` with a message that says what the bytes look like
instead (text, a PDF, a video, an archive, ...). :func:`header_size` reads the width and height
straight from the header of the common formats, so that a decompression bomb is refused before any
image library allocates anything for it. Both are pure functions of the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache

from argus.errors import UnsupportedMediaType


@dataclass(frozen=True)
class ImageFormat:
    """A format Argus reads.

    Attributes:
        name: Pillow's name for the format, also the name passed to ``Image.open(formats=...)``
            ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "HEIF", "AVIF").
        mime: the MIME type of files of this format.
        label: how a person names it in messages ("JPEG", "WebP", "HEIC/HEIF", ...).
    """

    name: str
    mime: str
    label: str


JPEG = ImageFormat("JPEG", "image/jpeg", "JPEG")
PNG = ImageFormat("PNG", "image/png", "PNG")
GIF = ImageFormat("GIF", "image/gif", "GIF")
WEBP = ImageFormat("WEBP", "image/webp", "WebP")
BMP = ImageFormat("BMP", "image/bmp", "BMP")
TIFF = ImageFormat("TIFF", "image/tiff", "TIFF")
HEIC = ImageFormat("HEIF", "image/heic", "HEIC/HEIF")
HEIF = ImageFormat("HEIF", "image/heif", "HEIC/HEIF")
AVIF = ImageFormat("AVIF", "image/avif", "AVIF")

SUPPORTED: tuple[ImageFormat, ...] = (JPEG, PNG, GIF, WEBP, BMP, TIFF, HEIF, AVIF)

# Pillow's format names (as ``Image.format`` reports them) -> MIME type. MPO (multi-picture JPEG,
# from 3D and some phone cameras) is served as image/jpeg: every JPEG reader shows its first frame.
MIME_TYPES: dict[str, str] = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "DIB": "image/bmp",
    "TIFF": "image/tiff",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
}

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2", b"miaf"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_VIDEO_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"qt  "}
)
_BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def supported_labels() -> str:
    """The formats Argus reads, for messages: "JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC/HEIF, AVIF"."""
    return ", ".join(f.label for f in SUPPORTED)


def sniff(data: bytes) -> ImageFormat:
    """The image format of ``data`` from its magic bytes.

    MPO files are JPEGs and sniff as :data:`JPEG`; the decoder reports "MPO" once it has seen their
    multi-picture index. HEIF containers sniff as :data:`HEIC` when an HEVC brand is present,
    :data:`AVIF` for AV1 brands, else :data:`HEIF`.

    Raises:
        UnsupportedMediaType: the bytes are not an image of a supported format; the message says
            what they look like.
    """
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if head[:2] == b"BM" and len(head) >= 18:
        (info_size,) = struct.unpack_from("<I", head, 14)
        if info_size in _BMP_HEADER_SIZES:
            return BMP
    brands = _ftyp_brands(data)
    if brands:
        if brands[0] in _AVIF_BRANDS or (
            _AVIF_BRANDS & set(brands) and not _HEIC_BRANDS & set(brands)
        ):
            if not _avif_readable():
                raise UnsupportedMediaType(
                    "The file is an AVIF image, which this installation of Argus cannot decode; "
                    f"supported: {', '.join(f.label for f in SUPPORTED if f is not AVIF)}",
                    detected="avif",
                )
            return AVIF
        if _HEIC_BRANDS & set(brands):
            return HEIC
        if _HEIF_BRANDS & set(brands):
            return HEIF
    raise UnsupportedMediaType(
        f"The file is not an image Argus reads (looks like {describe(data)}); "
        f"supported: {supported_labels()}",
        detected=describe(data),
    )


def describe(data: bytes) -> str:
    """A few words on what non-image bytes look like, for error messages ("text", "a PDF", ...)."""
    head = data[:64]
    if not data:
        return "an empty file"
    brands = _ftyp_brands(data)
    if brands and (_VIDEO_BRANDS & set(brands)):
        return "an MP4/MOV video"
    if brands:
        return f"an ISO media file of brand {brands[0].decode('latin-1').strip()!r}"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "an AVI video"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "a Matroska/WebM video"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head[:4] == b"PK\x03\x04":
        return "a ZIP archive or office document"
    if head[:2] == b"\x1f\x8b":
        return "a gzip archive"
    if head[:4] == b"\x00\x00\x01\x00":
        return "an icon file"
    if _is_text(data[:4096]):
        text = data[:4096].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n").lower()
        if text.startswith("<svg") or (text.startswith("<?xml") and "<svg" in text):
            return "an SVG drawing, which Argus does not rasterise"
        if text.startswith(("<!doctype html", "<html")):
            return "an HTML page"
        return "text"
    return "unknown binary data"


def header_size(data: bytes, fmt: ImageFormat) -> tuple[int, int] | None:
    """``(width, height)`` read from the header of a PNG, GIF, BMP, WebP or JPEG file.

    The size is the stored one (before EXIF orientation); width*height is what a decoder would
    allocate. Returns None for other formats or when the header cannot be parsed: the decoder's
    own header parse then decides.
    """
    try:
        if fmt is PNG and data[12:16] == b"IHDR":
            w, h = struct.unpack_from(">II", data, 16)
            return int(w), int(h)
        if fmt is GIF:
            w, h = struct.unpack_from("<HH", data, 6)
            return int(w), int(h)
        if fmt is BMP:
            (info_size,) = struct.unpack_from("<I", data, 14)
            if info_size == 12:
                w, h = struct.unpack_from("<HH", data, 18)
            else:
                w, h = struct.unpack_from("<ii", data, 18)
            return abs(int(w)), abs(int(h))
        if fmt is WEBP:
            return _webp_size(data)
        if fmt is JPEG:
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def jpeg_without_exif(data: bytes) -> bytes:
    """The JPEG with its EXIF (APP1 ``Exif``) segments removed; other bytes unchanged.

    Used to read the pixels of a photo whose EXIF block is too corrupt for the decoder to open.
    Returns ``data`` itself when there is nothing to remove or the header cannot be walked.
    """
    out = [data[:2]]
    i, n, removed = 2, len(data), False
    while i + 4 <= n and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:
            out.append(data[i : i + 1])
            i += 1
            continue
        if marker in (0xD8, 0xD9, 0xDA) or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            break  # the scan or a standalone marker: leave the rest untouched
        (length,) = struct.unpack_from(">H", data, i + 2)
        segment = data[i : i + 2 + length]
        if marker == 0xE1 and segment[4:10] == b"Exif\x00\x00":
            removed = True
        else:
            out.append(segment)
        i += 2 + length
    if not removed:
        return data
    out.append(data[i:])
    return b"".join(out)


def _ftyp_brands(data: bytes) -> list[bytes]:
    """Major then compatible brands of an ISO-BMFF ``ftyp`` box at the start of ``data``."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return []
    (box_size,) = struct.unpack_from(">I", data, 0)
    end = min(max(box_size, 16), len(data), 256)
    brands = [data[8:12]]
    brands += [data[i : i + 4] for i in range(16, end - 3, 4)]
    return brands


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack_from("<HH", data, 26)
        return w & 0x3FFF, h & 0x3FFF
    return None


def jpeg_frame(data: bytes) -> tuple[int, int] | None:
    """``(marker, offset)`` of a JPEG's first start-of-frame segment (0xC0..0xCF, not DHT, JPG
    or DAC), walking the markers before it; None when the scan or the end comes first."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return marker, i
        (length,) = struct.unpack_from(">H", data, i + 2)
        i += 2 + length
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first start-of-frame marker of a JPEG."""
    frame = jpeg_frame(data)
    if frame is None or frame[1] + 9 > len(data):
        return None
    h, w = struct.unpack_from(">HH", data, frame[1] + 5)
    return int(w), int(h)


def _is_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            return False
        text = sample[: exc.start].decode("utf-8")
    if not text:
        return False
    printable = sum(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    return printable / len(text) > 0.95


@cache
def _avif_readable() -> bool:
    from PIL import features

    return bool(features.check("avif"))
