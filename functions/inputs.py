"""From an HTTP request to the library's inputs: the options, and the songs as (name, bytes).

``/remix`` and ``/analyze`` take the same inputs: a JSON body with ``urls``, or a multipart form with
``files`` parts (and, as the page sends them, ``urls`` fields too), plus the options. Reading the body
is async and capped; fetching URLs blocks and runs in the route's worker thread (:func:`load_sources`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request
from pydantic import ValidationError

from functions.errors import ApiError, from_validation_error, shown_value
from functions.forms import UploadedFile, read_multipart
from functions.media import media_type_of, non_audio_reason
from functions.models import (
    ALLOWED_VALUES,
    FORM_FIELDS,
    JSON_FIELDS,
    MAX_URL_CHARS,
    RemixForm,
    RemixJSON,
    RemixOptions,
)
from functions.settings import Settings

MAX_JSON_BYTES = 64 * 1024
_MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers and option fields
# A body that drips holds a connection (and, locally, a place under the connection cap) for as long
# as its sender likes. It must keep coming: never BODY_IDLE_S without a byte, and after the first
# BODY_GRACE_S at least MIN_BODY_BYTES_PER_S on average (50 MB in under half an hour).
BODY_IDLE_S = 15.0
BODY_GRACE_S = 30.0
MIN_BODY_BYTES_PER_S = 32 * 1024


@dataclass(frozen=True)
class RemixInputs:
    """A parsed request: the options, and the songs in the order given, as URLs or uploaded files."""

    options: RemixOptions
    songs: tuple[str | UploadedFile, ...]

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(song for song in self.songs if isinstance(song, str))


async def read_remix_request(request: Request, settings: Settings) -> RemixInputs:
    """Read and validate a ``/remix`` or ``/analyze`` body; raises :class:`ApiError` for a bad one."""
    content_type = request.headers.get("content-type", "")
    media_type = media_type_of(content_type)
    if media_type in ("", "application/json") or media_type.endswith("+json"):
        body = await _read_all(request.stream(), limit=MAX_JSON_BYTES, declared=_declared_length(request))
        return _parse_json(body, settings)
    if media_type == "multipart/form-data":
        limit = min(
            settings.max_upload_bytes,
            settings.max_inputs * (settings.max_input_bytes + _MULTIPART_OVERHEAD_BYTES),
        )
        chunks = _capped(request.stream(), limit=limit, declared=_declared_length(request), upload=True)
        form = await read_multipart(
            chunks,
            content_type,
            file_field="files",
            max_files=settings.max_inputs,
            max_file_bytes=settings.max_input_bytes,
        )
        return _parse_form(form.items, max_inputs=settings.max_inputs)
    raise ApiError(
        "unsupported_media_type",
        f"A body of type {media_type} is not accepted: send application/json like "
        '{"urls": ["https://…/song.wav"]}, or multipart/form-data with one or more \'files\' parts.',
    )


def load_sources(inputs: RemixInputs, settings: Settings) -> list[tuple[str, bytes]]:
    """The songs as ``(name, bytes)`` in the order given: URLs fetched (blocking), uploads as they are."""
    fetched: list = []
    if inputs.urls:
        from functions.fetch import FetchPolicy, fetch_urls  # lazy: requests is 0.1 s of a cold start

        policy = FetchPolicy(max_bytes=settings.max_input_bytes, allow_private=settings.allow_private_urls)
        fetched = fetch_urls(inputs.urls, policy=policy, timeout_s=settings.fetch_timeout_s)
    by_url = iter(fetched)
    sources = []
    for i, song in enumerate(inputs.songs):
        if isinstance(song, str):
            item = next(by_url)
            sources.append((item.name, item.data))
        else:
            sources.append((song.filename or f"upload-{i + 1}", song.data))
    return sources


def _parse_json(body: bytes, settings: Settings) -> RemixInputs:
    try:
        model = RemixJSON.model_validate_json(body)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            huge = _huge_number(body)
            if huge:  # valid JSON, but a number too long for the parser: say which, and what's allowed
                raise ApiError("invalid_request", huge) from None
            raise ApiError(
                "invalid_json",
                'The body is not valid JSON: send an object like {"urls": ["https://…/song.wav"]}.',
            ) from None
        raise from_validation_error(exc, fields=JSON_FIELDS, allowed=ALLOWED_VALUES) from None
    if len(model.urls) > settings.max_inputs:
        raise ApiError(
            "too_many_inputs",
            f"{len(model.urls)} URLs were given; the limit is {settings.max_inputs} per request.",
        )
    options = RemixOptions.model_validate(model.model_dump(exclude={"urls"}))
    return RemixInputs(options=options, songs=tuple(model.urls))


def _parse_form(items: list[tuple[str, str | UploadedFile]], *, max_inputs: int) -> RemixInputs:
    fields: dict[str, str] = {}
    songs: list[str | UploadedFile] = []
    for name, value in items:
        if isinstance(value, UploadedFile):
            songs.append(value)
        elif name == "urls":
            if len(value.strip()) > MAX_URL_CHARS:  # the same limit as a JSON body's
                raise ApiError(
                    "invalid_request",
                    f"A URL is {len(value.strip())} characters long; the limit is {MAX_URL_CHARS}.",
                )
            if value.strip():
                songs.append(value.strip())
        elif name == "files":
            raise ApiError(
                "invalid_request", "'files' must be file parts (with a filename), not a text field."
            )
        elif name in fields:
            raise ApiError("invalid_request", f"The form field '{name}' is given more than once.")
        else:
            fields[name] = value
    try:
        options = RemixForm.model_validate(fields)
    except ValidationError as exc:
        raise from_validation_error(exc, fields=FORM_FIELDS, allowed=ALLOWED_VALUES) from None
    if not songs:
        raise ApiError("no_input", "No song was sent: send each song as a 'files' part of the form.")
    if len(songs) > max_inputs:
        raise ApiError(
            "too_many_inputs", f"{len(songs)} songs were given; the limit is {max_inputs} per request."
        )
    for upload in songs:
        if isinstance(upload, str):
            continue
        reason = non_audio_reason(upload.content_type, upload.data[:64])
        if reason:
            raise ApiError(
                "not_audio",
                f"{upload.filename or 'The uploaded file'} is {reason}, not audio: "
                "upload a WAV, FLAC, OGG or MP3 file.",
            )
    return RemixInputs(options=RemixOptions.model_validate(options.model_dump()), songs=tuple(songs))


class _Number(str):
    """A JSON number kept as its text, so a 5,000-digit one can be named rather than converted."""


def _huge_number(body: bytes) -> str | None:
    """If ``body`` is valid JSON with a number too long to convert, a message naming the field."""
    try:
        data = json.loads(body, parse_int=_Number, parse_float=_Number, parse_constant=_Number)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    longest = max(
        ((name, value) for name, value in data.items() if isinstance(value, _Number)),
        key=lambda item: len(item[1]),
        default=None,
    )
    if longest is None or len(longest[1]) < 100:
        return None
    name, value = longest
    allowed = ALLOWED_VALUES.get(name)
    use = f": use {allowed}" if allowed else ""
    return f"{name}={shown_value(str(value), number=True)} is not allowed{use}."


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not (value.strip().isascii() and value.strip().isdigit()):  # "²".isdigit() is True
        raise ApiError(
            "invalid_request", f"'Content-Length: {value}' is not a number of bytes: send the body's length."
        )
    return int(value)


async def _capped(
    chunks: AsyncIterator[bytes], *, limit: int, declared: int | None, upload: bool = False
) -> AsyncIterator[bytes]:
    """Pass the body through, refusing it as soon as it is (or says it will be) over ``limit`` bytes,
    or pauses or drips (:data:`BODY_IDLE_S`, :data:`MIN_BODY_BYTES_PER_S`)."""
    if declared is not None and declared > limit:
        raise _request_too_large(limit, upload=upload)
    total = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), BODY_IDLE_S)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise _too_slow(total, loop.time() - start) from None
        total += len(chunk)
        elapsed = loop.time() - start
        if elapsed > BODY_GRACE_S + total / MIN_BODY_BYTES_PER_S:
            raise _too_slow(total, elapsed)
        if total > limit:
            raise _request_too_large(limit, upload=upload)
        yield chunk


async def _read_all(chunks: AsyncIterator[bytes], *, limit: int, declared: int | None) -> bytes:
    body = bytearray()
    async for chunk in _capped(chunks, limit=limit, declared=declared):
        body += chunk
    return bytes(body)


def _too_slow(received: int, seconds: float) -> ApiError:
    return ApiError(
        "request_timeout",
        f"The request body came too slowly ({received:,} bytes in {seconds:.0f} s; a body must not pause "
        f"for {BODY_IDLE_S:g} s, and after {BODY_GRACE_S:g} s must average {MIN_BODY_BYTES_PER_S // 1024} "
        "KB/s): send it again on a steadier connection, or put the song on a public web server and send "
        "its URL instead.",
    )


def _request_too_large(limit: int, *, upload: bool = False) -> ApiError:
    if upload:
        return ApiError(
            "request_too_large",
            f"The upload is over {limit:,} bytes, more than one request can carry: upload a compressed "
            "file (MP3, OGG), or put the song on a public web server and send its URL instead.",
        )
    return ApiError(
        "request_too_large", f"The request body is over {limit:,} bytes, more than its inputs may take."
    )
