"""Every error the API answers with, mapped to HTTP in one place.

Errors are JSON ``{"detail": "<what was wrong and what to do>", "code": "<stable_machine_code>"}``.
Routes and the fetcher raise :class:`ApiError` (or :class:`functions.fetch.FetchError`, which is one)
with a code from :data:`STATUS_BY_CODE`; library errors are converted by :func:`from_library_error`.
The handlers below are installed by :func:`functions.app.create_app`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)

#: Stable codes and their HTTP status. Clients switch on the code; the detail is for people.
STATUS_BY_CODE: dict[str, int] = {
    # The request itself.
    "invalid_json": 400,  # the body is not JSON
    "invalid_request": 422,  # wrong shape, missing or unknown field, value out of range
    "no_input": 422,  # no URL and no file
    "too_many_inputs": 422,  # more than MAX_INPUTS
    "unsupported_format": 422,  # format is not one of wav, flac, ogg, mp3
    "unsupported_media_type": 415,  # the body is neither JSON nor multipart/form-data
    "invalid_event": 400,  # (Lambda) the event is not an HTTP request Mangum can read
    "request_too_large": 413,  # the body is larger than the inputs it may carry
    "request_timeout": 408,  # the body paused too long, or came too slowly (functions.inputs)
    "cors_refused": 400,  # a browser's preflight from an origin (or with a method) not allowed
    # URLs and what they return.
    "invalid_url": 400,  # not http(s), credentials in it, no host
    "url_refused": 400,  # the host is not a public address
    "fetch_failed": 502,  # the remote answered with an error, or could not be reached
    "too_many_redirects": 502,
    "fetch_timeout": 504,
    # Inputs.
    "input_too_large": 413,  # more than MAX_INPUT_BYTES
    "not_audio": 415,  # an HTML page, a text or image file
    # From the library (musicremixer.errors).
    "invalid_parameter": 422,
    "undecodable_audio": 415,
    "input_too_long": 413,
    "too_many_samples": 413,  # more audio (seconds x rate x channels) than a remix may decode or keep
    "not_remixable": 422,
    "remix_error": 422,
    # The response.
    "response_too_large": 413,  # the remix would not fit MAX_RESPONSE_BYTES
    # Routing, and the last resort.
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "internal_error": 500,
}


class ApiError(Exception):
    """An error answered as ``{"detail", "code"}`` with the status :data:`STATUS_BY_CODE` gives."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(detail)
        self.code = code
        self.detail = detail

    @property
    def status_code(self) -> int:
        return STATUS_BY_CODE[self.code]


def from_library_error(exc: Exception) -> ApiError:
    """Convert a :class:`musicremixer.MusicRemixerError` (its message already says what to do)."""
    code = getattr(exc, "code", "remix_error")
    return ApiError(code if code in STATUS_BY_CODE else "remix_error", str(exc))


def from_validation_error(
    exc: ValidationError | RequestValidationError,
    *,
    fields: tuple[str, ...],
    allowed: Mapping[str, str] | None = None,
) -> ApiError:
    """Turn pydantic's errors into one sentence per problem, with the most specific code.

    ``fields`` are the request's field names, listed when an unknown one was sent. ``allowed``
    says in words what each option accepts: a refusal names the value sent and what is allowed.
    """
    problems: list[str] = []
    code = "invalid_request"
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part != "body"]
        name = str(loc[0]) if loc else ""
        kind = error.get("type", "")
        if name == "format" and kind in ("literal_error", "enum", "string_type"):
            code = "unsupported_format"
            problems.append(f"format={error.get('input')!r} is not supported: use one of {_ctx_list(error)}")
        elif kind == "missing":
            problems.append(f"'{name}' is required")
        elif kind == "extra_forbidden":
            problems.append(f"unknown field '{name}' (the fields are {', '.join(fields)})")
        elif name == "urls" and kind == "too_short":
            code = "no_input" if code == "invalid_request" else code
            problems.append("'urls' is empty: give at least one URL")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            problems.append('the body must be a JSON object such as {"urls": ["https://…/song.wav"]}')
        elif len(loc) == 1 and allowed and name in allowed and "input" in error:
            reason = str(error.get("msg", "")).removeprefix("Value error, ") if kind == "value_error" else ""
            because = f" ({reason})" if reason else ""
            shown = shown_value(error["input"])
            problems.append(f"{name}={shown} is not allowed{because}: use {allowed[name]}")
        else:
            where = ".".join(str(part) for part in loc)
            problems.append(
                f"{where}: {error.get('msg', 'invalid value')}" if where else error.get("msg", "")
            )
    return ApiError(code, "; ".join(problems) + "." if problems else "The request is not valid.")


def shown_value(value: Any, *, number: bool = False) -> str:
    """A value as a message quotes it: short ones whole, a 5,000-digit number by its length.

    Strings are quoted unless ``number`` says the text is a number's (as JSON spelled it).
    """
    text = str(value).lower() if number or not isinstance(value, str) else repr(value)
    if len(text) <= 24:
        return text
    digits = sum(c.isdigit() for c in text)
    if number or digits == len(text.strip("'-+")):
        return f"{text[:10]}… (a number of {digits:,} digits)"
    return f"{text[:20]}… ({len(text):,} characters)"


def _ctx_list(error: Any) -> str:
    expected = (error.get("ctx") or {}).get("expected", "")
    return expected.replace("'", "") or "wav, flac, ogg, mp3"


def error_response(code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one shape of every error body."""
    return JSONResponse({"detail": detail, "code": code}, status_code=STATUS_BY_CODE[code], headers=headers)


async def handle_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.detail)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = from_validation_error(exc, fields=())
    return error_response(error.code, error.detail)


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    """Routing errors (404, 405) from Starlette, in the same JSON shape."""
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}.get(exc.status_code)
    if code is None:  # a status we have no code for: keep it, still as JSON
        return JSONResponse(
            {"detail": str(exc.detail), "code": f"http_{exc.status_code}"},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    allowed = next((value for name, value in (exc.headers or {}).items() if name.lower() == "allow"), "")
    detail = {
        "not_found": f"There is no {request.url.path}: see {request.scope.get('root_path', '')}/docs for the "
        "endpoints.",
        "method_not_allowed": f"{request.method} is not allowed on {request.url.path}"
        + (f": use {allowed}." if allowed else "."),
    }.get(code, str(exc.detail))
    return error_response(code, detail, headers=exc.headers)


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug, not bad input: log it, answer JSON rather than a platform error page."""
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response("internal_error", "Something went wrong on our side; please try again.")
