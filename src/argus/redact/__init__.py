"""Redaction: hide regions of an image by cover image, blur, pixelation or solid fill.

``redact(image, quads, mode)`` returns a new image of the same size; ``box_quads`` turns
axis-aligned boxes into quads; ``load_cover`` gives the default or a user cover image.
"""

from __future__ import annotations

from argus.redact.apply import MODES, Mode, box_quads, redact
from argus.redact.cover import Cover, default_cover, draw_default, load_cover

__all__ = [
    "MODES",
    "Cover",
    "Mode",
    "box_quads",
    "default_cover",
    "draw_default",
    "load_cover",
    "redact",
]
