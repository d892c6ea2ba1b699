"""Rendering: runs copied untouched, seams crossfaded without clicks, clipping or level jolts, the
exact length."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.render import CROSSFADE_SECONDS, MAX_SHIFT_SECONDS, render_plan
from musicremixer.types import Analysis, Audio, Plan, TrackAnalysis
from musicremixer.walk import plan_walk
from tests.synth import synthetic_song

SR = 44100


def grid_analysis(
    beat_times: np.ndarray, seconds: float, *, levels_db: np.ndarray | None = None, free_time: bool = False
) -> Analysis:
    """A one-track analysis on a known beat grid (the first beat takes the pickup)."""
    starts = np.r_[0.0, beat_times[1:]]
    n = starts.shape[0]
    levels = np.zeros((n, 2)) if levels_db is None else levels_db
    track = TrackAnalysis(
        name="grid",
        duration=seconds,
        tempo=60 / float(np.median(np.diff(starts))),
        meter=4,
        beat_times=starts,
        bar_positions=np.arange(n) % 4,
        features=np.zeros((n, 25)),
        levels_db=levels,
        free_time=free_time,
    )
    return Analysis(
        tracks=(track,),
        track_of_beat=np.zeros(n, dtype=int),
        beat_starts=starts,
        beat_ends=np.r_[starts[1:], seconds],
        bar_positions=np.arange(n) % 4,
        features=np.zeros((n, 25)),
        levels_db=levels,
        feature_groups=(),
    )


def two_tone_track(seconds: float = 8.0, beat: float = 0.5) -> tuple[Audio, Analysis]:
    """440 Hz for the first half, 330 Hz for the second: any jump between halves is a hard seam."""
    t = np.arange(int(seconds * SR)) / SR
    half = t.shape[0] // 2
    y = np.where(np.arange(t.shape[0]) < half, np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 330 * t + 1.0))
    y = (0.5 * y).astype(np.float32)[None, :]
    return Audio(y=y, sr=SR), grid_analysis(np.arange(0.0, seconds, beat), seconds)


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


def seams_of(plan: Plan) -> list[int]:
    """Output sample of every jump in the plan."""
    beats = plan.beats
    return [round(plan.times[k] * SR) for k in range(1, len(beats)) if beats[k] != beats[k - 1] + 1]


def loud_master() -> tuple[Audio, Analysis]:
    """The synthetic drum-and-chords loop mastered loud: peaks at 0.99 full scale."""
    song = synthetic_song(bpm=120, meter=4, bars=16, sr=SR, channels=2, seed=3)
    y = (song.y * np.float32(0.99 / np.abs(song.y).max())).astype(np.float32)
    return Audio(y=y, sr=SR), grid_analysis(song.beat_times, song.duration)


def test_a_loud_master_never_clips_at_a_seam() -> None:
    audio, analysis = loud_master()
    # Jumps by whole four-bar cycles: the stretches either side of every seam are alike.
    beats = [*range(0, 32), *range(16, 48), *range(32, 64)]
    plan = plan_of(beats, analysis)
    out = render_plan(plan, analysis, [audio]).y
    half = round(CROSSFADE_SECONDS * SR / 2)
    starts = np.round(analysis.beat_starts * SR).astype(int)
    ends = np.round(analysis.beat_ends * SR).astype(int)
    jumps = [(beats[k - 1], beats[k]) for k in range(1, len(beats)) if beats[k] != beats[k - 1] + 1]
    for seam, (i, j) in zip(seams_of(plan), jumps, strict=True):
        outgoing = audio.y[:, ends[i] - half : ends[i] + half]
        incoming = audio.y[:, starts[j] - half : starts[j] + half]
        phase = (np.arange(2 * half) + 0.5) / (2 * half) * np.pi / 2
        equal_power = outgoing * np.cos(phase) + incoming * np.sin(phase)
        assert np.abs(equal_power).max() >= 0.999  # the control: the plain fade rises by up to 3 dB
        assert np.abs(out[:, seam - 2 * half : seam + 2 * half]).max() < 0.999
        # Never above the louder of the two stretches (wherever the alignment slid them).
        m = half + 2 * round(MAX_SHIFT_SECONDS * SR)
        ceiling = max(
            np.abs(audio.y[:, ends[i] - m : ends[i] + m]).max(),
            np.abs(audio.y[:, starts[j] - m : starts[j] + m]).max(),
        )
        assert np.abs(out[:, seam - half : seam + half]).max() <= ceiling + 1e-6


def test_a_loud_seam_of_unlike_sounds_dips_smoothly_under_the_peak() -> None:
    audio, analysis = two_tone_track()
    loud = Audio(y=audio.y * np.float32(0.99 / 0.5), sr=SR)
    beats = [0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7]
    out = render_plan(plan_of(beats, analysis), analysis, [loud]).y
    assert np.abs(out).max() <= 0.99 + 1e-6  # unlike tones add up to 1.4 with equal power
    for seam in (2.0, 4.0):
        assert seam_roughness(out / 1.98, seam) < 2.5


def stepped_tone(quiet_db: float) -> tuple[Audio, Analysis]:
    """One 440 Hz tone, its second half ``quiet_db`` quieter; the beats' levels say so."""
    audio, analysis = two_tone_track()
    t = np.arange(audio.y.shape[1]) / SR
    half = t.shape[0] // 2
    gain = np.where(np.arange(t.shape[0]) < half, 1.0, 10 ** (-quiet_db / 20))
    y = (0.5 * gain * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
    n = analysis.n_beats
    levels = np.zeros((n, 2))
    levels[n // 2 :] = -quiet_db
    return Audio(y=y, sr=SR), grid_analysis(analysis.beat_starts, 8.0, levels_db=levels)


def level_step(out: np.ndarray, at: int) -> float:
    """Level after minus level before a seam, in dB, over 100 ms either side."""
    w = round(0.1 * SR)

    def db(x: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2)))

    return db(out[:, at + 882 : at + 882 + w]) - db(out[:, at - 882 - w : at - 882])


