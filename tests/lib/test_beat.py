"""Beats, tempo and onsets: against the known grid of synthetic songs, and against librosa itself."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.analyze import CUT_LEAD_SECONDS, DP_TIGHTNESS, analyze_track, mono_for_analysis
from musicremixer.beat import (
    estimate_tempo,
    onset_strength,
    place_on_long_short,
    pulse_clarity,
    track_beats,
)
from musicremixer.filters import SR
from musicremixer.spectrum import frame_features
from musicremixer.types import Audio
from tests.synth import noise, shuffle_song, stride_piano, synthetic_song

TOLERANCE = 0.07  # seconds: the usual window of beat-tracking evaluation


def f_measure(found: np.ndarray, truth: np.ndarray, tolerance: float = TOLERANCE) -> float:
    """Beat-tracking F-measure: each true beat matched by at most one found beat within tolerance."""
    matched, used = 0, np.zeros(found.shape[0], dtype=bool)
    for t in truth:
        close = np.flatnonzero(~used & (np.abs(found - t) <= tolerance))
        if close.size:
            used[close[np.argmin(np.abs(found[close] - t))]] = True
            matched += 1
    if matched == 0:
        return 0.0
    precision, recall = matched / found.shape[0], matched / truth.shape[0]
    return 2 * precision * recall / (precision + recall)


CASES = [(70, 4), (84, 4), (96, 3), (120, 4), (133, 4), (150, 3), (160, 4), (172, 3)]


@pytest.mark.parametrize(("bpm", "meter"), CASES)
def test_beats_bars_and_tempo_match_the_known_grid(bpm: int, meter: int) -> None:
    song = synthetic_song(bpm=bpm, meter=meter, bars=16, sr=44100, channels=2, seed=bpm)
    track = analyze_track(Audio(song.y, song.sr), name="song")
    assert f_measure(track.beat_times, song.beat_times) >= 0.97
    assert track.tempo == pytest.approx(bpm, rel=0.03)
    assert track.meter == meter
    downbeats = track.beat_times[track.bar_positions == 0]
    assert f_measure(downbeats, song.downbeat_times) >= 0.95


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_loud_eighth_note_hats_do_not_double_the_tempo(seed: int) -> None:
    # Real mixes: hats on every eighth as loud as the backbeat. An off-beat rule doubled such songs
    # (108 -> 212 BPM) and then found "3/4" bars at the doubled tempo.
    song = synthetic_song(
        bpm=108, meter=4, bars=24, sr=44100, channels=2, seed=seed, hats=1.0, offbeat_hats=1.0
    )
    track = analyze_track(Audio(song.y, song.sr), name="song")
    assert track.tempo == pytest.approx(108, rel=0.03)
    assert track.meter == 4
    assert f_measure(track.beat_times, song.beat_times) >= 0.97
    downbeats = track.beat_times[track.bar_positions == 0]
    assert f_measure(downbeats, song.downbeat_times) >= 0.95


def test_a_fast_beat_heard_at_half_time_keeps_whole_bars() -> None:
    # 180 BPM with the snare on 2 and 4 is as often tapped at 90: either is fair, but at 90 a bar
    # is two tracked beats, and the bars found must still start on the song's downbeats.
    song = synthetic_song(bpm=180, meter=4, bars=24, sr=44100, channels=2, seed=180)
    track = analyze_track(Audio(song.y, song.sr), name="song")
    ratio = track.tempo / 180
    assert ratio == pytest.approx(1.0, rel=0.03) or ratio == pytest.approx(0.5, rel=0.03)
    downbeats = track.beat_times[track.bar_positions == 0][1:]
    distance = np.abs(downbeats[:, None] - song.downbeat_times[None, :]).min(axis=1)
    assert np.all(distance <= TOLERANCE)


@pytest.mark.parametrize(("bpm", "seed"), [(96, 2), (110, 0), (130, 1)])
def test_a_stride_piano_s_off_beat_chords_do_not_take_the_beat(bpm: int, seed: int) -> None:
    # A rendered stride piece (openmsx's "No Work Song") had its grid half a beat off for two
    # thirds of its length: every eighth is as loud, and the spectral flux alone chose the chords.
    song = stride_piano(bpm=bpm, seed=seed)
    track = analyze_track(Audio(song.y, song.sr), name="song")
    assert f_measure(track.beat_times + CUT_LEAD_SECONDS, song.beat_times) >= 0.95
    downbeats = track.beat_times[track.bar_positions == 0] + CUT_LEAD_SECONDS
    assert f_measure(downbeats, song.downbeat_times) >= 0.9


@pytest.mark.parametrize(("bpm", "seed"), [(100, 2), (120, 1), (150, 0)])
def test_an_accented_shuffle_off_beat_does_not_take_the_beat(bpm: int, seed: int) -> None:
    # A rendered boogie (openmsx's "Boogi Marabi") was tracked on its swung off-beat (beat F 0.24).
    song = shuffle_song(bpm=bpm, seed=seed)
    track = analyze_track(Audio(song.y, song.sr), name="song")
    assert f_measure(track.beat_times + CUT_LEAD_SECONDS, song.beat_times) >= 0.95


def test_beat_cuts_sit_just_before_the_attacks() -> None:
    song = synthetic_song(bpm=110, meter=4, bars=16, sr=22050, channels=1, seed=2)
    track = analyze_track(Audio(song.y, song.sr), name="song")
    nearest = song.beat_times[np.argmin(np.abs(track.beat_times[1:, None] - song.beat_times), axis=1)]
    offsets = track.beat_times[1:] - nearest
    # Early by up to a frame or so, never late by more than a few milliseconds.
    assert -0.04 <= np.median(offsets) <= 0.005


def test_pickup_belongs_to_the_first_beat_and_outro_to_the_last(long_song) -> None:
    track = long_song.analysis.tracks[0]
    assert track.beat_times[0] == 0.0
    assert long_song.analysis.beat_ends[-1] == pytest.approx(long_song.song.duration)


@pytest.mark.parametrize(("bpm", "meter"), [(96, 3), (120, 4), (150, 3)])
def test_tracker_is_librosas(bpm: int, meter: int) -> None:
    librosa = pytest.importorskip("librosa")
    song = synthetic_song(bpm=bpm, meter=meter, bars=12, sr=44100, channels=1, seed=7)
    y = mono_for_analysis(Audio(song.y, song.sr))
    envelope = onset_strength(frame_features(y).mel_db)
    expected_envelope = librosa.onset.onset_strength(y=y, sr=SR, aggregate=np.median)
    np.testing.assert_allclose(envelope, expected_envelope, atol=1e-3)
    tempo = estimate_tempo(envelope)
    assert tempo == pytest.approx(float(librosa.feature.tempo(onset_envelope=expected_envelope, sr=SR)[0]))
    _, expected_frames = librosa.beat.beat_track(onset_envelope=expected_envelope, sr=SR)
    np.testing.assert_array_equal(track_beats(expected_envelope, bpm=tempo), expected_frames)


def test_pulse_clarity_separates_music_from_noise() -> None:
    song = synthetic_song(bpm=100, meter=4, bars=8, sr=22050, channels=1)
    music = pulse_clarity(onset_strength(frame_features(song.y[0]).mel_db))
    hiss = pulse_clarity(onset_strength(frame_features(noise(20, 22050)[0]).mel_db))
    assert music > 0.5
    assert hiss < 0.15


def test_no_onsets_gives_no_beats() -> None:
    assert track_beats(np.zeros(500, dtype=np.float32), bpm=120).size == 0


def test_beats_locked_on_an_accented_shuffle_off_beat_move_onto_the_beat() -> None:
    # Long-short eighths with the off-beat (two thirds into the beat) played louder, as shuffles do.
    period, n = 24, 2400
    envelope = np.zeros(n, dtype=np.float32)
    envelope[0:n:period] = 1.0
    envelope[16:n:period] = 1.5
    on_the_off_beats = track_beats(envelope, bpm=60.0 * SR / (512 * period))
    assert np.all(on_the_off_beats % period == 16)  # what the tracker alone does
    moved = place_on_long_short(envelope, on_the_off_beats)
    assert np.all(moved % period == 0)
    straight = envelope.copy()
    straight[16:n:period] = 0.0
    straight[12:n:period] = 1.5  # straight eighths: no side is "short-long", nothing moves
    beats = track_beats(straight, bpm=60.0 * SR / (512 * period))
    np.testing.assert_array_equal(place_on_long_short(straight, beats), beats)


def test_steadying_removes_jitter_and_keeps_a_tempo_change() -> None:
    from musicremixer.analyze import _steady

    rng = np.random.default_rng(0)
    grid = np.r_[np.arange(20) * 0.5, 9.5 + np.arange(1, 21) * 0.4]  # 120 BPM, then 150 BPM
    jittered = grid + rng.uniform(-0.008, 0.008, grid.shape[0])
    steady = _steady(jittered)
    inner = np.r_[2:17, 23:38]  # away from the ends and the change

    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x[inner] ** 2)))

    assert rms(steady - grid) < rms(jittered - grid) / 1.8  # a mean of 5 divides the jitter by about 2.2
    assert np.abs(steady - grid).max() <= 0.02 + 0.008  # no beat moved more than a frame, even at the change


def test_a_sharp_attack_takes_the_beat_to_the_sample() -> None:
    from musicremixer.analyze import _on_attacks

    y = np.zeros(SR * 3, dtype=np.float32)
    hits = np.array([0.5, 1.0, 1.5, 2.0])
    for t in hits:
        start = round(t * SR)
        y[start : start + 2000] = np.sin(np.arange(2000) * 0.05) * np.exp(-np.arange(2000) / 600)
    pad = np.sin(np.arange(SR * 3) * 0.01).astype(np.float32) * 0.05  # a swell: no attack
    moved = _on_attacks(y + pad, hits + np.array([0.012, -0.009, 0.02, 0.0]))
    np.testing.assert_allclose(moved, hits, atol=1.5e-3)
    untouched = np.array([0.25, 0.75])  # between the hits: only the pad, no attack within 25 ms
    np.testing.assert_array_equal(_on_attacks(y + pad, untouched), untouched)


def test_the_analysis_tightness_keeps_the_grid_through_a_stronger_swung_off_beat():
    # A boogie's 20 s where the network heard the swung off-beat (a third of a beat early) above
    # the beat: librosa's tightness let the grid slip onto it; the analysis' holds the beat.
    period, n = 20, 1500
    beats = np.arange(10, n - 10, period)
    activation = np.zeros(n, np.float32)
    activation[beats] = 1.0
    section = (beats > 500) & (beats < 1000)
    activation[beats[section]] = 0.5
    activation[beats[section] - 7] = 0.7

    def kept(tightness: float) -> float:
        found = track_beats(activation, bpm=150.0, hop_length=441, tightness=tightness, fractional=True)
        return float(np.isin(beats[section], found).mean())

    assert kept(100.0) == 0.0
    assert kept(DP_TIGHTNESS) == 1.0
