"""``POST /remix``: the remix as audio, or as JSON carrying the plan and the audio together."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from functions.errors import ApiError, from_library_error
from functions.inputs import RemixInputs, load_sources, read_remix_request
from functions.responses import build_response, check_estimate, probe_sources, wants_json
from functions.routes.openapi import ERROR_RESPONSES, request_body
from functions.settings import Settings, get_settings
from functions.workers import get_workers

router = APIRouter(tags=["remix"])

_AUDIO_CONTENT = {
    f"audio/{name}": {"schema": {"type": "string", "format": "binary"}}
    for name in ("wav", "flac", "ogg", "mpeg")
}


@router.post(
    "/remix",
    summary="Remix one or more songs",
    response_class=Response,
    responses={
        200: {
            "description": "The remix. Audio by default, with Content-Disposition, X-Remix-Seed and "
            "X-Remix-Duration headers (and X-Remix-Bitrate, in kb/s, for MP3: lower than 128 when "
            "that is what fits the response); with `Accept: application/json`, "
            '`{"plan": {...}, "audio": {"media_type", "filename", "bitrate_kbps" (MP3), "base64"}}`.',
            "content": {**_AUDIO_CONTENT, "application/json": {}},
        },
        **ERROR_RESPONSES,
    },
    openapi_extra=request_body(),
)
async def post_remix(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    """Remix the songs at ``urls`` (JSON) or the uploaded ``files`` (multipart) into one new arrangement."""
    inputs = await read_remix_request(request, settings)
    as_json = wants_json(request.headers.get("accept"))
    # Fetching and remixing block: worker threads, each kind in its own bounded pool.
    workers = get_workers(request)
    loaded = (
        await workers.fetch(load_sources, inputs, settings) if inputs.urls else load_sources(inputs, settings)
    )
    return await workers.remix(_remix, inputs, loaded, settings, as_json)


def _remix(
    inputs: RemixInputs, loaded: list[tuple[str, bytes]], settings: Settings, as_json: bool
) -> Response:
    import musicremixer  # lazy: the engine's import is the cold start (docs/ARCHITECTURE.md)

    options = inputs.options
    if options.audio_copy:
        raise ApiError(
            "invalid_parameter",
            "audio_copy is an option of /analyze (the song itself beside its plan); /remix sends the remix.",
        )
    try:
        mp3_kbps = check_estimate(
            probe_sources(loaded),
            fmt=options.format,
            duration=options.duration,
            max_response_bytes=settings.max_response_bytes,
            as_json=as_json,
        )
    except ApiError:
        # A silent, unreadable or too long input gets its own refusal first, not "ask for mp3" and
        # then another. Screening decodes, so it runs only on this way out.
        _screen(loaded, settings)
        raise
    try:
        result = musicremixer.remix(
            [musicremixer.SourceFile(name, data) for name, data in loaded],
            duration=options.duration,
            seed=options.seed,
            jumpiness=options.jumpiness,
            keep_order=options.keep_order,
            format=options.format,
            mp3_kbps=mp3_kbps,
            max_input_seconds=settings.max_input_seconds,
        )
    except musicremixer.MusicRemixerError as exc:
        raise from_library_error(exc) from None
    return build_response(
        result,
        first_name=loaded[0][0],
        as_json=as_json,
        max_response_bytes=settings.max_response_bytes,
        mp3_kbps=mp3_kbps,
    )


def _screen(loaded: list[tuple[str, bytes]], settings: Settings) -> None:
    """Raise the library's refusal of the first input it would refuse before analysis, if any."""
    import musicremixer
    from musicremixer.screen import screen_sources

    try:
        sources = [musicremixer.SourceFile(name, data) for name, data in loaded]
        screen_sources(sources, max_input_seconds=settings.max_input_seconds)
    except musicremixer.MusicRemixerError as exc:
        raise from_library_error(exc) from None
