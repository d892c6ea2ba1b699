"""``POST /analyze``: the plan of a remix as JSON, without rendering audio."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from functions.errors import from_library_error
from functions.inputs import RemixInputs, load_sources, read_remix_request
from functions.responses import plan_response
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

    sources = [musicremixer.SourceFile(name, data) for name, data in loaded]
    options = inputs.options
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
    return plan_response(plan)
