"""`HeaderMemo`: the headers of recently seen uploads, by the SHA-256 of their bytes.

Reading a header (Pillow's parser, EXIF) costs about as much as the rest of a cached answer; the
header is a function of the bytes alone (for fixed limits), so an upload seen before is answered
from this bounded least-recently-used map. Only headers that were read without error are kept.
"""

from __future__ import annotations

from collections import OrderedDict

from argus.imaging.decode import Header


class HeaderMemo:
    """At most ``max_entries`` headers, the least recently used dropped first (0: keeps none)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._headers: OrderedDict[str, Header] = OrderedDict()

    def __len__(self) -> int:
        return len(self._headers)

    def get(self, sha256: str) -> Header | None:
        header = self._headers.get(sha256)
        if header is not None:
            self._headers.move_to_end(sha256)
        return header

    def put(self, sha256: str, header: Header) -> None:
        if self.max_entries <= 0:
            return
        self._headers[sha256] = header
        self._headers.move_to_end(sha256)
        while len(self._headers) > self.max_entries:
            self._headers.popitem(last=False)
