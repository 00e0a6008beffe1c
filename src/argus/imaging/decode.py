"""Decoding: upload bytes in, a :class:`Picture` out, every limit checked before the costly step.

:func:`decode` is the one place an upload becomes pixels. In order: empty file (400), bytes over
``max_image_mb`` (413), the real format from magic bytes (415 for anything else), width*height
from the header against ``max_pixels`` (413, before any pixel is decoded: a 30000x30000 PNG bomb
costs nothing), then the decode itself, where a truncated or corrupt file is a 400 whatever
Pillow's global ``LOAD_TRUNCATED_IMAGES`` says. Pixels come out RGB uint8 with EXIF orientation
applied, alpha composited over white; with ``max_side`` a JPEG is decoded at reduced size (libjpeg
DCT scaling via ``draft``) and any image is resized so its longer side fits. :func:`iter_frames`
does the same for each frame of an animated GIF, WebP or PNG or a multi-picture MPO.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile

from argus.arrays import RGB
from argus.config import ImagingSettings
from argus.config.units import bytes_to_mb, mb_to_bytes
from argus.errors import ArgusError, InvalidImage, PayloadTooLarge
from argus.imaging.exif import ExifInfo, parse_orientation, read_exif
from argus.imaging.formats import (
    JPEG,
    MIME_TYPES,
    PNG,
    ImageFormat,
    header_size,
    jpeg_without_exif,
    sniff,
)
from argus.imaging.gifscan import count_frames
from argus.imaging.jpegscan import pixels_say_whole, scan_ends_early, sequential
from argus.plainwords import describe

# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose).
_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_BOMB_PIXELS_RE = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True)
class Picture:
    """One decoded image.

    Attributes:
        pixels: (h, w, 3) uint8 RGB, C-contiguous, read-only (copy before drawing on it), upright
            (EXIF orientation applied). Smaller than the original when decoded with ``max_side``.
        width: width of the original upright image, in pixels (full resolution).
        height: height of the original upright image, in pixels (full resolution).
        format: Pillow's format name: "JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF",
            "HEIF", "AVIF".
        mime: MIME type of the original bytes ("image/jpeg" for MPO too).
        sha256: hex SHA-256 of the original bytes (the cache key for results).
        exif: camera, capture time, GPS and orientation from EXIF.
        frame_count: frames in the file (1 for still images); ``pixels`` is frame 0.
        byte_size: length of the original bytes.
    """

    pixels: RGB
    width: int
    height: int
    format: str
    mime: str
    sha256: str
    exif: ExifInfo
    frame_count: int
    byte_size: int

    @property
    def scale_x(self) -> float:
        """Original width / decoded width: multiply x found on ``pixels`` by this."""
        return self.width / int(self.pixels.shape[1])

    @property
    def scale_y(self) -> float:
        """Original height / decoded height: multiply y found on ``pixels`` by this."""
        return self.height / int(self.pixels.shape[0])

    @property
    def scale(self) -> tuple[float, float]:
        """``(scale_x, scale_y)``, for ``detections.scaled(*picture.scale)``; (1, 1) if full."""
        return self.scale_x, self.scale_y

    @property
    def reduced(self) -> bool:
        """Whether ``pixels`` is smaller than the original."""
        return self.pixels.shape[:2] != (self.height, self.width)

    @property
    def animated(self) -> bool:
        return self.frame_count > 1


@dataclass(frozen=True)
class Header:
    """What an image file says about itself before any pixel is decoded (see :func:`read_header`).

    ``width``/``height`` are upright (EXIF orientation applied); the other fields are those of
    :class:`Picture` (no frame count: counting a GIF's frames reads them all).
    """

    width: int
    height: int
    format: str
    mime: str
    exif: ExifInfo
    byte_size: int


class Frame(NamedTuple):
    """One frame of an animated image: index from 0, RGB pixels, display time in ms if known."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, on purpose
    pixels: RGB
    duration_ms: float | None


def decode(data: bytes, limits: ImagingSettings, *, max_side: int | None = None) -> Picture:
    """Decode the first frame of an image upload, upright and RGB.

    Args:
        data: the uploaded bytes, whatever name or MIME type came with them.
        limits: bytes, pixels and frames allowed.
        max_side: when given, ``pixels`` is reduced so that its longer side is at most this
            (JPEGs decode directly at about that size); ``width``/``height`` stay the original's.

    Raises:
        InvalidImage: empty, truncated or corrupt (400).
        PayloadTooLarge: too many bytes or pixels (413).
        UnsupportedMediaType: not an image format Argus reads (415).
    """
    _check_max_side(max_side)
    image, fmt = _open(data, limits, scan=False)
    # a sequential JPEG's pixels show whether its data reached the last block (and the scan runs
    # only when they cannot tell); any other JPEG's cut-scan runs beside the pixel decode (both
    # release the GIL: about 0.7 ms less wait on a 512 px photo), its answer awaited before any
    # pixel is returned
    jpeg, scan = fmt is JPEG, None
    if jpeg and not sequential(data):
        scan = _scans().submit(scan_ends_early, data)
    whole = False
    try:
        with image, _decoder_errors(fmt):
            format_name = image.format or fmt.name
            frame_count = _frame_count(image, data, limits)
            exif, orientation = _exif_and_orientation(image, format_name)
            width, height = _upright_size(image.size, orientation)
            target = _fitted_size((width, height), max_side)
            if max_side is not None and format_name in ("JPEG", "MPO"):
                _draft(image, max_side)
            image.load()
            whole = jpeg and scan is None and pixels_say_whole(image)
            pixels = _finish(image, orientation, target)
    except ArgusError:
        _refuse_if_cut(data, fmt, scan, whole)  # a cut file is said to be cut, whatever the
        raise  # decoder said
    _refuse_if_cut(data, fmt, scan, whole)
    return Picture(
        pixels=pixels,
        width=width,
        height=height,
        format=format_name,
        mime=fmt.mime if fmt.name == "HEIF" else MIME_TYPES.get(format_name, fmt.mime),
        sha256=hashlib.sha256(data).hexdigest(),
        exif=exif,
        frame_count=frame_count,
        byte_size=len(data),
    )


def read_header(data: bytes, limits: ImagingSettings) -> Header:
    """Every check of :func:`decode` that needs no pixels, and what the header says.

    Bytes, format, pixel count and a truncated JPEG/PNG are refused exactly as by
    :func:`decode`; a file whose header reads but whose pixel data is corrupt passes here (only
    the decode finds that). Costs a header parse, not a decode: a cache lookup can come first.

    Raises:
        InvalidImage, PayloadTooLarge, UnsupportedMediaType: as :func:`decode`.
    """
    image, fmt = _open(data, limits)
    with image, _decoder_errors(fmt):
        format_name = image.format or fmt.name
        exif, orientation = _exif_and_orientation(image, format_name)
        width, height = _upright_size(image.size, orientation)
        return Header(
            width=width,
            height=height,
            format=format_name,
            mime=fmt.mime if fmt.name == "HEIF" else MIME_TYPES.get(format_name, fmt.mime),
            exif=exif,
            byte_size=len(data),
        )


def iter_frames(
    data: bytes, limits: ImagingSettings, *, max_side: int | None = None, step: int = 1
) -> Iterator[Frame]:
    """Every ``step``-th frame of an animated GIF, WebP, APNG, MPO or multi-page TIFF, from 0.

    A still image yields its one frame. Frames are composited as the format says (GIF disposal
    and transparency included), then made RGB over white, upright (the file's EXIF orientation)
    and reduced to ``max_side`` like :func:`decode`. All checks of :func:`decode` run, and the
    frame count against ``limits.max_frames``, when this is called, before the first frame. The
    frames in the file count, whatever ``step``: each GIF/APNG frame is drawn over the previous
    ones, so skipped frames are decoded too (just not converted or returned).

    Raises:
        PayloadTooLarge: more than ``limits.max_frames`` frames (413), or a limit of
            :func:`decode`; InvalidImage / UnsupportedMediaType as for :func:`decode`.
    """
    _check_max_side(max_side)
    if step < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    image, fmt = _open(data, limits)
    try:
        with _decoder_errors(fmt):
            frame_count = _frame_count(image, data, limits)
            _check_frame_budget(fmt, image.size, frame_count, step, limits)
            _, orientation = _exif_and_orientation(image, image.format or fmt.name)
    except BaseException:
        image.close()
        raise
    return _frames(image, fmt, limits, frame_count, orientation, max_side, step)


def to_rgb(image: Image.Image) -> Image.Image:
    """An RGB version of a Pillow image of any mode.

    Alpha (RGBA, LA, PA, palette with transparency) is composited over white; 16-bit and 32-bit
    grey is scaled to 8 bits; CMYK, YCbCr, LAB, grey and 1-bit use Pillow's conversions.
    """
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I") or mode == "F":
        grey = _grey_to_uint8(np.asarray(image), mode)
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "P" and "transparency" not in image.info:
        return image.convert("RGB")
    if mode in ("P", "PA", "LA", "La", "RGBA", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")


@cache
def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (pillow-heif); runs once per process."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _frames(
    image: ImageFile.ImageFile,
    fmt: ImageFormat,
    limits: ImagingSettings,
    frame_count: int,
    orientation: int,
    max_side: int | None,
    step: int,
) -> Iterator[Frame]:
    with image:
        for index in range(0, frame_count, step):
            with _decoder_errors(fmt, frame=index):
                image.seek(index)
                _check_pixels(image.size, limits)
                target = _fitted_size(_upright_size(image.size, orientation), max_side)
                if max_side is not None and frame_count == 1 and image.format == "JPEG":
                    _draft(image, max_side)  # MPO frames after the first break after draft
                image.load()
                duration = image.info.get("duration")
                pixels = _finish(image, orientation, target)
            yield Frame(index, pixels, None if duration is None else float(duration))


def _frame_count(image: Image.Image, data: bytes, limits: ImagingSettings) -> int:
    """Frames in the file; a GIF's from its blocks, counted no further than one past
    ``max_frames`` (Pillow's count reads every frame of a GIF first)."""
    if image.format == "GIF":
        return max(1, count_frames(data, limits.max_frames + 1))
    return int(getattr(image, "n_frames", 1))


def _check_frame_budget(
    fmt: ImageFormat, size: tuple[int, int], frames: int, step: int, limits: ImagingSettings
) -> None:
    """Frames in the file, frames kept after sampling and decoded pixels against their limits
    (413 naming the limit), before any frame is decoded."""
    if frames > limits.max_frames:
        raise PayloadTooLarge(
            f"The {fmt.label} file has more than {limits.max_frames} frames; "
            f"the limit is {limits.max_frames} (imaging.max_frames)",
            frames=frames,
            limit=limits.max_frames,
        )
    kept = -(-frames // step)
    if kept > limits.max_sampled_frames:
        raise PayloadTooLarge(
            f"The {fmt.label} file has {kept} frames to classify; one request classifies at most "
            f"{limits.max_sampled_frames} (imaging.max_sampled_frames; fast_mode samples fewer)",
            frames=kept,
            limit=limits.max_sampled_frames,
        )
    pixels = size[0] * size[1] * frames
    if pixels > limits.max_decoded_pixels:
        raise PayloadTooLarge(
            f"The {fmt.label} file decodes to {pixels / 1e6:.0f} MP over its {frames} frames; "
            f"the limit is {limits.max_decoded_pixels / 1e6:.0f} MP (imaging.max_decoded_pixels)",
            pixels=pixels,
            limit=limits.max_decoded_pixels,
        )


def _open(
    data: bytes, limits: ImagingSettings, *, scan: bool = True
) -> tuple[ImageFile.ImageFile, ImageFormat]:
    """Check bytes, format and header size; open lazily (no pixel decoded yet). ``scan=False``
    leaves the JPEG cut-scan to the caller (:func:`decode` runs it beside the decode)."""
    if not data:
        raise InvalidImage("The file is empty (0 bytes)")
    max_bytes = mb_to_bytes(limits.max_image_mb)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The file is {bytes_to_mb(len(data)):.1f} MB; "
            f"the limit is {limits.max_image_mb:.1f} MB",
            bytes=len(data),
            limit=max_bytes,
        )
    fmt = sniff(data)
    size = header_size(data, fmt)
    if size is not None:
        _check_pixels(size, limits)
    if _truncated(data, fmt, scan=scan):
        raise _cut(fmt)
    if fmt.name == "HEIF":
        register_heif()
    with _decoder_errors(fmt):
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt.name])
        except (OSError, SyntaxError, ValueError, UserWarning):
            # a corrupt EXIF block alone can stop Pillow (or warn, an error where warnings are
            # errors): read the pixels without it
            stripped = jpeg_without_exif(data) if fmt is JPEG else data
            if stripped is data:
                raise
            image = Image.open(io.BytesIO(stripped), formats=[fmt.name])
    try:
        _check_pixels(image.size, limits)
    except BaseException:
        image.close()
        raise
    return image, fmt


