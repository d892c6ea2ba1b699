"""Render a plan: copy runs of consecutive beats as they are and crossfade at every jump.

A run of beats that follow each other in the source is one slice of it, untouched. At a jump the
outgoing run plays on and the incoming one starts early by half a crossfade, and the two are mixed
over ``CROSSFADE_SECONDS`` centred on the beat boundary, so the beat grid of the output is exactly
the plan's. Before mixing, the incoming run is slid by up to ``MAX_SHIFT_SECONDS`` to where its
waveform best matches the outgoing one; the whole run moves, so no beat gets shorter or longer.

Every seam keeps the loudness it joins:

* **Power.** The fade curves follow the correlation ``r`` of the two overlapping stretches: their
  gains keep ``a² + b² + 2·r·a·b = 1``, equal gain for alike stretches (``r ≈ 1``), equal power
  for unrelated ones (``r ≈ 0``). An equal-power fade of two alike stretches would rise by 3 dB.
* **Peaks.** Where the mix would still exceed the louder peak of the two stretches, a smooth gain
  dip (never a hard clip) holds it under that peak, so no seam clips where the source doesn't.
* **Level.** When the incoming beat is louder or quieter than the beat it replaces (the analysis'
  ``levels_db``) by more than ``LEVEL_TOLERANCE_DB``, the incoming run starts at the gain that
  matches them (at most ``MAX_LEVEL_CORRECTION_DB``; bigger jumps are vetoed by the graph) and eases
  back to unity over ``LEVEL_RAMP_BEATS`` beats. Runs that need no correction are copied bit-exact.
* **Free time.** Seams touching a track without a steady pulse (``TrackAnalysis.free_time``) are
  crossfaded over ``FREE_TIME_CROSSFADE_SECONDS`` without the waveform search: over a second no
  single shift lines up a pad's partials, and the correlation-aware fade already keeps its power.

Per-seam work touches only the crossfade windows and the few beats of a level ramp. So the output
can be made a window at a time (:class:`Rendering`, ``render_plan(..., lazy=True)``): the encoder
reads an hour of remix in blocks, and memory holds the songs and a block, not the hour.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d

from musicremixer.types import Analysis, Audio, LazySamples, Plan

CROSSFADE_SECONDS = 0.04
# Loop finders for ambient and game music crossfade for about a second; a pad hides a long seam.
FREE_TIME_CROSSFADE_SECONDS = 1.0
MAX_SHIFT_SECONDS = 0.012
LEVEL_TOLERANCE_DB = 1.0  # beats of one song differ by about this much anyway
MAX_LEVEL_CORRECTION_DB = 3.0
LEVEL_RAMP_BEATS = 2
# The peak limiter's gain dip changes over at least this long: a 200 Hz wobble at worst, no click.
LIMITER_SMOOTHING_SECONDS = 0.005


@dataclass(frozen=True)
class _Run:
    track: int
    start: int  # first source sample
    length: int  # samples
    first_beat: int  # pool index
    last_beat: int


@dataclass(frozen=True)
class _Gain:
    """A run's level correction: ``db`` before its start, easing to 0 dB over ``ramp`` samples."""

    db: float = 0.0
    ramp: int = 0


