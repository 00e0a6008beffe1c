"""The picture an LLM provider is sent: a JPEG no larger than the configured side.

Captions (analysis) and photo categories (classify) both send one; the size bound keeps the
request small and the provider's token count predictable.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from argus.imaging.encode import encode

#: JPEG quality of the pictures sent to a provider.
QUALITY = 90


def jpeg_for_llm(pixels: npt.NDArray[np.uint8], max_side: int) -> bytes:
    """The image as a JPEG whose longer side is at most ``max_side`` pixels (never enlarged)."""
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return encode(np.asarray(image), "JPEG", quality=QUALITY)