def _check_pixels(size: tuple[int, int], limits: ImagingSettings) -> None:
    width, height = size
    pixels = width * height
    if width < 1 or height < 1:
        raise InvalidImage(f"The image is {width}x{height} pixels, which is empty")
    if pixels > limits.max_pixels:
        raise PayloadTooLarge(
            f"The image is {width}x{height} pixels ({pixels / 1e6:.1f} MP); "
            f"the limit is {limits.max_pixels / 1e6:.1f} MP",
            pixels=pixels,
            limit=limits.max_pixels,
        )


def _cut(fmt: ImageFormat) -> InvalidImage:
    return InvalidImage(f"The {fmt.label} file is truncated or corrupt (it ends early)")


@cache
def _scans() -> ThreadPoolExecutor:
    """Threads for the JPEG cut-scans run beside pixel decodes (one per decode at once)."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="argus-jpegscan")


def _refuse_if_cut(data: bytes, fmt: ImageFormat, scan: Future[bool] | None, whole: bool) -> None:
    """Raise when a JPEG's data ends before its last block: the scan's answer (running, or run
    now) unless its pixels already showed it ``whole``."""
    if fmt is not JPEG or whole:
        return
    if scan.result() if scan is not None else scan_ends_early(data):
        raise _cut(fmt)


def _truncated(data: bytes, fmt: ImageFormat, *, scan: bool = True) -> bool:
    """A JPEG with no end-of-image after its last scan or whose scan data ends before its last
    block (cut, then given an end marker), or a PNG without IEND, ended early.

    Checked here so that a truncated file is refused even when some other code has set Pillow's
    process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES`` (and because libjpeg only warns, and pads
    with grey, when the data of a scan stops at an end marker). ``scan=False``: the marker checks
    only, the scan of the data being the caller's.
    """
    if fmt is JPEG:
        ends = data.rfind(b"\xff\xd9") < data.rfind(b"\xff\xda")
        return ends or (scan and scan_ends_early(data))
    if fmt is PNG:
        return data.rfind(b"IEND") == -1
    return False


@contextmanager
def _decoder_errors(fmt: ImageFormat, *, frame: int | None = None) -> Iterator[None]:
    """Map whatever the decoder raises on bad bytes to Argus errors."""
    try:
        yield
    except ArgusError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        match = _BOMB_PIXELS_RE.search(str(exc))
        size = f"{int(match.group(1)) / 1e6:.1f} MP" if match else "too large"
        raise PayloadTooLarge(f"The image is {size}, too large to decode safely") from exc
    except MemoryError as exc:
        raise PayloadTooLarge("The image is too large to decode in the memory available") from exc
    except Exception as exc:
        where = "" if frame is None else f" at frame {frame}"
        raise InvalidImage(
            f"The {fmt.label} file is truncated or corrupt{where} ({describe(exc)})",
            reason=describe(exc),
        ) from exc


def _exif_and_orientation(image: Image.Image, format_name: str) -> tuple[ExifInfo, int]:
    """EXIF of the file and the orientation still to apply to its decoded pixels."""
    exif = read_exif(image)
    if format_name == "HEIF":
        # libheif has applied the rotation already; report the file's own value
        original = parse_orientation(image.info.get("original_orientation"))
        return replace(exif, orientation=original), 1
    return exif, exif.orientation


def _draft(image: ImageFile.ImageFile, max_side: int) -> None:
    """Ask libjpeg for the smallest DCT scale (1/2, 1/4, 1/8) still covering ``max_side``.

    The requested size is in stored orientation, as ``image.size`` is; the longer side is the
    same before and after rotation, so the reduction is right whatever the EXIF orientation.
    """
    stored_w, stored_h = image.size
    longer = max(stored_w, stored_h)
    if longer <= max_side:
        return
    factor = max_side / longer
    image.draft("RGB", (math.ceil(stored_w * factor), math.ceil(stored_h * factor)))


def _upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """Stored ``(width, height)`` -> as displayed once EXIF ``orientation`` is applied."""
    return (size[1], size[0]) if orientation >= 5 else size


def _fitted_size(size: tuple[int, int], max_side: int | None) -> tuple[int, int] | None:
    """The size with the longer side ``max_side`` and the aspect ratio kept; None if it fits."""
    width, height = size
    if max_side is None or max(width, height) <= max_side:
        return None
    factor = max_side / max(width, height)
    return (
        max(1, min(max_side, round(width * factor))),
        max(1, min(max_side, round(height * factor))),
    )


def _finish(image: Image.Image, orientation: int, target: tuple[int, int] | None) -> RGB:
    """Loaded image -> upright RGB uint8 array, resized to ``target`` (w, h) when given.

    ``target`` is computed from the original size, not from the draft-reduced one, so a reduced
    decode has the same size whatever DCT scale libjpeg used.
    """
    rgb = to_rgb(image)
    transpose = _TRANSPOSE.get(orientation)
    if transpose is not None:
        rgb = rgb.transpose(transpose)
    if target is not None and rgb.size != target:
        rgb = rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    pixels.setflags(write=False)
    return pixels


def _grey_to_uint8(values: npt.NDArray[np.generic], mode: str) -> RGB:
    """Scale 16-bit, 32-bit or float grey to 0..255."""
    data = values.astype(np.float64)
    if mode.startswith("I;16"):
        return np.round(data / 257.0).astype(np.uint8)
    low, high = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
    if mode == "F" and low >= 0.0 and high <= 1.0:
        scaled = data * 255.0
    elif low >= 0.0 and high <= 255.0:
        scaled = data
    elif low >= 0.0 and high <= 65535.0:
        scaled = data / 257.0
    else:
        scaled = (data - low) * (255.0 / (high - low)) if high > low else data * 0.0
    return np.round(np.clip(scaled, 0, 255)).astype(np.uint8)


def _check_max_side(max_side: int | None) -> None:
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
