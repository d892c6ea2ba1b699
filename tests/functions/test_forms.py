"""The in-memory multipart reader: parts in order, caps enforced as the bytes arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from functions.errors import ApiError
from functions.forms import MAX_FIELD_BYTES, MAX_FIELDS, UploadedFile, read_multipart
from tests.functions.conftest import multipart_parts


async def chunks_of(body: bytes, size: int, seen: list[int]) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        seen.append(start)
        yield body[start : start + size]


def read(parts, *, chunk: int = 7, max_files: int = 4, max_file_bytes: int = 1000, seen: list | None = None):
    body, content_type = multipart_parts(parts)
    seen = [] if seen is None else seen
    return asyncio.run(
        read_multipart(
            chunks_of(body, chunk, seen),
            content_type,
            file_field="files",
            max_files=max_files,
            max_file_bytes=max_file_bytes,
        )
    )


def test_parts_come_back_in_order_whatever_the_chunking() -> None:
    parts = [
        ("files", ("a.wav", b"A" * 50, "audio/wav")),
        ("seed", "3"),
        ("files", ("b.mp3", b"\r\n--x", "audio/mpeg")),
    ]
    for chunk in (1, 3, 64, 10_000):
        form = read(parts, chunk=chunk)
        assert form.items == [
            ("files", UploadedFile("a.wav", "audio/wav", b"A" * 50)),
            ("seed", "3"),
            ("files", UploadedFile("b.mp3", "audio/mpeg", b"\r\n--x")),
        ]
        assert [f.filename for f in form.files] == ["a.wav", "b.mp3"]


def error_of(parts, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        read(parts, **kwargs)
    return info.value


def test_a_file_over_the_cap_stops_the_read_early() -> None:
    seen: list[int] = []
    parts = [("files", ("big.wav", b"x" * 50_000, "audio/wav"))]
    error = error_of(parts, max_file_bytes=1000, chunk=100, seen=seen)
    assert error.code == "input_too_large" and "big.wav" in error.detail
    assert len(seen) < 20  # about 1,000 bytes in, not 50,000


def test_too_many_files() -> None:
    parts = [("files", (f"{i}.wav", b"RIFF", "audio/wav")) for i in range(3)]
    assert error_of(parts, max_files=2).code == "too_many_inputs"


def test_too_many_or_too_long_fields() -> None:
    assert error_of([(f"f{i}", "1") for i in range(MAX_FIELDS + 1)]).code == "request_too_large"
    assert error_of([("urls", "h" * (MAX_FIELD_BYTES + 1))]).code == "request_too_large"


def test_huge_part_headers_are_refused() -> None:
    error = error_of([("files", ("n" * 20_000 + ".wav", b"RIFF", "audio/wav"))])
    assert error.code == "invalid_request" and "header" in error.detail


def test_a_file_under_another_name_is_refused() -> None:
    error = error_of([("upload", ("a.wav", b"RIFF", "audio/wav"))])
    assert error.code == "invalid_request" and "'upload'" in error.detail


def test_a_part_without_a_name_is_refused() -> None:
    body = b'--b\r\nContent-Disposition: form-data; filename="a.wav"\r\n\r\nRIFF\r\n--b--\r\n'

    async def one() -> AsyncIterator[bytes]:
        yield body

    with pytest.raises(ApiError) as info:
        asyncio.run(read_multipart(one(), "multipart/form-data; boundary=b", file_field="files", max_files=1,
                                   max_file_bytes=100))  # fmt: skip
    assert info.value.code == "invalid_request"
