"""BS.1770 loudness: what the mix levels its songs by, checked against pyloudnorm."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from musicremixer.loudness import SILENT_LUFS, loudness_lufs
from tests.synth import ambient_pad, noise, synthetic_song

SR = 22050


def reference(y: np.ndarray, sr: int) -> float:
    return float(pyloudnorm.Meter(sr).integrated_loudness(y.T.astype(np.float64)))


@pytest.mark.parametrize(
    "y",
    [
        synthetic_song(bpm=120, bars=8, sr=SR, channels=2).y,
        synthetic_song(bpm=97, bars=8, sr=SR, channels=1, seed=3).y * 0.3,
        ambient_pad(seconds=20, sr=SR, channels=2).y,
        noise(10, SR, seed=2, channels=2) * 0.1,
    ],
    ids=["song", "quiet-mono-song", "pad", "noise"],
)
def test_agrees_with_pyloudnorm(y: np.ndarray) -> None:
    assert loudness_lufs(y, SR) == pytest.approx(reference(y, SR), abs=0.2)


def test_a_loud_part_and_a_quiet_one_are_gated_as_bs1770_gates_them() -> None:
    song = synthetic_song(bpm=120, bars=8, sr=SR, channels=2).y
    y = np.concatenate([song, song * 0.05, song * 0.5], axis=1)  # the -26 dB stretch is gated out
    assert loudness_lufs(y, SR) == pytest.approx(reference(y, SR), abs=0.2)


def test_a_song_6_db_quieter_measures_6_lu_less() -> None:
    song = synthetic_song(bpm=120, bars=8, sr=SR, channels=2)
    loud, quiet = loudness_lufs(song.y, SR), loudness_lufs(song.y * 0.5, SR)
    assert loud - quiet == pytest.approx(20 * np.log10(2), abs=0.05)


def test_silence_and_clips_shorter_than_a_block_count_as_silent() -> None:
    assert loudness_lufs(np.zeros((2, SR * 3), dtype=np.float32), SR) == SILENT_LUFS
    assert loudness_lufs(noise(0.2, SR), SR) == SILENT_LUFS


def test_more_than_five_channels_count_one_each() -> None:
    mono = noise(3, SR, seed=1)
    assert loudness_lufs(np.repeat(mono, 8, axis=0), SR) == pytest.approx(
        loudness_lufs(mono, SR) + 10 * np.log10(3 + 2 * 1.41 + 3), abs=0.01
    )