@pytest.mark.parametrize(("quiet_db", "residual"), [(2.5, 0.0), (5.0, 2.0)])
def test_the_level_is_matched_across_a_jump(quiet_db: float, residual: float) -> None:
    audio, analysis = stepped_tone(quiet_db)
    beats = [0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7]  # loud → quiet → loud
    plan = plan_of(beats, analysis)
    out = render_plan(plan, analysis, [audio]).y
    for seam, direction in zip(seams_of(plan), (-1, 1), strict=True):
        # Corrected by at most 3 dB: the rest (if any) is what the graph would have vetoed.
        assert level_step(out, seam) == pytest.approx(direction * residual, abs=0.3)
        assert seam_roughness(out, seam / SR) < 2.5
        # The ramp back to the source's own level is smooth too, and over within two beats.
        ramp = out[0, seam : seam + SR]
        assert np.abs(np.diff(ramp, 2)).max() < 1.2 * 0.5 * (2 * np.pi * 440 / SR) ** 2
    # After the ramp the run is the source again, sample for sample (up to the alignment shift).
    later = out[:, 2 * SR + SR + 100 : 4 * SR - 2000]
    shift = round(MAX_SHIFT_SECONDS * SR)
    assert any(
        np.array_equal(later, audio.y[:, 7 * SR + 100 + d : 8 * SR - 2000 + d])
        for d in range(-shift, shift + 1)
    )


