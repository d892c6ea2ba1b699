"""Settings from MUSICREMIXER_* environment variables, with safe defaults."""

from __future__ import annotations

import pytest

from functions.settings import Settings


def test_defaults_are_safe() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.allow_private_urls is False
    assert settings.cors_origins == ()
    assert settings.fetch_timeout_s < 26  # Netlify's proxy gives up after 26 s


def test_local_defaults_return_a_full_length_wav_and_lambdas_fit_its_payload() -> None:
    local, on_lambda = Settings(), Settings.for_lambda()
    longest_wav = local.max_inputs * local.max_input_seconds * 48_000 * 2 * 2  # 48 kHz stereo 16-bit
    assert local.max_response_bytes >= longest_wav
    assert (on_lambda.max_response_bytes, on_lambda.max_upload_bytes) == (4_500_000, 4_400_000)
    # The environment still wins over either base, and unset variables keep the base's values.
    read = Settings.from_env({"MUSICREMIXER_MAX_RESPONSE_BYTES": "1000"}, base=on_lambda)
    assert read.max_response_bytes == 1000 and read.max_upload_bytes == 4_400_000
    assert Settings.from_env({}, base=on_lambda) == on_lambda


def test_every_setting_is_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "MUSICREMIXER_MAX_INPUTS": "2",
            "MUSICREMIXER_MAX_INPUT_BYTES": "1000",
            "MUSICREMIXER_MAX_INPUT_SECONDS": "90.5",
            "MUSICREMIXER_MAX_RESPONSE_BYTES": "2000",
            "MUSICREMIXER_FETCH_TIMEOUT_S": "3",
            "MUSICREMIXER_ALLOW_PRIVATE_URLS": "1",
            "MUSICREMIXER_CORS_ORIGINS": "https://a.example, https://b.example",
            "OTHER": "ignored",
        }
    )
    assert settings == Settings(
        max_inputs=2,
        max_input_bytes=1000,
        max_input_seconds=90.5,
        max_response_bytes=2000,
        fetch_timeout_s=3.0,
        allow_private_urls=True,
        cors_origins=("https://a.example", "https://b.example"),
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False)]
)
def test_switches(raw: str, expected: bool) -> None:
    assert Settings.from_env({"MUSICREMIXER_ALLOW_PRIVATE_URLS": raw}).allow_private_urls is expected


def test_empty_values_keep_the_defaults() -> None:
    assert Settings.from_env({"MUSICREMIXER_MAX_INPUTS": "", "MUSICREMIXER_CORS_ORIGINS": " "}) == Settings()


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("MUSICREMIXER_MAX_INPUTS", "many"),
        ("MUSICREMIXER_MAX_INPUTS", "0"),
        ("MUSICREMIXER_MAX_INPUT_BYTES", "-1"),
        ("MUSICREMIXER_MAX_RESPONSE_BYTES", "4.5MB"),
        ("MUSICREMIXER_FETCH_TIMEOUT_S", "nan"),
        ("MUSICREMIXER_FETCH_TIMEOUT_S", "1000"),
        ("MUSICREMIXER_ALLOW_PRIVATE_URLS", "maybe"),
    ],
)
def test_bad_values_fail_at_start_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ValueError, match="MUSICREMIXER_"):
        Settings.from_env({name: raw})


def test_the_environment_is_read_when_no_mapping_is_given(monkeypatch) -> None:
    monkeypatch.setenv("MUSICREMIXER_MAX_INPUTS", "3")
    assert Settings.from_env().max_inputs == 3


def test_each_app_has_its_own_settings(make_client) -> None:
    assert make_client(max_inputs=1).get("/limits").json()["max_inputs"] == 1
    assert make_client(max_inputs=3).get("/limits").json()["max_inputs"] == 3
