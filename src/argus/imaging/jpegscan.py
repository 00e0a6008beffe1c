"""Whether a JPEG's entropy-coded data covers the whole picture (a cut file with an end marker).

A JPEG cut short and given an end-of-image marker (``FF D9``) looks whole to a marker walk: it
has its scan and its end marker. libjpeg (through Pillow or OpenCV) then only warns ("premature
end of data segment") and pads the missing blocks with grey, which nobody upstream can see.
:func:`scan_ends_early` runs FFmpeg's JPEG decoder (PyAV, already a dependency for video) with
error detection set to ``explode`` and at 1/8 size (``lowres``: the Huffman data is all read,
the inverse DCT mostly skipped), so running out of data before the last block is an error.
Only Huffman-coded frames (baseline, extended, progressive) are checked: FFmpeg does not read
arithmetic-coded or lossless JPEGs, which Pillow decodes and judges on its own. A sequential
JPEG that Pillow has decoded usually needs no second pass: :func:`pixels_say_whole` reads the
padding libjpeg would have left in its last block.
"""

from __future__ import annotations

from PIL import Image

from argus.imaging.formats import jpeg_frame

# start-of-frame markers of Huffman-coded, DCT-based JPEGs: baseline, extended, progressive
_HUFFMAN_DCT = frozenset({0xC0, 0xC1, 0xC2})
# the sequential ones: one scan, every block decoded once, in order
_SEQUENTIAL = frozenset({0xC0, 0xC1})
#: What libjpeg leaves where the data ran out: every coefficient zero, which is mid-grey.
_PADDING = 128


def frame_marker(data: bytes) -> int | None:
    """The first start-of-frame marker (0xC0..0xCF, not DHT/JPG/DAC) of a JPEG, if any."""
    frame = jpeg_frame(data)
    return frame[0] if frame is not None else None


def scan_ends_early(data: bytes) -> bool:
    """True when the first picture's entropy-coded data stops before its last block.

    False for a whole file and for JPEGs this check does not cover (see the module docstring).
    """
    if frame_marker(data) not in _HUFFMAN_DCT:
        return False
    import av  # here: PyAV is not needed to start the server
    import av.error

    context = av.CodecContext.create("mjpeg", "r")
    context.thread_count = 1
    context.options = {"err_detect": "explode", "lowres": "3"}
    try:
        frames = context.decode(av.Packet(data))
        frames += context.decode(None)
    except av.error.FFmpegError:
        return True
    return not frames


def sequential(data: bytes) -> bool:
    """Whether the JPEG is baseline or extended sequential (Huffman-coded, one scan)."""
    return frame_marker(data) in _SEQUENTIAL


def pixels_say_whole(image: Image.Image) -> bool:
    """Whether the decoded pixels of a sequential JPEG show that its data reached the last block.

    When the data of a sequential scan runs out, libjpeg leaves every block after that point
    at zero, which decodes to exactly 128 in every channel, down to the last block at the
    bottom right. A bottom-right corner that is not exactly that grey was decoded from data, so
    the file is whole and :func:`scan_ends_early` need not run (about 1 ms of CPU per photo); a
    corner of exactly that grey says nothing either way (a grey photo), and the scan decides.
    Only for L and RGB pixels of a loaded image (a CMYK JPEG's padding is not that grey).
    """
    if image.mode not in ("L", "RGB"):
        return False
    width, height = image.size
    corner = image.crop((max(0, width - 2), max(0, height - 2), width, height)).tobytes()
    return any(value != _PADDING for value in corner)
