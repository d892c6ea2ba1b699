"""``GET /health`` and ``GET /limits``: is the function up, and what it accepts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from functions.models import FORMATS, MAX_DURATION_S, MIN_DURATION_S
from functions.settings import Settings, get_settings

router = APIRouter(tags=["meta"])

# Declared as plain schemas, not response models: a response model costs FastAPI a 150 ms import of
# pydantic.v1 at start (its compatibility check), and a cold start is an import-graph problem.
_HEALTH = {"type": "object", "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}}
_LIMITS = {
    "type": "object",
    "properties": {
        "max_inputs": {"type": "integer"},
        "max_input_bytes": {"type": "integer"},
        "max_input_seconds": {"type": "number"},
        "max_upload_bytes": {"type": "integer"},
        "max_response_bytes": {"type": "integer"},
        "fetch_timeout_s": {"type": "number"},
        "formats": {"type": "array", "items": {"type": "string"}},
        "min_duration_s": {"type": "number"},
        "max_duration_s": {"type": "number"},
        "max_decoded_samples": {"type": "integer"},
        "max_kept_samples": {"type": "integer"},
        "mp3_bitrates": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"kbps": {"type": "integer"}, "max_seconds": {"type": "number"}},
            },
        },
    },
}


def _json(schema: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"schema": schema}}}}


@router.get("/health", summary="Is the function up", response_model=None, responses=_json(_HEALTH))
def get_health() -> dict[str, str]:
    """``{"status": "ok", "version": ...}``."""
    from musicremixer import __version__  # lazy: the package's import pulls numpy (cold start)

    return {"status": "ok", "version": __version__}


@router.get("/limits", summary="The limits in force", response_model=None, responses=_json(_LIMITS))
def get_limits(settings: Annotated[Settings, Depends(get_settings)]) -> dict[str, Any]:
    """The limits, so clients can adapt: inputs, bytes, seconds, samples, response bytes, formats.

    ``max_decoded_samples`` bounds one file as encoded (seconds x rate x channels);
    ``max_kept_samples`` all the inputs of a remix together once folded to at most 48 kHz stereo.
    ``mp3_bitrates`` lists the bitrates an MP3 steps down to when 128 kb/s would not fit the
    response, each with the longest stereo remix it fits as audio.
    """
    # Lazy: the engine's modules pull numpy and soundfile, which the app's start leaves out.
    from functions.responses import mp3_max_seconds
    from musicremixer.decode import MAX_DECODED_SAMPLES, MAX_KEPT_SAMPLES

    return {
        **settings.limits(),
        "formats": list(FORMATS),
        "min_duration_s": MIN_DURATION_S,
        "max_duration_s": MAX_DURATION_S,
        "max_decoded_samples": MAX_DECODED_SAMPLES,
        "max_kept_samples": MAX_KEPT_SAMPLES,
        "mp3_bitrates": mp3_max_seconds(settings.max_response_bytes, max_duration=MAX_DURATION_S),
    }
