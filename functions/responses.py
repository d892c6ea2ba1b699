"""The remix as an HTTP response, within the size a Lambda response can carry.

``POST /remix`` answers with the audio bytes, or, when the client's ``Accept`` asks for JSON and
accepts no audio (no ``audio/*``, no ``*/*``), with
``{"plan": ..., "audio": {"media_type", "filename", "base64"}}``: the page gets the very plan it
plays in one response. ``MAX_RESPONSE_BYTES`` bounds the audio; the JSON body may be at most as
large as that many bytes become in base64 (what Lambda sends for the binary response: 6.0 MB for
the default 4.5 MB). Oversize answers are a 413 ``response_too_large`` that names what would fit;
sizes are estimated before rendering (:func:`check_estimate`), and checked after encoding. An MP3
that would not fit at 128 kb/s steps down to the highest of ``encode.MP3_BITRATES_KBPS`` that does
(decided before rendering, from the asked length), and is refused only below the lowest; the
bitrate sent is in the ``X-Remix-Bitrate`` header and the JSON envelope's ``audio.bitrate_kbps``.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fastapi.responses import Response

from functions.errors import ApiError

WAV_HEADER_BYTES = 44
WAV_BYTES_PER_SAMPLE = 2  # the library writes 16-bit PCM WAV
_ESTIMATE_SLACK = 1.02  # refuse before rendering only when clearly over: the walk may end a little short
_SMALLER_FORMATS = {
    "wav": "format=mp3 or ogg",
    "flac": "format=mp3 or ogg",
    "mp3": "format=ogg",
    "ogg": "format=mp3",
}
_JSON_ENVELOPE_BYTES = 256  # the keys, media type and file name around the base64
# Room kept for the plan beside a JSON answer's audio when choosing an MP3 bitrate, per second of
# input and of output: a beat with its edges takes about 150 bytes, a sequence entry 30, and the
# beats are counted at 3 a second (180 BPM). A 3-minute song at 118 BPM measured 264 and 56 bytes a
# second of input and output, half this.
_PLAN_BYTES_PER_INPUT_S = 450
_PLAN_BYTES_PER_OUTPUT_S = 90
_PLAN_BYTES_FIXED = 4_096


@dataclass(frozen=True)
class SourceShape:
    """What the output will be like before rendering: the first source's rate and channels, total length."""

    sample_rate: int
    channels: int
    seconds: float


def wants_json(accept: str | None) -> bool:
    """True when ``Accept`` lists ``application/json`` and accepts no audio.

    Audio is accepted by ``audio/*``, a specific ``audio/...`` type, or ``*/*``: a client that takes
    anything (curl, requests, axios' ``application/json, text/plain, */*``) keeps getting the audio,
    as the original service sent it. q=0 entries refuse a type.
    """
    json_wanted = audio_accepted = False
    for item in (accept or "").split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        if _quality(params) <= 0:
            continue
        media_type = media_type.lower()
        json_wanted |= media_type == "application/json"
        audio_accepted |= media_type.startswith("audio/") or media_type == "*/*"
    return json_wanted and not audio_accepted


