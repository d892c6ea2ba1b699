"""POST /analyze: the same inputs as /remix, the plan as JSON."""

from __future__ import annotations

import pytest


def test_the_plan_comes_back_with_its_seed(client, fake_library) -> None:
    response = client.post(
        "/analyze", files=[("files", ("a.wav", b"RIFF-a", "audio/wav"))], data={"seed": "6"}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == fake_library.plan(6)
    assert response.headers["x-remix-seed"] == "6"
    call = fake_library.calls[0]
    assert "format" not in call  # plan_remix takes no format
    assert call["max_input_seconds"] == 600.0


def test_json_inputs_are_fetched(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/tune.ogg", b"OggS-bytes", content_type="audio/ogg")
    response = make_client(allow_private_urls=True).post("/analyze", json={"urls": [url], "format": "ogg"})
    assert response.status_code == 200
    assert fake_library.calls[0]["sources"] == [("tune.ogg", b"OggS-bytes")]


def test_a_real_plan_follows_the_contract(client, short_song) -> None:
    response = client.post(
        "/analyze",
        files=[("files", ("song.wav", short_song, "audio/wav"))],
        data={"seed": "2", "duration": "20"},
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["seed"] == 2 and plan["tracks"][0]["name"] == "song.wav"
    assert plan["duration"] == pytest.approx(20, abs=0.6)
    assert plan["tempo"] == pytest.approx(120, rel=0.03)
    n_beats = len(plan["beats"])
    assert all(0 <= step["beat"] < n_beats for step in plan["sequence"])
    times = [step["time"] for step in plan["sequence"]]
    assert times == sorted(times) and times[0] == 0.0


def _decoded(data: bytes):
    import io

    import soundfile as sf

    y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return y.T, sr


def test_audio_copy_is_the_song_itself_beside_its_plan(client, audio_server, make_client) -> None:
    import base64

    from tests.synth import synthetic_song

    song = synthetic_song(bpm=120, meter=4, bars=8, sr=44100, channels=2)
    url = audio_server.serve("/groove.wav", song.to_bytes("wav"))
    response = make_client(allow_private_urls=True).post("/analyze", json={"urls": [url], "audio_copy": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan"]["tracks"][0]["name"] == "groove.wav" and body["plan"]["edges"]
    audio = body["audio"]
    assert audio["media_type"] == "audio/ogg" and audio["filename"] == "groove.ogg"
    y, sr = _decoded(base64.b64decode(audio["base64"]))
    # The song's own rate, channels and length, sample for sample on its timeline (no codec delay).
    assert sr == 44100 and y.shape == song.y.shape
    for channel in range(2):
        a, b = y[channel], song.y[channel]
        correlation = float(a @ b) / float((a @ a) ** 0.5 * (b @ b) ** 0.5)
        assert correlation > 0.97  # Vorbis at its default quality, on a song of clicks and hats
        # Best in place: a copy a sample early or late would line up less well.
        lags = {lag: float(a[10 + lag : -10 + lag] @ b[10:-10]) for lag in range(-3, 4)}
        assert max(lags, key=lags.get) == 0, lags


def test_audio_copy_keeps_to_the_response_limit(make_client, audio_server, short_song) -> None:
    import base64

    url = audio_server.serve("/song.wav", short_song)
    roomy = make_client(allow_private_urls=True).post("/analyze", json={"urls": [url], "audio_copy": True})
    tight = make_client(allow_private_urls=True, max_response_bytes=60_000).post(
        "/analyze", json={"urls": [url], "audio_copy": True}
    )
    assert roomy.status_code == tight.status_code == 200, tight.text
    big, small = (len(base64.b64decode(r.json()["audio"]["base64"])) for r in (roomy, tight))
    assert small < big and len(tight.content) <= 4 * -(-60_000 // 3)
    too_tight = make_client(allow_private_urls=True, max_response_bytes=40_000).post(
        "/analyze", json={"urls": [url], "audio_copy": True}
    )
    assert too_tight.status_code == 413 and too_tight.json()["code"] == "response_too_large"
    assert "songs up to about" in too_tight.json()["detail"]


def test_audio_copy_is_for_one_song_and_for_analyze(make_client, audio_server, short_song) -> None:
    client = make_client(allow_private_urls=True)
    url = audio_server.serve("/song.wav", short_song)
    two = client.post("/analyze", json={"urls": [url, url], "audio_copy": True})
    assert two.status_code == 422 and "one song" in two.json()["detail"]
    remix = client.post("/remix", json={"urls": [url], "audio_copy": True})
    assert remix.status_code == 422 and "/analyze" in remix.json()["detail"]
    form = client.post(
        "/analyze", files=[("files", ("song.wav", short_song, "audio/wav"))], data={"audio_copy": "true"}
    )
    assert form.status_code == 200 and form.json()["audio"]["filename"] == "song.ogg"
