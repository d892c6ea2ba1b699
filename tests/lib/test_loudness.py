"""BS.1770 loudness: what the mix levels its songs by."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.loudness import SILENT_LUFS, loudness_lufs
from tests.synth import noise, synthetic_song

SR = 22050


def test_a_song_6_db_quieter_measures_6_lu_less() -> None:
    song = synthetic_song(bpm=120, bars=8, sr=SR, channels=2)
    loud, quiet = loudness_lufs(song.y, SR), loudness_lufs(song.y * 0.5, SR)
    assert -40 < loud < 0
    assert loud - quiet == pytest.approx(20 * np.log10(2), abs=0.05)


def test_silence_and_clips_shorter_than_a_block_count_as_silent() -> None:
    assert loudness_lufs(np.zeros((2, SR * 3), dtype=np.float32), SR) == SILENT_LUFS
    assert loudness_lufs(noise(0.2, SR), SR) == SILENT_LUFS


def test_more_than_five_channels_are_measured_folded() -> None:
    y = np.repeat(noise(3, SR, seed=1), 8, axis=0)
    assert loudness_lufs(y, SR) == pytest.approx(loudness_lufs(y[:1], SR), abs=0.01)