def render_plan(
    plan: Plan,
    analysis: Analysis,
    audios: Sequence[Audio],
    *,
    out: np.ndarray | None = None,
    lazy: bool = False,
) -> Audio:
    """Render the plan into audio at the first track's sample rate and channel count.

    Parameters
    ----------
    plan : Plan
    analysis : Analysis
    audios : sequence of Audio
        The decoded tracks, in the analysis' order. Other tracks are converted to the first one's
        rate and channels.
    out : ndarray of float32, shape (channels, m), optional
        A buffer of zeros to render into, long enough for the plan and its last crossfade (at
        most ``FREE_TIME_CROSSFADE_SECONDS`` past it): a mix renders each part in its place.
    lazy : bool
        Render nothing yet: the returned audio's ``y`` is a :class:`Rendering`, whose windows
        ``y[:, a:b]`` are rendered as they are read, so an hour of output never exists at once.
        Not with ``out``.

    Returns
    -------
    Audio
        ``round(plan.duration * sr)`` samples (a view of ``out`` when given).
    """
    rendering = Rendering(plan, analysis, audios)
    sr = rendering.sr
    if lazy:
        if out is not None:
            raise ValueError("render_plan: pass out or lazy=True, not both")
        return Audio(y=rendering, sr=sr)
    channels, size = rendering.shape[0], rendering.extent
    if out is None:
        out = np.zeros((channels, size), dtype=np.float32)
    elif out.shape[0] != channels or out.shape[1] < size:
        raise ValueError(f"render_plan: out has shape {out.shape}, the plan needs ({channels}, {size})")
    else:
        out = out[:, :size]
    rendering.draw(out, 0)
    return Audio(y=out[:, : rendering.shape[1]], sr=sr)


@dataclass(frozen=True)
class _Body:
    """Samples copied from a run: ``length`` of them from source ``start`` to output ``at``.

    ``offset`` is where the body begins relative to its run's boundary, for the run's level ramp.
    """

    at: int
    track: int
    start: int
    length: int
    gain: _Gain
    offset: int


@dataclass(frozen=True)
class _Seam:
    """A crossfade over output ``[at, at + length)``: the outgoing run's samples from ``out_start``
    under its gain (``out_offset`` from its boundary), the incoming run's from ``in_start``."""

    at: int
    length: int
    out_track: int
    out_start: int
    out_gain: _Gain
    out_offset: int
    in_track: int
    in_start: int
    in_gain: _Gain
    in_offset: int


