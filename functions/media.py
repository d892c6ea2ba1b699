"""Tell audio from things that are plainly not audio, before the decoder sees them.

The library's decoder is the judge of what is audio (it raises ``undecodable_audio``); this module
only catches the common mistakes early, with a clearer message: a link to a web page instead of the
file, a text or image file uploaded by accident.
"""

from __future__ import annotations

# Declared types that cannot hold audio the decoder reads. Anything else (audio/*, video/ogg,
# application/octet-stream, no type at all) goes on to the decoder.
_NOT_AUDIO_PREFIXES = ("text/", "image/", "font/", "multipart/", "message/")
_NOT_AUDIO_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/xhtml+xml",
        "application/javascript",
        "application/pdf",
        "application/zip",
        "application/gzip",
    }
)
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")


def media_type_of(content_type: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type header ('' when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def non_audio_reason(content_type: str | None, head: bytes = b"") -> str | None:
    """Why something is plainly not audio (its declared type, or an HTML/XML start), else ``None``.

    ``head`` is the first bytes of the body, if already known.
    """
    media_type = media_type_of(content_type)
    if media_type == "text/html" or media_type == "application/xhtml+xml":
        return f"an HTML page ({media_type})"
    if media_type.startswith(_NOT_AUDIO_PREFIXES) or media_type in _NOT_AUDIO_TYPES:
        return f"of type {media_type}"
    start = head[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_STARTS):
        return "an HTML page"
    return None