def ambient_pad(seconds: float = 16.0) -> np.ndarray:
    """Sustained chords, one every four seconds, with slow swells: music with no pulse."""
    t = np.arange(round(seconds * SR)) / SR
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (164.8, 207.7, 246.9)]
    which = np.minimum((t // 4).astype(int), len(chords) - 1)
    y = np.zeros_like(t)
    for k, chord in enumerate(chords):
        # Each chord rises and dies over its own four seconds, a little into the next.
        envelope = np.clip(1 - np.abs(t - (4 * k + 2)) / 2.5, 0, 1) ** 0.5 * (which >= k - 1)
        for m, f in enumerate(chord):
            y += envelope * np.sin(2 * np.pi * f * t + m) / len(chord)
    swell = 0.75 + 0.25 * np.sin(2 * np.pi * 0.13 * t)
    return (0.4 * swell * y).astype(np.float32)[None, :]


def test_free_time_seams_get_a_long_smooth_crossfade() -> None:
    y = ambient_pad()
    seconds = y.shape[1] / SR
    analysis = grid_analysis(np.arange(0.0, seconds - 0.25, 0.5), seconds, free_time=True)
    audio = Audio(y=y, sr=SR)
    beats = [*range(0, 6), *range(18, 28), *range(10, 20)]  # chord 1 → chord 3 → chord 2
    plan = plan_of(beats, analysis)
    out = render_plan(plan, analysis, [audio]).y
    assert out.shape[1] == round(plan.duration * SR)
    hard = hard_cut(audio, analysis, beats)
    own = np.abs(np.diff(y[0], 2)).max()
    for seam in seams_of(plan):
        cut = np.abs(np.diff(hard[0, seam - 2000 : seam + 2000], 2)).max()
        assert cut > 3 * own  # the control: cutting between chords clicks
        assert np.abs(np.diff(out[0, seam - SR : seam + SR], 2)).max() < 1.2 * own
        # Mixed for about a second: 0.3 s before the boundary the incoming chord already sounds...
        assert not np.allclose(out[:, seam - round(0.3 * SR)], hard[:, seam - round(0.3 * SR)])
        # ...and 0.6 s away the runs are plain copies on the plan's grid (no waveform shift).
        far = round(0.6 * SR)
        np.testing.assert_array_equal(
            out[:, seam + far : seam + far + 100], hard[:, seam + far : seam + far + 100]
        )
        np.testing.assert_array_equal(
            out[:, seam - far - 100 : seam - far], hard[:, seam - far - 100 : seam - far]
        )


def windows_of(y, n: int, seed: int) -> np.ndarray:
    """``y[:, a:b]`` read in 40 pieces of random lengths, out of order, and put back together."""
    cuts = np.r_[0, np.sort(np.random.default_rng(seed).integers(0, n, 39)), n]
    order = np.random.default_rng(seed + 1).permutation(40)
    pieces = {k: y[:, cuts[k] : cuts[k + 1]] for k in order}
    return np.concatenate([pieces[k] for k in range(40)], axis=1)


def test_a_lazy_render_reads_the_same_samples_in_any_windows() -> None:
    # A remix longer than its song, with jumps, level ramps and a fade: windows of the lazy render
    # (crossfades cut through, read out of order) are the whole render, sample for sample.
    from musicremixer.analyze import analyze_tracks
    from musicremixer.graph import build_jump_graph

    made = synthetic_song(bpm=118, bars=16, sr=SR, channels=2, seed=3)
    audio = Audio(y=made.y, sr=SR)
    analysis = analyze_tracks([audio], names=["song"])
    plan = plan_walk(build_jump_graph(analysis), analysis, duration=70.0, seed=2, jumpiness=1.0)
    assert plan.fade_out > 0 and len(plan.beats) > 100
    whole = render_plan(plan, analysis, [audio]).y
    lazy = render_plan(plan, analysis, [audio], lazy=True).y
    assert lazy.shape == whole.shape and lazy.dtype == np.float32
    assert np.array_equal(windows_of(lazy, whole.shape[1], seed=0), whole)
    assert np.array_equal(np.asarray(lazy), whole)
    with pytest.raises(TypeError, match="windows"):
        lazy[0, :10]