class Rendering(LazySamples):
    """A plan's audio, rendered a window at a time as it is read (see :class:`LazySamples`).

    Where the runs, seams and gains go is worked out once; each window copies the bodies it meets
    and recomputes the crossfades it meets, so every window holds the same samples as the whole
    render would. :meth:`draw` also renders past the plan's end, up to ``extent``: a mix reads the
    beats it plays under the next song's entry there.
    """

    def __init__(self, plan: Plan, analysis: Analysis, audios: Sequence[Audio]) -> None:
        sr = audios[0].sr
        self.sr = sr
        self._sources = [conform_samples(a, sr=sr, channels=audios[0].channels) for a in audios]
        runs = _runs(plan, analysis, sr)
        total = round(plan.duration * sr)
        free = _free_time_seams(runs, analysis)
        halves = _half_crossfades(runs, free, sr)
        #: samples the render writes: the plan's, and any crossfade past its end
        self.extent = max(total, sum(run.length for run in runs)) + max(halves, default=0)
        self.shape = (self._sources[0].shape[0], total)
        sources = self._sources
        starts = _aligned_starts(runs, sources, halves, free, round(MAX_SHIFT_SECONDS * sr))
        leads, trails = _crossfade_sides(runs, sources, starts, halves)
        gains = [_Gain()] + [
            _level_gain(analysis, runs[k - 1], runs[k], sources, (starts[k - 1], starts[k], leads[k]), sr)
            for k in range(1, len(runs))
        ]
        # Crossfade k mixes run k - 1 and run k over [p - leads[k], p + trails[k - 1]) around their
        # boundary p; between crossfades each run's body is copied.
        self._bodies: list[_Body] = []
        boundaries = []
        position = 0
        for k, run in enumerate(runs):
            rise = leads[k] + trails[k - 1] if k > 0 else 0
            fall = leads[k + 1] + trails[k] if k + 1 < len(runs) else 0
            begin = position - leads[k] + rise
            length = run.length + leads[k] + trails[k] - rise - fall
            if length > 0:
                self._bodies.append(
                    _Body(begin, run.track, starts[k] - leads[k] + rise, length, gains[k], begin - position)
                )
            boundaries.append(position)
            position += run.length
        self._seams = [
            _Seam(
                at=boundaries[k] - leads[k],
                length=leads[k] + trails[k - 1],
                out_track=runs[k - 1].track,
                out_start=starts[k - 1] + runs[k - 1].length - leads[k],
                out_gain=gains[k - 1],
                out_offset=boundaries[k] - leads[k] - boundaries[k - 1],
                in_track=runs[k].track,
                in_start=starts[k] - leads[k],
                in_gain=gains[k],
                in_offset=-leads[k],
            )
            for k in range(1, len(runs))
        ]
        # Bodies and seams each lie in output order without overlapping: a window finds its own by
        # bisection on their ends.
        self._body_ends = np.array([b.at + b.length for b in self._bodies], dtype=np.int64)
        self._seam_ends = np.array([s.at + s.length for s in self._seams], dtype=np.int64)
        self._fade = fade_curve(min(total, round(plan.fade_out * sr)) if plan.fade_out > 0 else 0)

    def draw(self, out: np.ndarray, at: int) -> None:
        """Render samples ``at`` to ``at + out.shape[1]`` into ``out``, a buffer of zeros."""
        stop = at + out.shape[1]
        for b in self._bodies[np.searchsorted(self._body_ends, at, side="right") :]:
            if b.at >= stop:
                break
            lo, hi = max(b.at, at), min(b.at + b.length, stop)
            skip = lo - b.at
            _copy_body(out, lo - at, self._sources[b.track], b.start + skip, hi - lo, b.gain, b.offset + skip)
        for s in self._seams[np.searchsorted(self._seam_ends, at, side="right") :]:
            if s.at >= stop:
                break
            mixed = self._crossfade(s)
            lo, hi = max(s.at, at), min(s.at + s.length, stop)
            out[:, lo - at : hi - at] = mixed[:, lo - s.at : hi - s.at]
        apply_curve(out, at, self._fade, self.shape[1] - self._fade.shape[0])

    def _crossfade(self, s: _Seam) -> np.ndarray:
        outgoing = _stretch(self._sources[s.out_track], s.out_start, s.length)
        outgoing *= _envelope(s.out_gain, s.out_offset, s.length)
        incoming = _stretch(self._sources[s.in_track], s.in_start, s.length)
        incoming *= _envelope(s.in_gain, s.in_offset, s.length)
        return crossfade(outgoing, incoming, self.sr)


def fade_curve(n: int) -> np.ndarray:
    """A quarter cosine from 1 down over ``n`` samples: a fade-out's curve, and a cut's."""
    return np.cos(np.linspace(0.0, np.pi / 2, n, dtype=np.float32))


def apply_curve(out: np.ndarray, at: int, curve: np.ndarray, begin: int) -> None:
    """Scale ``out``, which holds samples ``at`` on, by ``curve`` placed at sample ``begin``, where
    the two meet: a window of a render gets its part of a fade."""
    lo, hi = max(begin, at), min(begin + curve.shape[0], at + out.shape[1])
    if hi > lo:
        out[:, lo - at : hi - at] *= curve[lo - begin : hi - begin]


def _runs(plan: Plan, analysis: Analysis, sr: int) -> list[_Run]:
    runs: list[_Run] = []
    starts = np.round(analysis.beat_starts * sr).astype(int)
    ends = np.round(analysis.beat_ends * sr).astype(int)
    track = analysis.track_of_beat
    run_begin = 0
    beats = plan.beats
    for i in range(1, len(beats) + 1):
        if i < len(beats) and beats[i] == beats[i - 1] + 1 and track[beats[i]] == track[beats[i - 1]]:
            continue
        first, last = int(beats[run_begin]), int(beats[i - 1])
        runs.append(
            _Run(
                track=int(track[first]),
                start=int(starts[first]),
                length=int(ends[last] - starts[first]),
                first_beat=first,
                last_beat=last,
            )
        )
        run_begin = i
    return runs


