"""The test-audio generator tells the truth about what it made."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from tests.synth import click_track, noise, silence, synthetic_song, wav_bytes


@pytest.mark.parametrize(
    ("bpm", "meter", "bars", "sr", "channels", "pickup", "outro"),
    [(120, 4, 8, 44100, 2, 0.0, 0.0), (96, 3, 6, 22050, 1, 0.75, 2.5), (140, 4, 4, 8000, 6, 0.1, 0.0)],
)
def test_song_length_and_grid(bpm, meter, bars, sr, channels, pickup, outro):
    song = synthetic_song(
        bpm=bpm, meter=meter, bars=bars, sr=sr, channels=channels, pickup=pickup, outro=outro
    )
    expected = pickup + bars * meter * 60 / bpm + outro
    assert song.y.shape == (channels, round(expected * sr))
    assert song.y.dtype == np.float32
    assert song.sr == sr and song.bpm == bpm and song.meter == meter
    assert song.beat_times.shape == (bars * meter,)
    assert song.beat_times[0] == pytest.approx(pickup)
    np.testing.assert_allclose(np.diff(song.beat_times), 60 / bpm)
    np.testing.assert_allclose(song.downbeat_times, song.beat_times[::meter])


def test_song_level(song_4_4):
    peak = np.abs(song_4_4.y).max()
    assert 0.7 < peak < 1.0
    assert np.isfinite(song_4_4.y).all()


def test_pickup_is_near_silent_and_beats_are_loud():
    song = synthetic_song(bpm=120, bars=4, sr=22050, channels=1, pickup=1.0)
    y = song.y[0]
    pickup_rms = np.sqrt(np.mean(y[: int(0.95 * song.sr)] ** 2))
    body_rms = np.sqrt(np.mean(y[song.sr :] ** 2))
    assert pickup_rms < 1e-3 < 0.05 < body_rms


def test_downbeats_are_louder_than_other_beats(song_4_4):
    # The kick on the downbeat is what marks the bar for the ear: check its energy in the first 50 ms.
    y = song_4_4.y.mean(axis=0)
    window = int(0.05 * song_4_4.sr)
    energy = np.array(
        [np.sum(y[s : s + window] ** 2) for s in np.round(song_4_4.beat_times * song_4_4.sr).astype(int)]
    )
    on_downbeat = energy[:: song_4_4.meter]
    others = energy.reshape(-1, song_4_4.meter)[:, 1:]
    assert on_downbeat.min() > others.max()


def test_bars_repeat_every_four_but_not_exactly(song_4_4):
    # The progression repeats every 4 bars: bar 4 sounds like bar 0 (a jump candidate) but is not a copy.
    sr, y = song_4_4.sr, song_4_4.y[0]
    bar = round(song_4_4.meter * 60 / song_4_4.bpm * sr)
    bars = [y[i * bar : (i + 1) * bar] for i in range(8)]

    def corr(a, b):
        return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))

    assert corr(bars[0], bars[4]) > 0.9
    assert not np.array_equal(bars[0], bars[4])
    assert corr(bars[0], bars[1]) < corr(bars[0], bars[4])


def test_deterministic_by_seed():
    a = synthetic_song(bpm=110, bars=4, sr=22050, seed=3)
    b = synthetic_song(bpm=110, bars=4, sr=22050, seed=3)
    c = synthetic_song(bpm=110, bars=4, sr=22050, seed=4)
    assert np.array_equal(a.y, b.y)
    assert not np.array_equal(a.y, c.y)
    assert a.to_bytes("flac") == b.to_bytes("flac")


def test_click_track_grid(click_120):
    assert click_120.y.shape == (1, 20 * 22050)
    np.testing.assert_allclose(click_120.beat_times, np.arange(40) * 0.5)
    np.testing.assert_allclose(click_120.downbeat_times, np.arange(10) * 2.0)
    # Each click starts where the grid says, and there is silence between clicks.
    y = click_120.y[0]
    onsets = np.flatnonzero(np.abs(y) > 0.05)
    assert np.round(onsets.min() / 22050, 3) == 0.0
    assert np.abs(y[int(0.25 * 22050) : int(0.45 * 22050)]).max() == 0.0


def test_click_track_channels_and_seed():
    a = click_track(bpm=90, seconds=4, channels=2, seed=1)
    assert a.y.shape == (2, 4 * 22050)
    assert np.array_equal(a.y[0], a.y[1])
    assert not np.array_equal(a.y, click_track(bpm=90, seconds=4, channels=2, seed=2).y)


@pytest.mark.parametrize("format", ["wav", "flac", "ogg", "mp3"])
def test_to_bytes_reads_back(format):
    song = synthetic_song(bpm=120, bars=2, sr=22050, channels=2)
    data = song.to_bytes(format)
    info = sf.info(io.BytesIO(data))
    assert info.samplerate == 22050 and info.channels == 2
    y, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    # Lossy codecs add encoder delay/padding; the length stays within a tenth of a second.
    assert abs(y.shape[0] - song.y.shape[1]) < 0.1 * song.sr


def test_helpers():
    assert noise(1.5, sr=8000, seed=1).shape == (1, 12000)
    assert noise(1.0, seed=1, channels=2).shape == (2, 22050)
    assert not np.array_equal(noise(1.0, seed=1), noise(1.0, seed=2))
    assert np.array_equal(noise(1.0, seed=1), noise(1.0, seed=1))
    assert not silence(2.0, sr=8000).any() and silence(2.0, sr=8000).shape == (1, 16000)
    y, sr = sf.read(io.BytesIO(wav_bytes(noise(0.5, sr=8000), 8000, subtype="PCM_24")), always_2d=True)
    assert sr == 8000 and y.shape == (4000, 1)
    assert sf.info(io.BytesIO(wav_bytes(silence(0.1), 22050, subtype="FLOAT"))).subtype == "FLOAT"
