"""Rendering: runs copied untouched, seams crossfaded without clicks, the exact length."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.render import CROSSFADE_SECONDS, MAX_SHIFT_SECONDS, render_plan
from musicremixer.types import Analysis, Audio, Plan, TrackAnalysis
from musicremixer.walk import plan_walk

SR = 44100


def two_tone_track(seconds: float = 8.0, beat: float = 0.5) -> tuple[Audio, Analysis]:
    """440 Hz for the first half, 330 Hz for the second: any jump between halves is a hard seam."""
    t = np.arange(int(seconds * SR)) / SR
    half = t.shape[0] // 2
    y = np.where(np.arange(t.shape[0]) < half, np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 330 * t + 1.0))
    y = (0.5 * y).astype(np.float32)[None, :]
    starts = np.arange(0.0, seconds, beat)
    n = starts.shape[0]
    track = TrackAnalysis(
        name="tones",
        duration=seconds,
        tempo=60 / beat,
        meter=4,
        beat_times=starts,
        bar_positions=np.arange(n) % 4,
        features=np.zeros((n, 25)),
        levels_db=np.zeros((n, 2)),
    )
    analysis = Analysis(
        tracks=(track,),
        track_of_beat=np.zeros(n, dtype=int),
        beat_starts=starts,
        beat_ends=np.r_[starts[1:], seconds],
        bar_positions=np.arange(n) % 4,
        features=np.zeros((n, 25)),
        levels_db=np.zeros((n, 2)),
        feature_groups=(),
    )
    return Audio(y=y, sr=SR), analysis


def plan_of(
    beats: list[int], analysis: Analysis, *, fade_out: float = 0.0, duration: float | None = None
) -> Plan:
    lengths = (analysis.beat_ends - analysis.beat_starts)[beats]
    return Plan(
        beats=np.array(beats),
        times=np.r_[0, np.cumsum(lengths)[:-1]],
        duration=float(lengths.sum()) if duration is None else duration,
        fade_out=fade_out,
        seed=0,
        jumpiness=0.5,
    )


def hard_cut(audio: Audio, analysis: Analysis, beats: list[int]) -> np.ndarray:
    parts = [
        audio.y[:, round(analysis.beat_starts[b] * SR) : round(analysis.beat_ends[b] * SR)] for b in beats
    ]
    return np.concatenate(parts, axis=1)


def seam_roughness(y: np.ndarray, at_seconds: float, *, window: float = 0.03) -> float:
    """Largest second difference near a seam, relative to that of the 440 Hz sine itself."""
    centre = round(at_seconds * SR)
    w = round(window * SR)
    curvature = np.abs(np.diff(y[0, centre - w : centre + w], 2)).max()
    return float(curvature / (0.5 * (2 * np.pi * 440 / SR) ** 2))


def test_seams_between_unlike_sounds_do_not_click() -> None:
    audio, analysis = two_tone_track()
    beats = [0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7]  # 440 → 330 → 440 Hz
    plan = plan_of(beats, analysis)
    out = render_plan(plan, analysis, [audio]).y
    hard = hard_cut(audio, analysis, beats)
    for seam in (2.0, 4.0):
        assert seam_roughness(hard, seam) > 20  # the control: a bare cut is a click
        assert seam_roughness(out, seam) < 2.5


def test_contiguous_beats_are_copied_untouched() -> None:
    audio, analysis = two_tone_track()
    beats = [0, 1, 2, 3, 8, 9, 10, 11]
    out = render_plan(plan_of(beats, analysis), analysis, [audio]).y
    margin = round(CROSSFADE_SECONDS * SR)
    np.testing.assert_array_equal(out[:, : 2 * SR - margin], audio.y[:, : 2 * SR - margin])
    # The second run may be slid a little to match waveforms, but is otherwise a plain copy.
    run = out[:, 2 * SR + margin : 4 * SR]
    shift = round(MAX_SHIFT_SECONDS * SR)
    matches = [
        np.array_equal(run, audio.y[:, 4 * SR + margin + d : 6 * SR + d]) for d in range(-shift, shift + 1)
    ]
    assert sum(matches) == 1


def test_length_rate_and_channels_are_kept(long_song) -> None:
    plan = plan_walk(long_song.graph, long_song.analysis, duration=50.0, seed=1, jumpiness=0.8)
    out = render_plan(plan, long_song.analysis, [long_song.audio])
    assert out.sr == long_song.audio.sr
    assert out.channels == 2
    assert out.y.shape[1] == round(plan.duration * out.sr)
    assert out.y.dtype == np.float32


def test_fade_out_ends_in_silence() -> None:
    audio, analysis = two_tone_track()
    plan = plan_of(list(range(10)), analysis, fade_out=1.0, duration=4.7)
    out = render_plan(plan, analysis, [audio]).y
    assert out.shape[1] == round(4.7 * SR)
    assert np.abs(out[:, -50:]).max() < 0.01
    assert np.abs(out[:, -SR - 2000 : -SR]).max() > 0.4


def test_tracks_of_other_rates_and_channels_are_conformed() -> None:
    audio, analysis = two_tone_track()
    stereo = Audio(y=np.repeat(audio.y, 2, axis=0), sr=SR)
    mono_22k = Audio(y=audio.y[:, ::2].copy(), sr=SR // 2)
    n = analysis.n_beats
    pooled = Analysis(
        tracks=analysis.tracks * 2,
        track_of_beat=np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)],
        beat_starts=np.r_[analysis.beat_starts, analysis.beat_starts],
        beat_ends=np.r_[analysis.beat_ends, analysis.beat_ends],
        bar_positions=np.r_[analysis.bar_positions, analysis.bar_positions],
        features=np.zeros((2 * n, 25)),
        levels_db=np.zeros((2 * n, 2)),
        feature_groups=(),
    )
    beats = [0, 1, 2, 3, n + 4, n + 5, n + 6, n + 7]
    out = render_plan(plan_of(beats, pooled), pooled, [stereo, mono_22k])
    assert out.sr == SR and out.channels == 2
    assert out.y.shape[1] == pytest.approx(4 * SR, abs=2)
    # The second half came from the 22.05 kHz track: still a 440 Hz tone at 44.1 kHz.
    tail = out.y[0, 3 * SR : 4 * SR - 2000]
    spectrum = np.abs(np.fft.rfft(tail))
    assert np.fft.rfftfreq(tail.shape[0], 1 / SR)[np.argmax(spectrum)] == pytest.approx(440, abs=3)
