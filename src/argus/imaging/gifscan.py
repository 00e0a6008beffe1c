"""Count a GIF's frames from its block structure, stopping at a limit, without decoding.

Pillow's ``n_frames`` on a GIF seeks through every frame (it decodes nothing, but it parses
every block and builds every frame's palette): an 18 MB GIF of 1.2 million one-pixel frames
costs seconds before a frame limit can refuse it. :func:`count_frames` walks the blocks itself
(header, colour tables, extensions, image descriptors, data sub-blocks) and stops as soon as it
has counted ``stop_after`` frames, so refusing an over-long GIF costs microseconds per frame up
to the limit and nothing beyond it.
"""

from __future__ import annotations

_IMAGE = 0x2C
_EXTENSION = 0x21
_TRAILER = 0x3B


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Position after a chain of data sub-blocks (length byte, bytes; a 0 length ends it)."""
    end = len(data)
    while pos < end:
        size = data[pos]
        pos += 1
        if size == 0:
            return pos
        pos += size
    return end


def count_frames(data: bytes, stop_after: int) -> int:
    """Frames (image descriptors) in a GIF, counting no further than ``stop_after``.

    A file cut short or with an unknown block counts the frames seen until then (the decoder
    reports the damage when it reads them). ``data`` must start with ``GIF87a``/``GIF89a``.
    """
    if len(data) < 13 or data[:3] != b"GIF":
        return 0
    pos = 13
    packed = data[10]
    if packed & 0x80:
        pos += 3 << ((packed & 0x07) + 1)
    frames = 0
    end = len(data)
    while pos < end and frames < stop_after:
        block = data[pos]
        if block == _IMAGE:
            if pos + 10 > end:
                break
            local = data[pos + 9]
            pos += 10
            if local & 0x80:
                pos += 3 << ((local & 0x07) + 1)
            pos += 1  # LZW minimum code size
            pos = _skip_sub_blocks(data, pos)
            frames += 1
        elif block == _EXTENSION:
            pos = _skip_sub_blocks(data, pos + 2)
        else:  # trailer, or bytes that are not a block
            break
    return frames
