"""The response: content negotiation, file names, and the size limits of a Lambda response."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
import soundfile as sf

from functions.errors import ApiError
from functions.responses import (
    SourceShape,
    build_response,
    check_estimate,
    download_name,
    json_body_limit,
    probe_sources,
    wants_json,
    wav_bytes,
)
from functions.settings import LAMBDA_BINARY_BYTES
from tests.functions.conftest import FakeLibrary

LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # a buffered Lambda response, all of it


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/json, text/plain", True),
        ("application/json, audio/wav;q=0", True),
        ("application/json, */*;q=0", True),
        ("application/json, text/plain, */*", False),  # axios' default: takes anything, gets the audio
        ("application/json;q=0.9, */*;q=0.1", False),
        (None, False),
        ("", False),
        ("*/*", False),
        ("audio/*", False),
        ("audio/wav", False),
        ("application/json, audio/*", False),
        ("audio/mpeg, application/json", False),
        ("application/json;q=0", False),
        ("text/html", False),
    ],
)
def test_json_is_sent_only_to_clients_that_take_no_audio(accept, expected) -> None:
    assert wants_json(accept) is expected


@pytest.mark.parametrize(
    ("name", "seed", "fmt", "expected"),
    [
        ("song.wav", 7, "wav", "song-remix-7.wav"),
        ("My Song (live).mp3", 12, "ogg", "My_Song_(live)-remix-12.ogg"),
        ('C:\\Music\\we"ird.flac', 1, "mp3", "we_ird-remix-1.mp3"),  # a Windows path; no quote in the header
        ("Café del Mar.flac", 3, "flac", "Caf_del_Mar-remix-3.flac"),
        ("../../etc/passwd", 5, "wav", "passwd-remix-5.wav"),
        ("", 9, "wav", "song-remix-9.wav"),
        ("...", 9, "wav", "song-remix-9.wav"),
        ("x" * 300 + ".wav", 2, "wav", "x" * 80 + "-remix-2.wav"),
    ],
)
def test_download_names(name, seed, fmt, expected) -> None:
    assert download_name(name, seed, fmt) == expected


def test_the_default_limits_fit_a_lambda_response() -> None:
    # 4.5 MB of audio is 6.0 MB as base64: within Lambda's 6 MiB with room for headers and the envelope.
    assert LAMBDA_BINARY_BYTES == 4_500_000
    assert json_body_limit(LAMBDA_BINARY_BYTES) == 6_000_000
    assert LAMBDA_PAYLOAD_BYTES - json_body_limit(LAMBDA_BINARY_BYTES) > 250_000
    assert len(base64.b64encode(b"\0" * LAMBDA_BINARY_BYTES)) == json_body_limit(LAMBDA_BINARY_BYTES)


def test_wav_sizes() -> None:
    assert wav_bytes(180, 44100, 2) == 44 + 180 * 44100 * 4 == 31_752_044
    assert wav_bytes(1.5, 22050, 1) == 44 + 33075 * 2


def test_a_wav_that_cannot_fit_is_refused_before_rendering_with_what_fits() -> None:
    with pytest.raises(ApiError) as info:
        check_estimate(
            SourceShape(44100, 2, 180.0),
            fmt="wav",
            duration=None,
            max_response_bytes=4_500_000,
            as_json=False,
        )
    assert info.value.code == "response_too_large" and info.value.status_code == 413
    assert info.value.detail == (
        "A 180 s WAV is 31.8 MB; the limit is 4.5 MB: ask for format=mp3 or ogg, or a duration under 25 s."
    )


def test_the_estimate_uses_the_requested_duration_and_the_json_budget() -> None:
    shape = SourceShape(44100, 2, 180.0)
    check_estimate(
        shape, fmt="wav", duration=25.0, max_response_bytes=4_500_000, as_json=False
    )  # 4.41 MB fits
    with pytest.raises(ApiError) as info:  # ...but not as base64 with the plan
        check_estimate(shape, fmt="wav", duration=30.0, max_response_bytes=4_500_000, as_json=True)
    assert "as base64 in JSON" in info.value.detail and "the limit is 6.0 MB" in info.value.detail
    assert "under 25 s" in info.value.detail


@pytest.mark.parametrize(
    ("fmt", "size", "fits"),
    [
        ("mp3", "is 57.6 MB", "format=ogg, or a duration under 281 s"),  # 128 kb/s exactly
        ("ogg", "is at least 7.2 MB", "format=mp3, or a duration under 280 s"),  # typical 128 kb/s
        ("flac", "is at least 12.7 MB", "format=mp3 or ogg, or a duration under 42 s"),
    ],
)
def test_every_format_is_refused_before_rendering_when_it_cannot_fit(fmt, size, fits) -> None:
    # The case: duration=3600 took 38 s (mp3) and 31 s (ogg) to render before its 413.
    with pytest.raises(ApiError) as info:
        check_estimate(
            SourceShape(44100, 2, 200.0), fmt=fmt, duration=3600, max_response_bytes=4_500_000, as_json=False
        )
    assert info.value.code == "response_too_large"
    assert f"A 3600 s {fmt.upper()} {size}; the limit is 4.5 MB" in info.value.detail
    assert fits in info.value.detail


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "flac"])
def test_what_may_fit_is_left_to_the_check_after_encoding(fmt) -> None:
    # A 3-minute MP3 is 2.9 MB; an OGG or FLAC of 3 minutes might fit, so it is rendered and checked.
    seconds = 180.0 if fmt != "flac" else 30.0
    check_estimate(
        SourceShape(44100, 2, seconds), fmt=fmt, duration=None, max_response_bytes=4_500_000, as_json=False
    )


def test_mp3_just_over_the_limit_is_refused_and_just_under_is_not() -> None:
    # 128 kb/s is 16,000 bytes a second: 4.5 MB hold 281 s; refused past the 2 % slack (287 s).
    shape = SourceShape(44100, 2, 0.0)
    check_estimate(shape, fmt="mp3", duration=285.0, max_response_bytes=4_500_000, as_json=False)
    with pytest.raises(ApiError):
        check_estimate(shape, fmt="mp3", duration=289.0, max_response_bytes=4_500_000, as_json=False)


def test_the_estimate_uses_the_shape_the_decoder_keeps() -> None:
    # 8 channels at 192 kHz are kept as stereo at 48 kHz: the WAV estimate is of that.
    y = np.zeros((8, 19200), dtype=np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, y.T, 192000, format="FLAC", subtype="PCM_16")
    shape = probe_sources([("a.flac", buffer.getvalue())])
    assert shape == SourceShape(48000, 2, pytest.approx(0.1))


def test_no_estimate_without_a_shape() -> None:
    check_estimate(None, fmt="wav", duration=3600, max_response_bytes=1000, as_json=False)


def test_probe_reads_rate_channels_and_total_length(song_3_4, click_120) -> None:
    shape = probe_sources([("a.wav", song_3_4.to_bytes("wav")), ("b.wav", click_120.to_bytes("wav"))])
    assert shape == SourceShape(
        song_3_4.sr, song_3_4.channels, pytest.approx(song_3_4.duration + click_120.duration)
    )


def test_probe_gives_up_quietly_on_what_it_cannot_read() -> None:
    assert probe_sources([("a.wav", b"not audio at all")]) is None
    assert probe_sources([]) is None


def result(size: int, fmt: str = "mp3", duration: float = 100.0):
    fake = FakeLibrary(size=size, duration=duration)
    from musicremixer import SourceFile

    return fake.remix([SourceFile("a.mp3", b"x")], seed=5, format=fmt)


def test_audio_within_the_limit_is_sent_with_its_headers() -> None:
    response = build_response(result(4000), first_name="Song.mp3", as_json=False, max_response_bytes=4000)
    assert response.status_code == 200 and len(response.body) == 4000
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-disposition"] == 'attachment; filename="Song-remix-5.mp3"'
    assert response.headers["x-remix-seed"] == "5" and response.headers["x-remix-duration"] == "100.000"


def test_audio_over_the_limit_is_a_413_naming_what_fits() -> None:
    with pytest.raises(ApiError) as info:
        build_response(result(8000), first_name="a.mp3", as_json=False, max_response_bytes=4000)
    assert info.value.code == "response_too_large"
    assert info.value.detail.startswith("A 100 s MP3 is 0.0 MB")
    assert "format=ogg, or a duration under 50 s" in info.value.detail


def test_the_json_envelope_carries_the_plan_and_the_same_audio() -> None:
    remix = result(3000)
    response = build_response(remix, first_name="a.mp3", as_json=True, max_response_bytes=4000)
    body = json.loads(response.body)
    assert response.headers["content-type"] == "application/json"
    assert body["plan"] == remix.plan
    assert body["audio"]["media_type"] == "audio/mpeg" and body["audio"]["filename"] == "a-remix-5.mp3"
    assert base64.b64decode(body["audio"]["base64"]) == remix.data
    assert len(response.body) <= json_body_limit(4000)


def test_a_json_envelope_over_its_limit_is_a_413_even_when_the_audio_alone_fits() -> None:
    remix = result(3950)  # fits 4000 bytes as audio; as base64 plus the plan it does not fit 5336
    build_response(remix, first_name="a.mp3", as_json=False, max_response_bytes=4000)
    with pytest.raises(ApiError) as info:
        build_response(remix, first_name="a.mp3", as_json=True, max_response_bytes=4000)
    assert info.value.code == "response_too_large" and "as base64 in JSON" in info.value.detail
