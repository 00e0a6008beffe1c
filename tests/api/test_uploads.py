"""The bounded upload read on Starlette's own UploadFile, and the MB of the settings."""

from __future__ import annotations

import asyncio
import io

import pytest
from starlette.datastructures import UploadFile

from argus.api.uploads import read_bounded
from argus.config.units import MIB, bytes_to_mb, mb_to_bytes
from argus.errors import PayloadTooLarge

DATA = bytes(range(256)) * 40  # 10240 bytes


def upload(data: bytes, *, declared: bool = True) -> UploadFile:
    return UploadFile(io.BytesIO(data), size=len(data) if declared else None, filename="x.bin")


def too_large(size: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"{size} bytes")


def test_a_file_within_the_limit_is_read_whole() -> None:
    assert asyncio.run(read_bounded(upload(DATA), len(DATA), too_large)) == DATA


def test_without_a_refusal_the_caller_gets_one_byte_past_the_limit_and_no_more() -> None:
    f = upload(DATA)
    assert asyncio.run(read_bounded(f, 1000)) == DATA[:1001]
    assert f.file.tell() == 1001


def test_a_declared_size_over_the_limit_is_refused_before_reading() -> None:
    f = upload(DATA)
    with pytest.raises(PayloadTooLarge, match="10240 bytes"):
        asyncio.run(read_bounded(f, 1000, too_large))
    assert f.file.tell() == 0


def test_an_undeclared_size_is_refused_after_one_byte_past_the_limit() -> None:
    f = upload(DATA, declared=False)
    with pytest.raises(PayloadTooLarge, match="1001 bytes"):
        asyncio.run(read_bounded(f, 1000, too_large))
    assert f.file.tell() == 1001


def test_megabytes_are_mebibytes() -> None:
    assert MIB == 1_048_576
    assert mb_to_bytes(1.5) == 1_572_864
    assert mb_to_bytes(0) == 0
    assert bytes_to_mb(3 * MIB) == 3.0