def _free_time_seams(runs: list[_Run], analysis: Analysis) -> list[bool]:
    """Whether seam k (index 0 unused) touches a free-time track: it then gets the long crossfade."""
    free = [bool(t.free_time) for t in analysis.tracks]
    return [False] + [free[previous.track] or free[run.track] for previous, run in itertools.pairwise(runs)]


def _half_crossfades(runs: list[_Run], free: list[bool], sr: int) -> list[int]:
    """Half the crossfade of every seam (index 0 unused)."""
    halves = [0]
    for k in range(1, len(runs)):
        previous, run = runs[k - 1], runs[k]
        seconds = FREE_TIME_CROSSFADE_SECONDS if free[k] else CROSSFADE_SECONDS
        # No crossfade may take more than half of either run, so neighbouring seams never overlap.
        halves.append(min(round(seconds * sr / 2), previous.length // 4, run.length // 4))
    return halves


def _aligned_starts(
    runs: list[_Run], sources: list[np.ndarray], halves: list[int], free: list[bool], max_shift: int
) -> list[int]:
    """Source start of every run, each slid to best continue the waveform of the run before it."""
    starts = [runs[0].start]
    for k in range(1, len(runs)):
        previous, run = runs[k - 1], runs[k]
        y = sources[run.track]
        if free[k]:
            shift = 0  # a free-time seam: no one shift aligns a long stretch of sustained partials
        else:
            out_end = starts[-1] + previous.length
            shift = _best_shift(sources[previous.track], out_end, y, run.start, halves[k], max_shift)
        # Slide only as far as keeps the run inside its track.
        shift = int(np.clip(shift, min(0, -run.start), max(0, y.shape[1] - run.start - run.length)))
        starts.append(run.start + shift)
    return starts


def _crossfade_sides(
    runs: list[_Run], sources: list[np.ndarray], starts: list[int], halves: list[int]
) -> tuple[list[int], list[int]]:
    """``leads[k]``, ``trails[k - 1]``: how far crossfade k reaches before and after its boundary.

    Normally half a crossfade on each side; where a track has no audio past a run's end (or before
    its start), the crossfade moves to the side that has.
    """
    leads, trails = [0], []
    for k in range(1, len(runs)):
        half = halves[k]
        after = sources[runs[k - 1].track].shape[1] - (starts[k - 1] + runs[k - 1].length)
        trail = int(np.clip(after, 0, half))
        lead = min(2 * half - trail, starts[k], runs[k - 1].length // 2)
        trail = min(2 * half - lead, max(after, 0), runs[k].length // 2)
        leads.append(lead)
        trails.append(trail)
    trails.append(0)
    return leads, trails


def _best_shift(
    out_y: np.ndarray, out_end: int, in_y: np.ndarray, in_start: int, half: int, max_shift: int
) -> int:
    """Shift of the incoming run (samples) whose waveform best continues the outgoing one."""
    if half <= 0:
        return 0
    reference = _stretch(out_y, out_end - half, 2 * half).mean(axis=0)
    region = _stretch(in_y, in_start - half - max_shift, 2 * half + 2 * max_shift).mean(axis=0)
    if not reference.any() or not region.any():
        return 0
    correlation = np.correlate(region, reference, mode="valid")
    energy = np.convolve(region**2, np.ones(2 * half, dtype=np.float32), mode="valid")
    score = correlation / np.sqrt(np.maximum(energy, 1e-12))
    return int(np.argmax(score)) - max_shift


def _level_gain(
    analysis: Analysis,
    previous: _Run,
    run: _Run,
    sources: list[np.ndarray],
    placement: tuple[int, int, int],
    sr: int,
) -> _Gain:
    """The correction that makes the incoming run start at the level of the beat it replaces.

    ``placement`` is the outgoing run's source start, the incoming one's, and the crossfade's lead.
    """
    levels = analysis.levels_db
    replaced = previous.last_beat + 1
    n = analysis.n_beats
    if replaced >= n or analysis.track_of_beat[replaced] != analysis.track_of_beat[previous.last_beat]:
        replaced = previous.last_beat  # the song ended there: match the beat that played last
    difference = float(levels[replaced, 0] - levels[run.first_beat, 0])
    if not np.isfinite(difference) or abs(difference) <= LEVEL_TOLERANCE_DB:
        return _Gain()
    db = float(np.clip(difference, -MAX_LEVEL_CORRECTION_DB, MAX_LEVEL_CORRECTION_DB))
    last = min(run.first_beat + LEVEL_RAMP_BEATS, n) - 1
    if analysis.track_of_beat[last] != run.track:
        last = run.first_beat
    seconds = float(analysis.beat_ends[last] - analysis.beat_starts[run.first_beat])
    ramp = max(1, min(round(seconds * sr), run.length))
    gain = _Gain(db=db, ramp=ramp)
    if db > 0:
        gain = _Gain(db=_safe_boost(gain, sources, previous, run, placement), ramp=ramp)
    return gain


def _safe_boost(
    gain: _Gain, sources: list[np.ndarray], previous: _Run, run: _Run, placement: tuple[int, int, int]
) -> float:
    """The largest boost (dB, at most ``gain.db``) that lifts no heard sample of the incoming run
    (its lead and ramp) above the loudest of those and of the outgoing run's last ``ramp`` samples."""
    previous_start, start, lead = placement
    ramp = gain.ramp
    outgoing = _stretch(sources[previous.track], previous_start + previous.length - ramp, ramp)
    incoming = np.abs(_stretch(sources[run.track], start - lead, lead + ramp)).max(axis=0)
    ceiling = max(float(np.abs(outgoing).max(initial=0.0)), float(incoming.max(initial=0.0)))
    weight = _envelope_weight(ramp, np.arange(-lead, ramp))  # 1 before the boundary, easing to 0
    loud = (incoming > 0) & (weight > 0)
    if not loud.any() or ceiling <= 0:
        return gain.db
    allowed = 20 * np.log10(ceiling / incoming[loud]) / weight[loud]
    return float(np.clip(allowed.min(), 0.0, gain.db))


def _envelope_weight(ramp: int, positions: np.ndarray) -> np.ndarray:
    """How much of the correction applies at ``positions`` (samples from the run's boundary)."""
    t = np.clip((positions + 0.5) / max(ramp, 1), 0.0, 1.0)
    return (0.5 + 0.5 * np.cos(np.pi * t)).astype(np.float32)  # raised cosine: no step at either end


def _envelope(gain: _Gain, offset: int, length: int) -> np.ndarray:
    """Gain factors of ``length`` samples starting ``offset`` samples after the run's boundary."""
    if gain.db == 0.0:
        return np.ones(length, dtype=np.float32)
    weight = _envelope_weight(gain.ramp, np.arange(offset, offset + length))
    return (10.0 ** (gain.db * weight / 20.0)).astype(np.float32)


def _copy_body(
    out: np.ndarray, at: int, y: np.ndarray, start: int, length: int, gain: _Gain, offset: int
) -> None:
    """Add ``y[:, start:start + length]`` at ``out[:, at]``; the part within a level ramp scaled.

    ``offset`` is where the body begins relative to its run's boundary: the ramp covers
    ``[0, gain.ramp)`` from there. Outside the ramp the samples are copied, not scaled, so
    contiguous beats come out exactly as they went in.
    """
    if length <= 0:
        return
    scaled = 0 if gain.db == 0.0 else int(np.clip(gain.ramp - offset, 0, length))
    if scaled:
        out[:, at : at + scaled] += _stretch(y, start, scaled) * _envelope(gain, offset, scaled)
    _add(out, at + scaled, y, start + scaled, length - scaled)


def crossfade(outgoing: np.ndarray, incoming: np.ndarray, sr: int) -> np.ndarray:
    """Crossfade two aligned stretches with power-keeping gains, peaks held under the louder one's."""
    n = outgoing.shape[1]
    fall, rise = _fades(n, _correlation(outgoing, incoming))
    mixed = outgoing * fall + incoming * rise
    ceiling = max(float(np.abs(outgoing).max(initial=0.0)), float(np.abs(incoming).max(initial=0.0)))
    peak = np.abs(mixed).max(axis=0, initial=0.0)
    if n and peak.max() > ceiling:
        # Scaled to equal gain (a + b = 1) the mix can't pass the ceiling, and that scaling is 1 at
        # both ends of the stretch: the dip never needs to go below it, so it joins the runs smoothly.
        equal_gain = 1.0 / (fall + rise)
        mixed *= np.maximum(_dip(np.minimum(1.0, ceiling / np.maximum(peak, 1e-12)), sr), equal_gain)
    return mixed


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two stretches over all channels, in [0, 1] (anti-phase counts as unrelated)."""
    energy = float(np.vdot(a, a)) * float(np.vdot(b, b))
    if energy <= 0:
        return 0.0
    return float(np.clip(np.vdot(a, b) / np.sqrt(energy), 0.0, 1.0))


def _fades(n: int, r: float) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains ``a``, ``b`` with ``a² + b² + 2·r·a·b = 1`` at every sample.

    Equal-power curves scaled by ``1 / sqrt(1 + 2·r·sin·cos)``: for ``r = 1`` they sum to one
    (equal gain), for ``r = 0`` they are the equal-power sine and cosine.
    """
    phase = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1) * (np.pi / 2)
    s, c = np.sin(phase), np.cos(phase)
    norm = 1.0 / np.sqrt(1.0 + 2.0 * r * s * c)
    return (c * norm).astype(np.float32), (s * norm).astype(np.float32)


def _dip(needed: np.ndarray, sr: int) -> np.ndarray:
    """A smooth gain curve at or below ``needed`` everywhere, 1 wherever nothing is needed nearby.

    The smallest need within half a window, smoothed by a Hann window of the same width: each
    output sample averages minima that all include its own need, so it never exceeds it. Beyond
    the stretch the need is 1, so the curve rises back towards unity at both ends.
    """
    width = max(3, round(LIMITER_SMOOTHING_SECONDS * sr) | 1)
    padded = np.concatenate([np.ones(width), needed.astype(np.float64), np.ones(width)])
    floor = minimum_filter1d(padded, size=width, mode="nearest")
    kernel = np.hanning(width + 2)[1:-1]
    smooth = np.convolve(floor, kernel / kernel.sum(), mode="same")
    return np.minimum(smooth[width:-width], needed).astype(np.float32)


def _add(out: np.ndarray, at: int, y: np.ndarray, start: int, length: int) -> None:
    """``out[:, at:at + length] += y[:, start:start + length]``, where ``y`` has samples there."""
    lo, hi = max(start, 0), min(start + length, y.shape[1])
    if hi > lo:
        out[:, at + lo - start : at + hi - start] += y[:, lo:hi]


def _stretch(y: np.ndarray, start: int, length: int) -> np.ndarray:
    """``y[:, start:start + length]`` as a new array, zero where it falls outside ``y``."""
    out = np.zeros((y.shape[0], max(length, 0)), dtype=np.float32)
    lo, hi = max(start, 0), min(start + length, y.shape[1])
    if hi > lo:
        out[:, lo - start : hi - start] = y[:, lo:hi]
    return out


def conform_samples(audio: Audio, *, sr: int, channels: int) -> np.ndarray:
    """The audio at ``sr`` with ``channels`` channels (mono is spread, others are folded to mono first)."""
    y = audio.y
    if audio.sr != sr:
        import soxr

        y = soxr.resample(y.T, audio.sr, sr).T.astype(np.float32)
    if y.shape[0] != channels:
        y = np.repeat(y.mean(axis=0, keepdims=True), channels, axis=0)
    return np.ascontiguousarray(y, dtype=np.float32)
