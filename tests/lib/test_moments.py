"""Music without a steady pulse: remixed in moments, while noise and speech are still refused."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.analyze import analyze_track, mono_for_analysis
from musicremixer.errors import NotRemixableError
from musicremixer.moments import MAX_CHROMA_FLATNESS, MOMENT_SECONDS, chroma_flatness, moment_grid
from musicremixer.spectrum import frame_features
from musicremixer.types import Audio
from tests.synth import ambient_pad, noise, rubato_piece, synthetic_song


def flatness_of(y: np.ndarray, sr: int) -> float:
    return chroma_flatness(frame_features(mono_for_analysis(Audio(np.atleast_2d(y), sr))))


@pytest.mark.parametrize(
    "song",
    [rubato_piece(seconds=40.0, seed=1), ambient_pad(seconds=40.0, seed=2, channels=2)],
    ids=["rubato", "ambient pad"],
)
def test_music_without_a_pulse_is_cut_into_moments(song) -> None:
    track = analyze_track(Audio(song.y, song.sr), name="piece")
    assert track.free_time
    assert track.tempo == 0.0
    assert np.allclose(np.diff(track.beat_times), MOMENT_SECONDS)
    assert track.beat_times[0] == 0.0
    assert song.duration - track.beat_times[-1] < 2 * MOMENT_SECONDS
    assert track.features.shape[0] == track.beat_times.shape[0] == track.levels_db.shape[0]


def test_a_steady_song_is_not_free_time() -> None:
    song = synthetic_song(bpm=120, meter=4, bars=16, sr=22050, channels=1)
    assert not analyze_track(Audio(song.y, song.sr), name="song").free_time


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_is_refused_as_neither_beat_nor_harmony(seed: int) -> None:
    with pytest.raises(NotRemixableError, match="noise or speech"):
        analyze_track(Audio(noise(20, 22050, seed=seed), 22050), name="hiss")


def test_a_gliding_voice_reads_as_flat_as_noise() -> None:
    # Speech stand-in: a buzzy voice whose pitch glides over an octave and back, in syllables.
    sr = 22050
    t = np.arange(20 * sr) / sr
    pitch = 140 * 2 ** np.sin(2 * np.pi * t / 1.7)
    buzz = np.sign(np.sin(2 * np.pi * np.cumsum(pitch) / sr)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2
    assert flatness_of(0.3 * buzz, sr) > MAX_CHROMA_FLATNESS
    assert flatness_of(ambient_pad(seconds=20.0).y, sr) < MAX_CHROMA_FLATNESS - 0.2


def test_moment_grid_covers_the_track_in_bars() -> None:
    starts, positions = moment_grid(7.3)
    assert starts[0] == 0.0 and starts[-1] <= 7.3 - MOMENT_SECONDS
    assert list(positions[:6]) == [0, 1, 2, 3, 0, 1]
