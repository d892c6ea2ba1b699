"""Read a ``multipart/form-data`` body into memory, under byte and count caps, without temp files.

Starlette's form parser spools file parts over 1 MB to temporary files (docs/ARCHITECTURE.md §8:
no temp files) and caps file parts only by count; this reader keeps every part in memory and stops as
soon as a cap is passed, before the rest of the body is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from functions.errors import ApiError

MAX_FIELD_BYTES = 4096  # option values are short; a URL is at most 2048 characters
MAX_FIELDS = 16


@dataclass(frozen=True)
class UploadedFile:
    """One file part: the name the browser gave it, its declared type and its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class FormBody:
    """The parsed form: every part as ``(name, value)`` in the order sent; files as :class:`UploadedFile`."""

    items: list[tuple[str, str | UploadedFile]] = field(default_factory=list)

    @property
    def files(self) -> list[UploadedFile]:
        return [value for _name, value in self.items if isinstance(value, UploadedFile)]


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str = ""
    data: bytearray = field(default_factory=bytearray)


class _Reader:
    """python-multipart callbacks that build a :class:`FormBody` and enforce the caps as bytes arrive."""

    def __init__(self, *, file_field: str, max_files: int, max_file_bytes: int) -> None:
        self.form = FormBody()
        self._file_field = file_field
        self._max_files = max_files
        self._max_file_bytes = max_file_bytes
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._fields_seen = 0
        self._files_seen = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._part = _Part()
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]  # python-multipart caps a part's header size

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise ApiError("invalid_request", "A multipart part has no name: send songs as 'files' parts.")
        part = self._part
        part.name = options[b"name"].decode("utf-8", "replace")
        part.content_type = self._headers.get(b"content-type", b"").decode("latin-1").strip()
        if b"filename" in options:
            part.filename = options[b"filename"].decode("utf-8", "replace")
            if part.name != self._file_field:
                raise ApiError(
                    "invalid_request",
                    f"unknown file field '{part.name}': send each song as a '{self._file_field}' part.",
                )
            self._files_seen += 1
            if self._files_seen > self._max_files:
                raise ApiError(
                    "too_many_inputs", f"More than {self._max_files} files: send at most {self._max_files}."
                )
        else:
            self._fields_seen += 1
            if self._fields_seen > MAX_FIELDS:
                raise ApiError("request_too_large", f"More than {MAX_FIELDS} form fields.")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        part.data += data[start:end]
        if part.filename is not None:
            if len(part.data) > self._max_file_bytes:
                raise ApiError(
                    "input_too_large",
                    f"{part.filename or 'An uploaded file'} is more than {self._max_file_bytes:,} bytes, the "
                    "limit per input: upload a shorter or compressed file (MP3, OGG).",
                )
        elif len(part.data) > MAX_FIELD_BYTES:
            raise ApiError(
                "request_too_large", f"The form field '{part.name}' is longer than {MAX_FIELD_BYTES} bytes."
            )

    def on_part_end(self) -> None:
        part = self._part
        if part.filename is not None:
            self.form.items.append(
                (part.name, UploadedFile(part.filename, part.content_type, bytes(part.data)))
            )
        else:
            self.form.items.append((part.name, part.data.decode("utf-8", "replace")))


async def read_multipart(
    chunks: AsyncIterator[bytes],
    content_type: str,
    *,
    file_field: str,
    max_files: int,
    max_file_bytes: int,
) -> FormBody:
    """Parse a multipart body streamed as ``chunks``; file parts must be named ``file_field``.

    Raises :class:`ApiError`: ``input_too_large`` for a file over ``max_file_bytes``,
    ``too_many_inputs`` past ``max_files``, ``request_too_large`` past :data:`MAX_FIELDS` text fields
    or :data:`MAX_FIELD_BYTES` in one, ``invalid_request`` for malformed multipart.
    """
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError("invalid_request", "The multipart/form-data body has no boundary in its Content-Type.")
    reader = _Reader(file_field=file_field, max_files=max_files, max_file_bytes=max_file_bytes)
    try:
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except (MultipartParseError, ValueError) as exc:
        raise ApiError("invalid_request", f"The multipart/form-data body is malformed ({exc}).") from None
    return reader.form
