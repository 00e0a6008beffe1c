"""Size units of the settings: fields named ``*_mb`` are mebibytes (2**20 bytes), written once."""

from __future__ import annotations

#: Bytes in one MB of a ``*_mb`` setting (a mebibyte).
MIB = 1024 * 1024


def mb_to_bytes(mb: float) -> int:
    """The byte count of a ``*_mb`` setting (whole bytes, rounded down)."""
    return int(mb * MIB)


def bytes_to_mb(size: float) -> float:
    """``size`` bytes in the MB of the settings, for messages."""
    return size / MIB
