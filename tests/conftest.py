"""Shared fixtures: songs made by code (see :mod:`tests.synth`), built once per test session."""

from __future__ import annotations

import pytest

from tests.synth import SynthSong, click_track, synthetic_song


@pytest.fixture(scope="session")
def song_4_4() -> SynthSong:
    """24 bars of 4/4 at 120 BPM, stereo, 44.1 kHz: 48 s."""
    return synthetic_song(bpm=120, meter=4, bars=24, sr=44100, channels=2)


@pytest.fixture(scope="session")
def song_3_4() -> SynthSong:
    """24 bars of 3/4 at 96 BPM, mono, 22.05 kHz: 45 s."""
    return synthetic_song(bpm=96, meter=3, bars=24, sr=22050, channels=1)


@pytest.fixture(scope="session")
def click_120() -> SynthSong:
    """A 4/4 click track at 120 BPM, mono, 22.05 kHz, 20 s."""
    return click_track(bpm=120, seconds=20)
