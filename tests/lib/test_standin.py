"""The stand-in the page sends for a song too large to upload (frontend/js/standin.js) gets the
song's own analysis: the same beats (F >= 0.98), bars, tempo and meter, and mostly the same jumps.

The page folds the channels to their mean, resamples to 48 kHz (Chromium's Opus encoder works at
48 kHz, and resampling there itself delays the signal by 1.5 ms) and encodes Opus at 32 kb/s in
Ogg. Here the same fold and rate, and libsndfile's Opus encoder at about the same bitrate; the
browser's own stand-in is checked against the original in tests/frontend/test_jukebox.py.
"""

from __future__ import annotations

import io

import mir_eval
import numpy as np
import pytest
import soundfile as sf
import soxr

import musicremixer
from tests.synth import SynthSong, synthetic_song

OPUS_RATE = 48_000
OPUS_32_KBPS = 0.9  # libsndfile's compression level that gives about 32 kb/s on these songs


def standin(song: SynthSong) -> bytes:
    mono = song.y.mean(axis=0, dtype=np.float32)
    if song.sr != OPUS_RATE:
        mono = soxr.resample(mono, song.sr, OPUS_RATE).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, mono, OPUS_RATE, format="OGG", subtype="OPUS", compression_level=OPUS_32_KBPS)
    return buffer.getvalue()


def plan_of(name: str, data: bytes) -> dict:
    return musicremixer.plan_remix([musicremixer.SourceFile(name, data)], seed=1)


def compare(original: dict, stand_in: dict) -> dict[str, float]:
    """Beat and downbeat F (mir_eval, 70 ms; beat 0 is forced to 0 and left out), and edge overlap."""

    def starts(plan: dict, downbeats: bool = False) -> np.ndarray:
        beats = [b["start"] for b in plan["beats"] if not downbeats or b["bar_position"] == 0]
        return np.asarray(beats[1:])

    edges = [{(e["from"], e["to"]) for e in plan["edges"]} for plan in (original, stand_in)]
    return {
        "beat_f": mir_eval.beat.f_measure(starts(original), starts(stand_in)),
        "downbeat_f": mir_eval.beat.f_measure(starts(original, True), starts(stand_in, True)),
        "edge_jaccard": len(edges[0] & edges[1]) / max(1, len(edges[0] | edges[1])),
    }


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
    data = standin(song)
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
