"""GET /health and GET /limits."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

import musicremixer
from musicremixer.decode import MAX_DECODED_SAMPLES, MAX_KEPT_SAMPLES
from musicremixer.encode import MP3_BITRATES_KBPS


def test_health(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": musicremixer.__version__}


def test_limits_report_the_settings_in_force(make_client) -> None:
    limits = make_client(max_inputs=2, max_input_bytes=1234, max_input_seconds=30.5, max_upload_bytes=5678,
                         max_response_bytes=999, fetch_timeout_s=3).get("/limits").json()  # fmt: skip
    assert limits == {
        "max_inputs": 2,
        "max_input_bytes": 1234,
        "max_input_seconds": 30.5,
        "max_upload_bytes": 5678,
        "max_response_bytes": 999,
        "fetch_timeout_s": 3,
        "formats": list(musicremixer.FORMATS),
        "min_duration_s": musicremixer.MIN_DURATION,
        "max_duration_s": musicremixer.MAX_DURATION,
        "max_decoded_samples": MAX_DECODED_SAMPLES,
        "max_kept_samples": MAX_KEPT_SAMPLES,
        "mp3_bitrates": [{"kbps": kbps, "max_seconds": 0.0} for kbps in MP3_BITRATES_KBPS],  # 999 bytes
    }


def test_limits_report_the_decoders_sample_bounds_as_the_decoder_applies_them(client) -> None:
    from musicremixer.decode import decode_audio
    from musicremixer.errors import TooManySamplesError

    limits = client.get("/limits").json()
    assert limits["max_decoded_samples"] == MAX_DECODED_SAMPLES > 0
    assert limits["max_kept_samples"] == MAX_KEPT_SAMPLES > 0
    # The bound reported is the one a decode keeps to: one sample past it is refused.
    stereo = np.zeros((2, 4800), dtype=np.float32)
    wav = io.BytesIO()
    sf.write(wav, stereo.T, 48000, format="WAV", subtype="PCM_16")
    decode_audio(wav.getvalue(), name="a.wav", samples_before=limits["max_kept_samples"] - stereo.size)
    with pytest.raises(TooManySamplesError):
        decode_audio(
            wav.getvalue(), name="a.wav", samples_before=limits["max_kept_samples"] - stereo.size + 1
        )


def test_limits_on_lambda_say_how_long_an_mp3_fits_at_each_bitrate(make_client) -> None:
    limits = make_client(max_response_bytes=4_500_000).get("/limits").json()
    assert limits["mp3_bitrates"] == [
        {"kbps": 128, "max_seconds": 281.1},
        {"kbps": 112, "max_seconds": 321.3},
        {"kbps": 96, "max_seconds": 374.9},
        {"kbps": 80, "max_seconds": 449.9},
        {"kbps": 64, "max_seconds": 562.4},
    ]
    # Locally (500 MB) every bitrate holds the longest remix asked: MP3 stays at 128 kb/s.
    local = make_client().get("/limits").json()["mp3_bitrates"]
    assert local[0] == {"kbps": 128, "max_seconds": musicremixer.MAX_DURATION}


def test_default_limits(client) -> None:
    limits = client.get("/limits").json()
    assert limits["max_response_bytes"] == 500_000_000  # a local server's: a full-length WAV fits
    assert limits["max_inputs"] >= 1 and limits["max_input_bytes"] > 0 and limits["fetch_timeout_s"] <= 26
