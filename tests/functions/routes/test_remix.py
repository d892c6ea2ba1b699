"""POST /remix: inputs in, audio (or the plan and audio as JSON) out; errors mapped, sizes bounded.

The first group replaces the library (``fake_library``) to test routing; the second remixes for real.
"""

from __future__ import annotations

import base64
import io

import pytest
import soundfile as sf

import musicremixer
from functions.responses import wav_bytes
from tests.functions.conftest import multipart_parts
from tests.functions.test_inputs import assert_error

# --- routing, with the library replaced -------------------------------------------------------------


def test_the_original_request_returns_wav(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/music/Song.wav", b"RIFF-song-bytes")
    response = make_client(allow_private_urls=True).post("/remix", json={"urls": [url]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["content-disposition"] == 'attachment; filename="Song-remix-42.wav"'
    assert response.headers["x-remix-seed"] == "42" and response.headers["x-remix-duration"] == "12.500"
    assert (
        response.content
        == fake_library.remix(
            [musicremixer.SourceFile("Song.wav", b"RIFF-song-bytes")], seed=42, format="wav"
        ).data
    )
    assert fake_library.calls[0]["sources"] == [("Song.wav", b"RIFF-song-bytes")]


def test_options_and_limits_reach_the_library(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/a.mp3", b"ID3-bytes", content_type="audio/mpeg")
    client = make_client(allow_private_urls=True, max_input_seconds=321.0)
    body = {"urls": [url], "duration": 30, "seed": 9, "jumpiness": 0.25, "format": "mp3"}
    response = client.post("/remix", json=body)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-disposition"] == 'attachment; filename="a-remix-9.mp3"'
    call = fake_library.calls[0]
    assert (call["duration"], call["seed"], call["jumpiness"], call["format"]) == (30.0, 9, 0.25, "mp3")
    assert call["max_input_seconds"] == 321.0


def test_uploads_and_urls_keep_their_order(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/second.wav", b"RIFF-2")
    body, content_type = multipart_parts(
        [
            ("files", ("first.wav", b"RIFF-1", "audio/wav")),
            ("seed", "4"),
            ("urls", url),
            ("files", ("third.flac", b"fLaC-3", "audio/flac")),
        ]
    )
    response = make_client(allow_private_urls=True).post(
        "/remix", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 200
    sources = fake_library.calls[0]["sources"]
    assert sources == [("first.wav", b"RIFF-1"), ("second.wav", b"RIFF-2"), ("third.flac", b"fLaC-3")]
    assert response.headers["content-disposition"] == 'attachment; filename="first-remix-4.wav"'


def test_asking_for_json_returns_the_plan_with_the_audio(client, fake_library) -> None:
    files = [("files", ("a.wav", b"RIFF-a", "audio/wav"))]
    audio = client.post("/remix", files=files, data={"seed": "3"})
    envelope = client.post("/remix", files=files, data={"seed": "3"}, headers={"accept": "application/json"})
    assert envelope.status_code == 200 and envelope.headers["content-type"] == "application/json"
    body = envelope.json()
    assert body["plan"] == fake_library.plan(3)
    assert body["audio"] == {
        "media_type": "audio/wav",
        "filename": "a-remix-3.wav",
        "base64": base64.b64encode(audio.content).decode(),
    }
    assert envelope.headers["x-remix-seed"] == "3"


def test_a_remix_too_large_for_the_response_is_a_413(make_client, fake_library) -> None:
    fake_library.size = 5000
    response = make_client(max_response_bytes=4000).post(
        "/remix", files=[("files", ("a.mp3", b"ID3", "audio/mpeg"))]
    )
    assert "the limit is 0.0 MB" in assert_error(response, 413, "response_too_large")["detail"]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (musicremixer.ParameterError("duration=5000 is out of range"), 422, "invalid_parameter"),
        (musicremixer.DecodeError('"a.wav" is not audio'), 415, "undecodable_audio"),
        (musicremixer.InputTooLongError('"a.wav" is 900 s long'), 413, "input_too_long"),
        (musicremixer.NotRemixableError('"a.wav" is silent'), 422, "not_remixable"),
        (musicremixer.MusicRemixerError("something the library refused"), 422, "remix_error"),
    ],
)
@pytest.mark.parametrize("path", ["/remix", "/analyze"])
def test_library_errors_map_to_their_status(client, fake_library, path, error, status, code) -> None:
    fake_library.error = error
    response = client.post(path, files=[("files", ("a.wav", b"RIFF", "audio/wav"))])
    assert assert_error(response, status, code)["detail"] == str(error)


def test_a_bug_is_a_json_500_not_a_platform_page(client, fake_library) -> None:
    fake_library.error = ZeroDivisionError("a bug")
    response = client.post("/remix", files=[("files", ("a.wav", b"RIFF", "audio/wav"))])
    body = assert_error(response, 500, "internal_error")
    assert "a bug" not in body["detail"]  # internals stay in the log


@pytest.mark.parametrize(
    ("path", "setup", "status", "code"),
    [
        ("/missing.wav", None, 502, "fetch_failed"),
        ("/page", (b"<html><body>a player</body></html>", "text/html; charset=utf-8"), 415, "not_audio"),
    ],
)
def test_fetch_errors_reach_the_client(
    make_client, fake_library, audio_server, path, setup, status, code
) -> None:
    if setup:
        audio_server.serve(path, *setup)
    response = make_client(allow_private_urls=True).post("/remix", json={"urls": [audio_server.url(path)]})
    assert audio_server.url(path) in assert_error(response, status, code)["detail"]
    assert fake_library.calls == []


def test_a_slow_url_is_a_504(make_client, fake_library, audio_server) -> None:
    audio_server.routes["/slow.wav"] = lambda handler: audio_server.stop.wait(5)
    client = make_client(allow_private_urls=True, fetch_timeout_s=0.5)
    assert_error(client.post("/remix", json={"urls": [audio_server.url("/slow.wav")]}), 504, "fetch_timeout")


def test_a_fetched_input_over_the_byte_limit_is_a_413(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/big.wav", b"RIFF" + b"\0" * 5000)
    response = make_client(allow_private_urls=True, max_input_bytes=1000).post("/remix", json={"urls": [url]})
    assert_error(response, 413, "input_too_large")


# --- for real ---------------------------------------------------------------------------------------


def upload(client, song: bytes, *, name: str = "song.wav", headers: dict | None = None, **fields):
    data = {key: str(value) for key, value in fields.items()}
    return client.post(
        "/remix", files=[("files", (name, song, "audio/wav"))], data=data, headers=headers or {}
    )


def test_a_real_remix_is_a_playable_wav_of_the_length_asked(client, short_song) -> None:
    response = upload(client, short_song, seed=11, duration=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["content-disposition"] == 'attachment; filename="song-remix-11.wav"'
    y, sr = sf.read(io.BytesIO(response.content))
    assert sr == 22050 and y.ndim == 1
    assert len(y) / sr == pytest.approx(float(response.headers["x-remix-duration"]), abs=1e-3)
    assert len(y) / sr == pytest.approx(10, abs=0.6)
    # The size estimate made before rendering is exact for WAV.
    assert len(response.content) == wav_bytes(len(y) / sr, sr, 1)


def test_the_same_seed_gives_the_same_bytes_and_the_seed_is_reported(client, short_song) -> None:
    first, again = upload(client, short_song, seed=5), upload(client, short_song, seed=5)
    assert first.content == again.content
    unseeded = upload(client, short_song)
    seed = int(unseeded.headers["x-remix-seed"])
    assert upload(client, short_song, seed=seed).content == unseeded.content


def test_a_url_and_an_upload_of_the_same_song_give_the_same_remix(
    make_client, audio_server, short_song
) -> None:
    client = make_client(allow_private_urls=True)
    url = audio_server.serve("/song.wav", short_song)
    by_url = client.post("/remix", json={"urls": [url], "seed": 8, "format": "flac"})
    by_upload = upload(client, short_song, seed=8, format="flac")
    assert by_url.status_code == 200 and by_url.headers["content-type"] == "audio/flac"
    assert by_url.content == by_upload.content


def test_the_json_remix_carries_the_very_plan_it_plays(client, short_song) -> None:
    envelope = upload(client, short_song, seed=21, headers={"accept": "application/json"}).json()
    audio = upload(client, short_song, seed=21)
    plan = client.post(
        "/analyze", files=[("files", ("song.wav", short_song, "audio/wav"))], data={"seed": "21"}
    ).json()
    assert base64.b64decode(envelope["audio"]["base64"]) == audio.content
    assert envelope["plan"] == plan
    assert envelope["plan"]["seed"] == 21
    assert envelope["plan"]["duration"] == pytest.approx(float(audio.headers["x-remix-duration"]))


def test_a_wav_too_large_is_refused_before_rendering(make_client, short_song, monkeypatch) -> None:
    rendered = []
    monkeypatch.setattr(musicremixer, "remix", lambda *a, **k: rendered.append(1))
    response = upload(make_client(max_response_bytes=200_000), short_song, duration=60)
    detail = assert_error(response, 413, "response_too_large")["detail"]
    assert (
        detail
        == "A 60 s WAV is 2.6 MB; the limit is 0.2 MB: ask for format=mp3 or ogg, or a duration under 4 s."
    )
    assert rendered == []


@pytest.mark.parametrize(
    ("case", "status", "code", "phrase"),
    [
        ("silent", 422, "not_remixable", "quiet.wav is silent"),
        ("too long", 413, "input_too_long", "the limit is 5.0 s"),
        ("cut off", 415, "undecodable_audio", "cut.wav"),
        ("too short", 422, "not_remixable", "a remix needs at least 6 s"),
    ],
)
def test_an_input_with_its_own_problem_is_told_it_before_the_size(
    make_client, short_song, monkeypatch, case, status, code, phrase
) -> None:
    from tests.synth import silence, synthetic_song
    from tests.synth import wav_bytes as synth_wav

    rendered = []
    monkeypatch.setattr(musicremixer, "remix", lambda *a, **k: rendered.append(1))
    name, song = {
        "silent": ("quiet.wav", synth_wav(silence(60), 22050)),
        "too long": ("song.wav", short_song),  # 12 s, over the 5 s below
        "cut off": ("cut.wav", synth_wav(silence(60), 22050)[:600_000]),  # the header promises 60 s
        "too short": (
            "clip.wav",
            synthetic_song(bpm=120, meter=4, bars=2, sr=22050, channels=1).to_bytes("wav"),
        ),
    }[case]
    client = make_client(max_response_bytes=200_000, max_input_seconds=5 if case == "too long" else 600)
    detail = assert_error(upload(client, song, name=name, duration=600), status, code)["detail"]
    assert phrase in detail and "format=mp3" not in detail


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "flac"])
@pytest.mark.parametrize("accept", ["audio/*", "application/json"])
def test_an_hour_of_any_format_is_refused_before_rendering(make_client, monkeypatch, fmt, accept):
    # duration=3600 as MP3 took 38 s and 1.5 GB before its 413: now the library is never called.
    rendered = []
    monkeypatch.setattr(musicremixer, "remix", lambda *a, **k: rendered.append(1))
    from tests.synth import synthetic_song

    stereo = synthetic_song(bpm=120, bars=4, sr=44100, channels=2).to_bytes("wav")  # 8 s
    response = upload(
        make_client(max_response_bytes=4_500_000),
        stereo,
        duration=3600,
        format=fmt,
        headers={"accept": accept},
    )
    detail = assert_error(response, 413, "response_too_large")["detail"]
    # MP3 was stepped down to its lowest bitrate first; the others can still change format.
    advice = "even at 64 kb/s" if fmt == "mp3" else "ask for format="
    assert detail.startswith(f"A 3600 s {fmt.upper()}") and advice in detail
    assert rendered == []


def test_an_encoded_remix_too_large_is_refused_with_what_fits(make_client, short_song) -> None:
    # OGG's size is known only once encoded: 12 s might fit 20 kB, so it is rendered, then refused.
    response = upload(make_client(max_response_bytes=20_000), short_song, format="ogg", seed=1)
    detail = assert_error(response, 413, "response_too_large")["detail"]
    assert detail.startswith(
        "A 12 s OGG is 0.1 MB; the limit is 0.0 MB: ask for format=mp3, or a duration under"
    )


@pytest.mark.parametrize("accept", ["audio/*", "application/json"])
def test_an_mp3_too_large_at_128_kbps_is_sent_at_a_lower_bitrate_that_fits(make_client, short_song, accept):
    from musicremixer.encode import _mp3_frame, encoded_size

    # 12 s of mono at 22.05 kHz: at the "128" step (64 kb/s of mono) it does not fit the limit set
    # here, at the "80" step (40 kb/s) it does. The step is chosen before rendering.
    size = encoded_size(12.0, sr=22050, channels=1, format="mp3", mp3_kbps=80)
    # In JSON the limit also holds the room kept for the plan (about 8 kB for 12 s, as bytes).
    limit = size + (1_000 if accept == "audio/*" else 9_500)
    assert encoded_size(12.0, sr=22050, channels=1, format="mp3", mp3_kbps=96) > size + 9_500
    response = upload(make_client(max_response_bytes=limit), short_song, format="mp3", seed=1,
                      headers={"accept": accept})  # fmt: skip
    assert response.status_code == 200, response.text
    if accept == "application/json":
        envelope = response.json()
        assert envelope["audio"]["bitrate_kbps"] == 40
        data = base64.b64decode(envelope["audio"]["base64"])
    else:
        data = response.content
    assert len(data) <= limit and response.headers["x-remix-bitrate"] == "40"
    y, sr = sf.read(io.BytesIO(data))
    assert sr == 22050 and len(y) / sr == pytest.approx(float(response.headers["x-remix-duration"]), abs=1e-3)
    tag = _mp3_frame(data, 0)
    assert _mp3_frame(data, tag["length"])["kbps"] == 40  # the first audio frame, after the info tag


def test_a_local_server_sends_mp3_at_128_kbps(client, short_song) -> None:
    response = upload(client, short_song, format="mp3", seed=1, duration=10)
    assert response.status_code == 200 and response.headers["x-remix-bitrate"] == "64"  # mono: half of 128


def test_real_library_errors(make_client, short_song) -> None:
    from tests.synth import silence
    from tests.synth import wav_bytes as synth_wav

    client = make_client(max_input_seconds=5)
    assert_error(upload(client, short_song), 413, "input_too_long")
    assert_error(upload(client, b"RIFF" + b"x" * 100, name="junk.wav"), 415, "undecodable_audio")
    assert_error(upload(client, synth_wav(silence(3), 22050), name="quiet.wav"), 422, "not_remixable")


def test_the_original_three_url_request_mixes_every_song(
    make_client, audio_server, short_song, other_song
) -> None:
    from tests.synth import synthetic_song

    third = synthetic_song(bpm=116, meter=4, bars=8, sr=22050, channels=1, seed=6).to_bytes("wav")
    urls = [
        audio_server.serve(f"/{name}.wav", body)
        for name, body in (("a", short_song), ("b", other_song), ("c", third))
    ]
    client = make_client(allow_private_urls=True)
    response = client.post("/remix", json={"urls": urls, "seed": 2})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    y, sr = sf.read(io.BytesIO(response.content))
    assert sr == 22050 and len(y) / sr == pytest.approx(float(response.headers["x-remix-duration"]), abs=1e-3)
    plan = client.post("/analyze", json={"urls": urls, "seed": 2}).json()
    assert sorted(plan["order"]) == [0, 1, 2] and plan["left_out"] == []
    assert len(plan["transitions"]) == 2
    heard = {plan["beats"][step["beat"]]["track"] for step in plan["sequence"]}
    assert heard == {0, 1, 2}
    kept = client.post("/analyze", json={"urls": urls, "seed": 2, "keep_order": True}).json()
    assert kept["order"] == [0, 1, 2]
