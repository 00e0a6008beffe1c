"""HeaderMemo: a bounded least-recently-used map of upload headers by SHA-256."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from argus.config import ImagingSettings
from argus.imaging import read_header
from argus.imaging.header_memo import HeaderMemo


def _png(width: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, 8), (10, 20, 30)).save(buf, "PNG")
    return buf.getvalue()


def _entry(width: int) -> tuple[str, object]:
    data = _png(width)
    return hashlib.sha256(data).hexdigest(), read_header(data, ImagingSettings())


def test_a_header_put_is_found_by_its_hash_and_others_are_not() -> None:
    memo = HeaderMemo(max_entries=4)
    key, header = _entry(16)
    memo.put(key, header)  # type: ignore[arg-type]
    found = memo.get(key)
    assert found is header and found.width == 16
    assert memo.get(hashlib.sha256(b"other").hexdigest()) is None


def test_the_least_recently_used_header_goes_first() -> None:
    memo = HeaderMemo(max_entries=2)
    (a, ha), (b, hb), (c, hc) = _entry(10), _entry(11), _entry(12)
    memo.put(a, ha)  # type: ignore[arg-type]
    memo.put(b, hb)  # type: ignore[arg-type]
    assert memo.get(a) is ha  # a is now the most recently used
    memo.put(c, hc)  # type: ignore[arg-type]
    assert len(memo) == 2
    assert memo.get(b) is None
    assert memo.get(a) is ha and memo.get(c) is hc


def test_zero_entries_keeps_nothing() -> None:
    memo = HeaderMemo(max_entries=0)
    key, header = _entry(9)
    memo.put(key, header)  # type: ignore[arg-type]
    assert len(memo) == 0 and memo.get(key) is None
