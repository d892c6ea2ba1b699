"""``POST /analyze``: the plan of a remix as JSON, without rendering audio.

With ``audio_copy`` (one song), the answer is ``{"plan": {...}, "audio": {...}}``: the plan and the
song itself as OGG Vorbis at the best quality that fits the response, so a page that was given only
the song's URL can play it (the jukebox; docs/CONTRACTS.md, "The jukebox").
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from functions.errors import ApiError, from_library_error
from functions.inputs import RemixInputs, load_sources, read_remix_request
from functions.responses import copy_response, plan_response, usable_audio_bytes
from functions.routes.openapi import ERROR_RESPONSES, request_body
from functions.settings import Settings, get_settings
from functions.workers import get_workers

router = APIRouter(tags=["remix"])


@router.post(
    "/analyze",
    summary="Plan a remix without rendering it",
    response_class=Response,
    responses={
        200: {"description": "The plan (see README, 'The plan').", "content": {"application/json": {}}},
        **ERROR_RESPONSES,
    },
    openapi_extra=request_body(),
)
async def post_analyze(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    """Same inputs as ``/remix``; the plan ``remix`` would render for the same options and seed."""
    inputs = await read_remix_request(request, settings)
    workers = get_workers(request)  # fetching and analyzing block: bounded pools of their own
    loaded = (
        await workers.fetch(load_sources, inputs, settings) if inputs.urls else load_sources(inputs, settings)
    )
    return await workers.remix(_analyze, inputs, loaded, settings)


def _analyze(inputs: RemixInputs, loaded: list[tuple[str, bytes]], settings: Settings) -> Response:
    import musicremixer  # lazy: the engine's import is the cold start (docs/ARCHITECTURE.md)

    options = inputs.options
    if options.audio_copy and len(inputs.songs) != 1:
        raise ApiError(
            "invalid_parameter",
            f"audio_copy sends back one song, and {len(inputs.songs)} were given: send one song at a time.",
        )
    sources = [musicremixer.SourceFile(name, data) for name, data in loaded]
    try:
        plan = musicremixer.plan_remix(
            sources,
            duration=options.duration,
            seed=options.seed,
            jumpiness=options.jumpiness,
            keep_order=options.keep_order,
            max_input_seconds=settings.max_input_seconds,
        )
    except musicremixer.MusicRemixerError as exc:
        raise from_library_error(exc) from None
    if not options.audio_copy:
        return plan_response(plan)
    return _with_copy(plan, loaded[0], settings)


def _with_copy(plan: dict, source: tuple[str, bytes], settings: Settings) -> Response:
    """The plan and a listening copy of the song, together within the response limit."""
    import musicremixer
    from musicremixer.decode import decode_audio
    from musicremixer.encode import encode_copy

    name, data = source
    room = usable_audio_bytes(settings.max_response_bytes, plan=plan)
    if room <= 0:
        raise ApiError("response_too_large", "The song's plan alone fills the response: try a shorter song.")
    try:
        audio = decode_audio(data, name=name, max_seconds=settings.max_input_seconds)
        copy = encode_copy(audio, max_bytes=room)
    except musicremixer.ParameterError as exc:
        raise ApiError("response_too_large", str(exc)) from None
    except musicremixer.MusicRemixerError as exc:
        raise from_library_error(exc) from None
    return copy_response(plan, copy, name=name, max_response_bytes=settings.max_response_bytes)
