"""The stand-in the page sends for a song too large to upload (frontend/js/standin.js) gets the
song's own analysis: the same beats (F >= 0.98), bars, tempo and meter, and mostly the same jumps.

The page folds the channels to their mean, resamples to 48 kHz (Chromium's Opus encoder works at
48 kHz, and resampling there itself delays the signal by 1.5 ms) and encodes Opus at 32 kb/s in
Ogg. Here the same fold and rate, and libsndfile's Opus encoder at about the same bitrate
(``bench.standin``, which runs the same comparison on the real set); the browser's own stand-in is
checked against the original in tests/frontend/test_jukebox.py.
"""

from __future__ import annotations

import pytest

import musicremixer
from bench.standin import compare, standin
from tests.synth import synthetic_song


def plan_of(name: str, data: bytes) -> dict:
    return musicremixer.plan_remix([musicremixer.SourceFile(name, data)], seed=1)


SONGS = {
    "120 BPM 4/4 stereo 44.1 kHz": dict(bpm=120, meter=4, bars=24, sr=44100, channels=2),
    "96 BPM 3/4 mono 22.05 kHz": dict(bpm=96, meter=3, bars=24, sr=22050, channels=1),
    "140 BPM loud hats, pickup": dict(
        bpm=140, meter=4, bars=28, sr=44100, channels=2, hats=0.9, pickup=0.7, seed=5
    ),
    "86 BPM 48 kHz with an outro": dict(bpm=86, meter=4, bars=16, sr=48000, channels=2, outro=3.0, seed=9),
}


@pytest.mark.parametrize("name", list(SONGS))
def test_standin_gets_the_songs_analysis(name):
    song = synthetic_song(**SONGS[name])
    original_bytes = song.to_bytes("wav")
    data = standin(song.y, song.sr)
    kbps = len(data) * 8 / song.duration / 1000
    assert kbps < 40, kbps
    assert len(data) < len(original_bytes) / 10
    original, stand_in = plan_of("song.wav", original_bytes), plan_of("song.opus", data)
    scores = compare(original, stand_in)
    assert scores["beat_f"] >= 0.98, scores
    assert scores["downbeat_f"] >= 0.98, scores
    track, other = original["tracks"][0], stand_in["tracks"][0]
    assert other["meter"] == track["meter"]
    assert other["tempo"] == pytest.approx(track["tempo"], rel=0.01)
    assert other["duration"] == pytest.approx(track["duration"], abs=0.002)
    # The jumps come from features that a codec changes a little: most of them are the same.
    assert scores["edge_jaccard"] >= 0.6, scores
