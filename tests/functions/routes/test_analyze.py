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