def _quality(params: Sequence[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 1.0
    return 1.0


def download_name(first_name: str, seed: int, fmt: str) -> str:
    """``<name's stem>-remix-<seed>.<ext>``, reduced to characters safe in a header."""
    stem = PurePosixPath(first_name.replace("\\", "/")).stem
    safe = re.sub(r"[^A-Za-z0-9._()+-]+", "_", stem).strip("._")[:80] or "song"
    return f"{safe}-remix-{seed}.{fmt}"


def _opening_name(plan: dict, first_name: str) -> str:
    """The name of the song a remix opens with: a mix plays its songs in its own order."""
    try:
        return str(plan["tracks"][plan["order"][0]]["name"]) or first_name
    except (KeyError, IndexError, TypeError):
        return first_name


def json_body_limit(max_response_bytes: int) -> int:
    """Most bytes of a JSON ``/remix`` body: ``max_response_bytes`` of audio, as base64."""
    return 4 * math.ceil(max_response_bytes / 3)


def wav_bytes(seconds: float, sample_rate: int, channels: int) -> int:
    """Exact size of a 16-bit PCM WAV file of this length, rate and channel count."""
    return WAV_HEADER_BYTES + round(seconds * sample_rate) * channels * WAV_BYTES_PER_SAMPLE


def probe_sources(sources: Sequence[tuple[str, bytes]]) -> SourceShape | None:
    """Read the sources' headers (not their samples) for :func:`check_estimate`; ``None`` if unsure.

    The shape is the one the remix will have: the first source's rate and channels as the decoder
    keeps them (at most 48 kHz stereo). A source the probe cannot read is left to the library,
    whose decoder says what is wrong with it.
    """
    try:
        import soundfile  # lazy: keeps the app's import light

        from musicremixer.decode import kept_shape

        infos = [soundfile.info(io.BytesIO(data)) for _name, data in sources]
    except Exception:  # any unreadable header: no estimate, the library will judge
        return None
    if not infos or any(info.samplerate <= 0 or info.frames <= 0 for info in infos):
        return None
    sample_rate, channels = kept_shape(int(infos[0].samplerate), int(infos[0].channels))
    return SourceShape(
        sample_rate=sample_rate,
        channels=channels,
        seconds=sum(info.frames / info.samplerate for info in infos),
    )


def check_estimate(
    shape: SourceShape | None, *, fmt: str, duration: float | None, max_response_bytes: int, as_json: bool
) -> int | None:
    """Refuse a remix that cannot fit before spending the time to render it; choose MP3's bitrate.

    A WAV's size and an MP3's (constant bitrate) are known from the length, rate and channels. FLAC
    and OGG depend on the music, so they are refused here only when even the least they take for
    music (``encoded_size(estimate="least")``) is over: a remix that might fit is rendered, and
    every format is checked again after encoding (:func:`build_response`).

    Returns
    -------
    int or None
        For MP3, the stereo bitrate to encode at (:func:`choose_mp3_kbps`); ``None`` for the other
        formats, or when the shape is unknown (the library's default, 128 kb/s).
    """
    if shape is None:
        return None
    from musicremixer.encode import encoded_size  # lazy: the engine's import is the cold start

    seconds = duration if duration is not None else shape.seconds
    if fmt == "mp3":
        return _check_mp3(shape, seconds, max_response_bytes=max_response_bytes, as_json=as_json)
    size = encoded_size(seconds, sr=shape.sample_rate, channels=shape.channels, format=fmt)
    limit = json_body_limit(max_response_bytes) if as_json else max_response_bytes
    sent = _base64_length(size) if as_json else size
    if sent > limit * _ESTIMATE_SLACK:
        usable = _usable_audio_bytes(max_response_bytes, as_json=as_json, plan_bytes=0)
        # Sizes grow linearly with length: what fits, at the size music typically takes.
        fixed, hundred_seconds = (
            encoded_size(s, sr=shape.sample_rate, channels=shape.channels, format=fmt, estimate="typical")
            for s in (0.0, 100.0)
        )
        fits = (usable - fixed) / max((hundred_seconds - fixed) / 100, 1e-9)
        raise ApiError(
            "response_too_large",
            too_large_detail(
                fmt=fmt,
                seconds=seconds,
                size=sent,
                limit=limit,
                fits_seconds=fits,
                as_json=as_json,
                at_least=fmt in ("flac", "ogg"),
            ),
        )


def choose_mp3_kbps(shape: SourceShape, seconds: float, *, max_response_bytes: int, as_json: bool) -> int:
    """The highest of ``encode.MP3_BITRATES_KBPS`` at which ``seconds`` of MP3 fit the response.

    As audio, the MP3 itself must fit ``max_response_bytes``; in JSON, its base64 must fit beside
    the plan, whose size is estimated generously from the input and output lengths. When none
    fits, the lowest (which :func:`check_estimate` then refuses, or leaves to the check after
    encoding when it is just over).
    """
    from musicremixer.encode import MP3_BITRATES_KBPS

    usable = _mp3_room(shape, seconds, max_response_bytes=max_response_bytes, as_json=as_json)
    for kbps in MP3_BITRATES_KBPS:
        if _mp3_bytes(shape, seconds, kbps) <= usable:
            return kbps
    return MP3_BITRATES_KBPS[-1]


def mp3_max_seconds(max_response_bytes: int, *, max_duration: float) -> list[dict[str, float]]:
    """For ``/limits``: each MP3 bitrate and the longest stereo remix it fits in a response as audio.

    At most ``max_duration``. The JSON form has a little less room (the plan goes beside it).
    """
    from musicremixer.encode import MP3_BITRATES_KBPS, encoded_size

    rows = []
    for kbps in MP3_BITRATES_KBPS:
        fixed = encoded_size(0.0, sr=44100, channels=2, format="mp3", mp3_kbps=kbps)
        seconds = (max_response_bytes - fixed) / (kbps * 125)  # 125 bytes a second per kb/s
        rows.append({"kbps": kbps, "max_seconds": max(0.0, min(math.floor(seconds * 10) / 10, max_duration))})
    return rows


def _check_mp3(shape: SourceShape, seconds: float, *, max_response_bytes: int, as_json: bool) -> int:
    kbps = choose_mp3_kbps(shape, seconds, max_response_bytes=max_response_bytes, as_json=as_json)
    size = _mp3_bytes(shape, seconds, kbps)
    limit = json_body_limit(max_response_bytes) if as_json else max_response_bytes
    sent = _base64_length(size) if as_json else size
    if sent <= limit * _ESTIMATE_SLACK:  # just over: the walk may end a little short; checked again
        return kbps
    usable = _mp3_room(shape, seconds, max_response_bytes=max_response_bytes, as_json=as_json)
    per_second = (_mp3_bytes(shape, 100.0, kbps) - _mp3_bytes(shape, 0.0, kbps)) / 100
    fits = (usable - _mp3_bytes(shape, 0.0, kbps)) / per_second
    what = f"A {seconds:.0f} s MP3" + (" as base64 in JSON" if as_json else "")
    shorter = f"a duration under {math.floor(fits)} s" if fits >= 1 else "a much shorter duration"
    raise ApiError(
        "response_too_large",
        f"{what} is {_mb(sent)} even at {kbps} kb/s; the limit is {_mb(limit)}, and {kbps} kb/s is the "
        f"lowest bitrate sent: ask for {shorter}.",
    )


def _mp3_bytes(shape: SourceShape, seconds: float, kbps: int) -> int:
    from musicremixer.encode import encoded_size

    return encoded_size(seconds, sr=shape.sample_rate, channels=shape.channels, format="mp3", mp3_kbps=kbps)


def _mp3_room(shape: SourceShape, seconds: float, *, max_response_bytes: int, as_json: bool) -> int:
    """Bytes of MP3 that fit: all of the limit as audio; in JSON what base64 leaves beside the plan."""
    plan = _PLAN_BYTES_FIXED + _PLAN_BYTES_PER_INPUT_S * shape.seconds + _PLAN_BYTES_PER_OUTPUT_S * seconds
    return _usable_audio_bytes(
        max_response_bytes, as_json=as_json, plan_bytes=math.ceil(plan) if as_json else 0
    )


def build_response(
    result: Any, *, first_name: str, as_json: bool, max_response_bytes: int, mp3_kbps: int | None = None
) -> Response:
    """The response for a :class:`musicremixer.RemixResult`: audio, or the JSON envelope with the plan.

    ``mp3_kbps`` is the stereo bitrate an MP3 was asked at (``None``: the library's 128 kb/s); the
    bitrate of the stream sent (half for mono) goes in ``X-Remix-Bitrate`` and ``audio.bitrate_kbps``.
    """
    filename = download_name(_opening_name(result.plan, first_name), result.seed, result.format)
    headers = {"X-Remix-Seed": str(result.seed), "X-Remix-Duration": f"{result.duration:.3f}"}
    kbps = _sent_kbps(result, mp3_kbps)
    if kbps is not None:
        headers["X-Remix-Bitrate"] = str(kbps)
    if as_json:
        plan = dumps(result.plan)
        audio_fields: dict[str, Any] = {"media_type": result.media_type, "filename": filename}
        if kbps is not None:
            audio_fields["bitrate_kbps"] = kbps
        audio_fields["base64"] = base64.b64encode(result.data).decode("ascii")
        audio = dumps(audio_fields)
        body = f'{{"plan":{plan},"audio":{audio}}}'.encode()
        limit = json_body_limit(max_response_bytes)
        if len(body) > limit:
            usable = _usable_audio_bytes(max_response_bytes, as_json=True, plan_bytes=len(plan))
            _refuse(result, size=len(body), limit=limit, usable=usable, as_json=True)
        return Response(body, media_type="application/json", headers=headers)
    if len(result.data) > max_response_bytes:
        _refuse(
            result, size=len(result.data), limit=max_response_bytes, usable=max_response_bytes, as_json=False
        )
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(result.data, media_type=result.media_type, headers=headers)


def _sent_kbps(result: Any, mp3_kbps: int | None) -> int | None:
    """The bitrate of an MP3 result's stream, from its plan's rate and channels; None for other formats."""
    if result.format != "mp3":
        return None
    from musicremixer.encode import MP3_KBPS, mp3_stream_kbps

    plan = result.plan if isinstance(result.plan, dict) else {}
    return mp3_stream_kbps(
        int(plan.get("sample_rate", 44100)),
        int(plan.get("channels", 2)),
        MP3_KBPS if mp3_kbps is None else mp3_kbps,
    )


def plan_response(plan: dict[str, Any]) -> Response:
    """``/analyze``'s answer: the plan, with its seed also in a header."""
    headers = {"X-Remix-Seed": str(plan.get("seed", ""))}
    return Response(dumps(plan).encode(), media_type="application/json", headers=headers)


def usable_audio_bytes(max_response_bytes: int, *, plan: dict[str, Any]) -> int:
    """Most bytes of audio that fit in a JSON answer beside ``plan`` (as base64, within the limit)."""
    return _usable_audio_bytes(max_response_bytes, as_json=True, plan_bytes=len(dumps(plan)))


def copy_response(plan: dict[str, Any], copy: bytes, *, name: str, max_response_bytes: int) -> Response:
    """``/analyze``'s answer with ``audio_copy``: ``{"plan", "audio"}``, the audio the song itself as OGG."""
    stem = PurePosixPath(name.replace("\\", "/")).stem
    safe = re.sub(r"[^A-Za-z0-9._()+-]+", "_", stem).strip("._")[:80] or "song"
    audio = {
        "media_type": "audio/ogg",
        "filename": f"{safe}.ogg",
        "base64": base64.b64encode(copy).decode("ascii"),
    }
    body = f'{{"plan":{dumps(plan)},"audio":{dumps(audio)}}}'.encode()
    if len(body) > json_body_limit(max_response_bytes):  # encode_copy kept to the room: never expected
        raise ApiError("response_too_large", "The song's copy does not fit the response; try a shorter song.")
    headers = {"X-Remix-Seed": str(plan.get("seed", ""))}
    return Response(body, media_type="application/json", headers=headers)


def dumps(data: Any) -> str:
    """Compact JSON; numpy scalars and arrays (should the plan carry any) become plain numbers and lists."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False, default=_plain)


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def too_large_detail(
    *,
    fmt: str,
    seconds: float,
    size: int,
    limit: int,
    fits_seconds: float,
    as_json: bool,
    at_least: bool = False,
) -> str:
    """What was too large and what fits.

    E.g. "A 180 s WAV is 31.8 MB; the limit is 4.5 MB: ask for format=mp3 or ogg, or a duration under 25 s."
    With ``at_least``, the size is a lower bound ("is at least 7.2 MB").
    """
    what = f"A {seconds:.0f} s {fmt.upper()}" + (" as base64 in JSON" if as_json else "")
    shorter = (
        f"a duration under {math.floor(fits_seconds)} s" if fits_seconds >= 1 else "a much shorter duration"
    )
    verb = "is at least" if at_least else "is"
    advice = f"ask for {_SMALLER_FORMATS[fmt]}, or {shorter}"
    return f"{what} {verb} {_mb(size)}; the limit is {_mb(limit)}: {advice}."


def _refuse(result: Any, *, size: int, limit: int, usable: int, as_json: bool) -> None:
    # Encoded size grows about linearly with length, so the length that fits scales with the budget.
    fits = result.duration * usable / max(len(result.data), 1)
    raise ApiError(
        "response_too_large",
        too_large_detail(
            fmt=result.format,
            seconds=result.duration,
            size=size,
            limit=limit,
            fits_seconds=fits,
            as_json=as_json,
        ),
    )


def _usable_audio_bytes(max_response_bytes: int, *, as_json: bool, plan_bytes: int) -> int:
    """Most audio bytes that fit: all of ``max_response_bytes``, or in JSON what base64 leaves of its body."""
    if not as_json:
        return max_response_bytes
    room = json_body_limit(max_response_bytes) - plan_bytes - _JSON_ENVELOPE_BYTES
    return max(0, min(max_response_bytes, room * 3 // 4))


def _base64_length(n_bytes: int) -> int:
    return 4 * math.ceil(n_bytes / 3)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"
