"""Fixtures for the library's tests: synthetic songs, decoded and analyzed once per session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from musicremixer.analyze import analyze_tracks
from musicremixer.graph import build_jump_graph
from musicremixer.types import Analysis, Audio, JumpGraph
from tests.synth import SynthSong, synthetic_song


@dataclass(frozen=True)
class Analyzed:
    song: SynthSong
    audio: Audio
    analysis: Analysis
    graph: JumpGraph


def analyzed(song: SynthSong) -> Analyzed:
    audio = Audio(y=song.y, sr=song.sr)
    analysis = analyze_tracks([audio], names=["song"])
    return Analyzed(song=song, audio=audio, analysis=analysis, graph=build_jump_graph(analysis))


@pytest.fixture(scope="session")
def analyzed_4_4(song_4_4: SynthSong) -> Analyzed:
    return analyzed(song_4_4)


@pytest.fixture(scope="session")
def analyzed_3_4(song_3_4: SynthSong) -> Analyzed:
    return analyzed(song_3_4)


@pytest.fixture(scope="session")
def long_song() -> Analyzed:
    """64 bars of 4/4 at 128 BPM with a pickup and a two-second outro: 122 s, stereo."""
    return analyzed(
        synthetic_song(bpm=128, meter=4, bars=64, sr=44100, channels=2, seed=5, pickup=0.4, outro=2.0)
    )
