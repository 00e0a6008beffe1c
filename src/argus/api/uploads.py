"""Reading an uploaded file without reading past a byte limit.

A multipart part is spooled to disk by the framework and may be far larger than the route
accepts; :func:`read_bounded` never reads more than one byte past the limit, which is enough to
tell "over" from "exactly at the limit".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Upload(Protocol):
    """What is read of an upload (FastAPI's ``UploadFile`` is one)."""

    @property
    def size(self) -> int | None: ...

    async def read(self, size: int = -1) -> bytes: ...


async def read_bounded(
    upload: Upload, max_bytes: int, too_large: Callable[[int], Exception] | None = None
) -> bytes:
    """The upload's bytes, at most ``max_bytes + 1`` of them.

    With ``too_large``, an upload over ``max_bytes`` raises ``too_large(size)``: before reading
    when the client declared the size, else after reading one byte past the limit. Without it
    the caller gets the ``max_bytes + 1`` bytes and its own check (decode's 413, a seed's
    message) speaks.
    """
    if too_large is not None and upload.size is not None and upload.size > max_bytes:
        raise too_large(upload.size)
    data = await upload.read(max_bytes + 1)
    if too_large is not None and len(data) > max_bytes:
        raise too_large(len(data))
    return data
