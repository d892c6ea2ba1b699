"""Request models: the remix options, and the JSON body that adds the URLs.

The same options arrive as JSON fields or as multipart form fields; both are validated by
:class:`RemixOptions`, so the rules and the error messages are the same either way.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# The library's FORMATS, MIN_DURATION and MAX_DURATION, repeated so that importing the app does not
# import numpy (cold start, docs/ARCHITECTURE.md); tests/functions/test_models.py checks that they agree.
FORMATS = ("wav", "flac", "ogg", "mp3")
MIN_DURATION_S = 1.0
MAX_DURATION_S = 3600.0
MAX_URL_CHARS = 2048

Format = Literal["wav", "flac", "ogg", "mp3"]


class RemixOptions(BaseModel):
    """Options of a remix (``/analyze`` accepts and ignores ``format``; ``audio_copy`` is ``/analyze``'s)."""

    model_config = ConfigDict(extra="forbid")

    duration: float | None = Field(
        default=None,
        ge=MIN_DURATION_S,
        le=MAX_DURATION_S,
        allow_inf_nan=False,
        description="Length of the remix in seconds; omit for the songs' total length.",
        examples=[60.0],
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=2**63 - 1,
        description="Seed of the walk; the same inputs and seed give the same bytes. Omit for a random one "
        "(the response's X-Remix-Seed header says which).",
        examples=[7],
    )
    jumpiness: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="How often the remix jumps; 0 plays the song as it is.",
    )
    keep_order: bool = Field(
        default=False,
        description="With several songs: play them in the order given, not the order with the smoothest "
        "transitions.",
    )
    format: Format = Field(default="wav", description="Encoding of the audio.")
    audio_copy: bool = Field(
        default=False,
        description="`/analyze` only, one song: also send the song itself back as OGG Vorbis at the best "
        'quality that fits the response, as `{"plan": {...}, "audio": {"media_type", "filename", "base64"}}` '
        "(for a page that plays a song given by URL, such as the jukebox).",
    )

    @field_validator("duration", "seed", "jumpiness", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        # pydantic's lax mode reads true as 1; a boolean here is a mistake, not a number.
        if isinstance(value, bool):
            raise ValueError("expected a number, not true or false")
        return value


class RemixJSON(RemixOptions):
    """The JSON body: ``{"urls": [...]}`` (the original service's request) plus the options."""

    urls: list[str] = Field(
        min_length=1,
        description="http(s) URLs of the songs (public addresses only).",
        examples=[["https://example.com/song.wav"]],
    )

    @field_validator("urls")
    @classmethod
    def _urls_short(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if len(url) > MAX_URL_CHARS:
                raise ValueError(f"a URL is {len(url)} characters long; the limit is {MAX_URL_CHARS}")
        return urls


class RemixForm(RemixOptions):
    """The options as multipart form fields: empty fields count as absent (HTML forms send them)."""

    @field_validator("duration", "seed", "jumpiness", "keep_order", "format", "audio_copy", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name or ""].default
        return value


#: What each option accepts, in the words of the error messages (a refusal says what is allowed).
ALLOWED_VALUES = {
    "duration": f"a number of seconds from {MIN_DURATION_S:g} to {MAX_DURATION_S:g} (or none, for the songs' "
    "own length)",
    "seed": "a whole number from 0 to 2**63 - 1",
    "jumpiness": "a number from 0 to 1",
    "keep_order": "true or false",
    "format": "one of " + ", ".join(FORMATS),
}


JSON_FIELDS = ("urls", *RemixOptions.model_fields)
FORM_FIELDS = ("files", "urls", *RemixOptions.model_fields)


def multipart_schema() -> dict[str, Any]:
    """The OpenAPI schema of the multipart form (FastAPI cannot declare two body types for one route)."""
    options = {
        name: _without_null(schema) for name, schema in RemixOptions.model_json_schema()["properties"].items()
    }
    return {
        "type": "object",
        "required": ["files"],
        "properties": {
            "files": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "format": "binary"},
                "description": "One or more audio files (WAV, FLAC, OGG, MP3).",
            },
            "urls": {
                "type": "array",
                "items": {"type": "string", "maxLength": MAX_URL_CHARS},
                "description": "Songs to fetch as well, one field per URL.",
            },
            **options,
        },
        "additionalProperties": False,
    }


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    # A form field is absent or a string; "null" has no spelling in multipart.
    branches = [branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"]
    if len(branches) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**branches[0], **rest}
