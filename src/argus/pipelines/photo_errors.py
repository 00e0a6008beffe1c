"""Why the photo-category pipeline refuses an upload: every refusal is a 400, as in seed 000.

Each error keeps the facts (sizes, formats, the imaging error's reason) and says them in Argus's
English; seed 000's Chinese texts for them are :mod:`argus.api.seeds.category`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from argus.config.units import bytes_to_mb
from argus.errors import InvalidImage


class ImageTooLarge(InvalidImage):
    """The upload is over ``classify.max_image_mb`` (``size`` bytes), or its pixels are over an
    imaging limit (``size`` None, ``reason`` says which)."""

    def __init__(self, *, limit_mb: float, size: int | None = None, reason: str = "") -> None:
        if size is not None:
            reason = f"{bytes_to_mb(size):.2f} MB, at most {limit_mb:g} MB"
        super().__init__(f"The image is too large: {reason}")
        self.size = size
        self.limit_mb = limit_mb
        self.reason = reason


class FormatNotAllowed(InvalidImage):
    """The image's format is not one of ``classify.allowed_formats``."""

    def __init__(self, format: str, allowed: Sequence[str]) -> None:
        super().__init__(f"{format} images are not accepted; allowed: {', '.join(allowed)}")
        self.format = format
        self.allowed = list(allowed)


class UnreadableImage(InvalidImage):
    """The bytes are no image Argus can read (``reason`` is the imaging error's message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Not a readable image: {reason}")
        self.reason = reason
