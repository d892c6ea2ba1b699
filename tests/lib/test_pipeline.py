"""The whole remix through the public API: what a caller gets, and the errors bad input gets."""

from __future__ import annotations

import io
import itertools
import json
import threading
import time

import numpy as np
import pytest
import soundfile as sf
import soxr

from musicremixer import (
    DecodeError,
    InputTooLongError,
    NotRemixableError,
    ParameterError,
    SourceFile,
    plan_remix,
    remix,
)
from tests.synth import SynthSong, noise, silence, synthetic_song, wav_bytes


@pytest.fixture(scope="module")
def song_wav(song_4_4) -> SourceFile:
    return SourceFile("song.wav", song_4_4.to_bytes("wav"))


def decode(data: bytes) -> tuple[np.ndarray, int]:
    y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return y.T, sr


def test_the_original_services_defaults_give_a_wav_of_the_songs_length(song_4_4, song_wav) -> None:
    result = remix([song_wav], seed=1)
    y, sr = decode(result.data)
    assert result.media_type == "audio/wav" and result.format == "wav"
    assert sr == song_4_4.sr and y.shape[0] == 2
    assert abs(y.shape[1] / sr - song_4_4.duration) <= 60 / song_4_4.bpm
    assert result.plan["ending"] == "song"


def test_stereo_stays_stereo_and_the_rate_stays(song_3_4) -> None:
    for channels, sr in [(1, 22050), (2, 48000)]:
        song = synthetic_song(bpm=96, meter=3, bars=12, sr=sr, channels=channels, seed=4)
        y, out_sr = decode(remix([SourceFile("s.wav", song.to_bytes())], seed=2, duration=20).data)
        assert (y.shape[0], out_sr) == (channels, sr)


def test_same_input_and_seed_give_the_same_bytes(song_wav) -> None:
    for fmt in ("wav", "flac", "mp3", "ogg"):
        first = remix([song_wav], seed=9, duration=15, format=fmt)
        again = remix([song_wav], seed=9, duration=15, format=fmt)
        assert first.data == again.data, fmt
    assert remix([song_wav], seed=10, duration=40).plan != remix([song_wav], seed=11, duration=40).plan


def test_every_format_decodes_to_the_asked_length(song_wav) -> None:
    for fmt, media_type in [("flac", "audio/flac"), ("ogg", "audio/ogg"), ("mp3", "audio/mpeg")]:
        result = remix([song_wav], seed=3, duration=12.0, format=fmt)
        y, sr = decode(result.data)
        assert result.media_type == media_type
        assert y.shape[1] / sr == pytest.approx(result.duration, abs=0.08)  # codec padding
        assert abs(result.duration - 12.0) <= 0.5


def test_plan_remix_is_the_plan_remix_renders(song_wav) -> None:
    plan = plan_remix([song_wav], seed=5, duration=30, jumpiness=0.9)
    assert plan == remix([song_wav], seed=5, duration=30, jumpiness=0.9).plan
    json.dumps(plan)  # JSON-ready
    assert {"tempo", "sample_rate", "tracks", "beats", "edges", "sequence"} <= plan.keys()
    beat = plan["beats"][5]
    assert {"track", "start", "end", "bar_position", "cluster"} == beat.keys()
    steps = plan["sequence"]
    assert steps[0] == {"beat": 0, "time": 0.0}
    assert all(b["time"] > a["time"] for a, b in itertools.pairwise(steps))


