"""The function's limits and switches, read from ``MUSICREMIXER_*`` environment variables.

A :class:`Settings` is built once per app (:func:`functions.app.create_app`) and reached by routes
through the one dependency :func:`get_settings`; nothing here is module-level mutable state, so tests
build apps with any settings side by side.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from fastapi import Request

PREFIX = "MUSICREMIXER_"

#: Lambda's buffered response is 6 MB (6,291,456 bytes) and binary bodies travel base64-encoded
#: (4/3 larger). 4.5 MB of audio is 6.0 MB as base64, leaving room for headers and the envelope.
LAMBDA_BINARY_BYTES = 4_500_000
#: Lambda's request is 6 MB too, and uploads arrive base64-encoded: about 4.4 MB of files.
LAMBDA_UPLOAD_BYTES = 4_400_000
#: A local server's response cap: a full-length WAV of the longest request the defaults accept
#: (4 songs of 10 minutes, 48 kHz stereo 16-bit: 461 MB), as the original service returned it.
LOCAL_RESPONSE_BYTES = 500_000_000


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Limits in force; every field is reported by ``GET /limits``.

    The defaults are a local server's (``musicremixer serve``: the machine is the user's own);
    :meth:`for_lambda` has the platform's payload limits, and ``serverless.yml`` sets every field
    for the deployed function.

    max_inputs : int
        Most songs (URLs or uploaded files) in one request.
    max_input_bytes : int
        Most bytes of one input, counted while it streams in.
    max_input_seconds : float
        Longest input, in seconds of decoded audio.
    max_upload_bytes : int
        Most bytes of one upload request (all its files together). Lambda takes at most 6 MB of
        request, base64-encoded, so about 4.4 MB of files: set it so there, and the page refuses a
        bigger upload before sending it and suggests a URL instead.
    max_response_bytes : int
        Most bytes of encoded audio in a response. The JSON form of ``/remix`` carries the audio as
        base64, and its whole body may be at most as large as this many bytes in base64. Locally
        500 MB (a full-length WAV); on Lambda 4.5 MB (:data:`LAMBDA_BINARY_BYTES`).
    fetch_timeout_s : float
        Overall deadline, in seconds, for fetching all of a request's URLs.
    allow_private_urls : bool
        Fetch from loopback and private addresses too. For tests and local use only: on Lambda the
        runtime API listens on 127.0.0.1.
    cors_origins : tuple of str
        Origins allowed to call the API from a browser; empty means same-origin only (the page is
        served through Netlify's proxy or the local server, so it needs none).
    """

    max_inputs: int = 4
    max_input_bytes: int = 50_000_000
    max_input_seconds: float = 600.0
    max_upload_bytes: int = 200_000_000
    max_response_bytes: int = LOCAL_RESPONSE_BYTES
    fetch_timeout_s: float = 10.0
    allow_private_urls: bool = False
    cors_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "max_inputs",
            "max_input_bytes",
            "max_input_seconds",
            "max_upload_bytes",
            "max_response_bytes",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)!r}: must be greater than 0.")
        if not 0 < self.fetch_timeout_s <= 300:
            raise ValueError(f"fetch_timeout_s={self.fetch_timeout_s!r}: must be in (0, 300] seconds.")

    @classmethod
    def for_lambda(cls) -> Settings:
        """The defaults with Lambda's payload limits: 6 MB each way, binary as base64."""
        return cls(max_response_bytes=LAMBDA_BINARY_BYTES, max_upload_bytes=LAMBDA_UPLOAD_BYTES)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, base: Settings | None = None) -> Settings:
        """Read ``MUSICREMIXER_<FIELD>`` variables (e.g. ``MUSICREMIXER_MAX_INPUTS=2``).

        Unset or empty variables keep the values of ``base`` (default: the defaults). A malformed
        value raises :class:`ValueError` naming the variable: a misconfigured function should fail
        at start, not per request.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = PREFIX + field.name.upper()
            raw = env.get(name, "").strip()
            if not raw:
                continue
            try:
                values[field.name] = _PARSERS[field.name](raw)
            except ValueError as exc:
                raise ValueError(f"{name}={raw!r} is not valid: {exc}") from None
        try:
            return dataclasses.replace(base, **values) if base is not None else cls(**values)
        except ValueError as exc:
            raise ValueError(f"{PREFIX}* settings are not valid: {exc}") from None

    def limits(self) -> dict[str, Any]:
        """The limits as JSON-ready data, for ``GET /limits``."""
        return {
            "max_inputs": self.max_inputs,
            "max_input_bytes": self.max_input_bytes,
            "max_input_seconds": self.max_input_seconds,
            "max_upload_bytes": self.max_upload_bytes,
            "max_response_bytes": self.max_response_bytes,
            "fetch_timeout_s": self.fetch_timeout_s,
        }


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("use 1 or 0")


def _parse_origins(raw: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in raw.split(",") if origin.strip())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "max_inputs": int,
    "max_input_bytes": int,
    "max_input_seconds": float,
    "max_upload_bytes": int,
    "max_response_bytes": int,
    "fetch_timeout_s": float,
    "allow_private_urls": _parse_bool,
    "cors_origins": _parse_origins,
}


def get_settings(request: Request) -> Settings:
    """The settings of the app serving ``request`` (the one FastAPI dependency for them)."""
    return request.app.state.settings