def test_several_inputs_remix_together(song_4_4) -> None:
    # The same song folded to mono at another rate: its beats must pool with the first one's.
    mono = soxr.resample(song_4_4.y.mean(axis=0), song_4_4.sr, 22050)
    other = SynthSong(mono[None, :], 22050, song_4_4.beat_times, song_4_4.downbeat_times, 120.0, 4)
    sources = [SourceFile("a.wav", song_4_4.to_bytes()), SourceFile("b.flac", other.to_bytes("flac"))]
    result = remix(sources, seed=4, jumpiness=1.0)
    plan = result.plan
    assert [t["name"] for t in plan["tracks"]] == ["a.wav", "b.flac"]
    # By default each song plays through once; the transition overlaps them by its length, and each
    # song leaves at a phrase boundary that leaves room for it.
    (transition,) = plan["transitions"]
    phrase = 16 * 60 / 120
    total = song_4_4.duration + other.duration - transition["length"]
    assert total - phrase - 1 <= plan["duration"] <= total
    played = {plan["beats"][s["beat"]]["track"] for s in plan["sequence"]}
    assert played == {0, 1}
    y, sr = decode(result.data)
    assert (y.shape[0], sr) == (2, song_4_4.sr)


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"", DecodeError, "empty"),
        (b"<!doctype html><html><body>Not found</body></html>", DecodeError, "clip.wav"),
        (wav_bytes(silence(20, 22050), 22050), NotRemixableError, "silent"),
        (wav_bytes(noise(20, 22050, seed=1), 22050), NotRemixableError, "steady beat"),
        (
            wav_bytes(synthetic_song(bpm=120, bars=1, sr=22050, channels=1).y, 22050),
            NotRemixableError,
            "long",
        ),
    ],
    ids=["empty", "html", "silence", "noise", "two-second clip"],
)
def test_bad_input_gets_a_clear_error(data: bytes, error: type, words: str) -> None:
    with pytest.raises(error) as raised:
        remix([SourceFile("clip.wav", data)], seed=1)
    assert words in str(raised.value).lower() or words in str(raised.value)
    assert raised.value.code


def test_too_long_input_is_refused(song_wav) -> None:
    with pytest.raises(InputTooLongError, match=r"song\.wav"):
        remix([song_wav], max_input_seconds=30)


@pytest.mark.parametrize(
    "options",
    [
        {"duration": 0},
        {"duration": 1e-9},
        {"duration": 0.999},  # under MIN_DURATION: a remix holds at least a second
        {"duration": -5},
        {"duration": 1e9},
        {"duration": 3600.001},  # over MAX_DURATION
        {"jumpiness": 1.5},
        {"seed": -1},
        {"format": "aiff"},
        {"format": "mp3", "mp3_kbps": 100},  # not one of MP3_BITRATES_KBPS
    ],
)
def test_bad_options_are_refused_before_any_work(options: dict) -> None:
    with pytest.raises(ParameterError) as raised:
        remix([SourceFile("x.wav", b"not even audio")], **options)
    assert str(list(options.values())[-1]) in str(raised.value) or "format" in str(raised.value)


def test_durations_at_the_limits_are_accepted(song_wav) -> None:
    from musicremixer import MAX_DURATION, MIN_DURATION

    assert (MIN_DURATION, MAX_DURATION) == (1.0, 3600.0)
    plan = plan_remix([song_wav], seed=1, duration=MIN_DURATION)
    assert plan["duration"] == pytest.approx(MIN_DURATION, abs=0.05)
    assert plan_remix([song_wav], seed=1, duration=MAX_DURATION)["duration"] > 3000


def test_no_inputs_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="at least one"):
        remix([])


def test_stages_are_reported_in_order(song_wav) -> None:
    seen: list[str] = []
    remix([song_wav], seed=1, duration=10, on_stage=seen.append)
    assert seen == ["decode", "analyze", "graph", "walk", "render", "encode"]


def test_concurrent_first_imports_of_the_engine_take_turns(monkeypatch) -> None:
    # Two threads importing scipy at once can each find the other's half-initialized modules.
    from musicremixer import pipeline

    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    imported: list[str] = []
    entered = threading.Barrier(4)

    def slow_import(name: str) -> None:
        inside.append(name)
        if len(inside) > 1:
            overlaps.append(tuple(inside))
        time.sleep(0.01)
        imported.append(name)
        inside.remove(name)

    monkeypatch.setattr(pipeline, "_ENGINE_MODULES", ("musicremixer_test_a", "musicremixer_test_b"))
    monkeypatch.setattr(pipeline.importlib, "import_module", slow_import)

    def first_remix() -> None:
        entered.wait()
        pipeline.import_engine()

    threads = [threading.Thread(target=first_remix) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert imported.count("musicremixer_test_a") >= 1  # none of these names ever reach sys.modules
