"""Render a plan: copy runs of consecutive beats as they are and crossfade at every jump.

A run of beats that follow each other in the source is one slice of it, untouched. At a jump the
outgoing run plays on and the incoming one starts early by half a crossfade, and the two are
mixed with equal-power curves over ``CROSSFADE_SECONDS`` centred on the beat boundary, so the beat
grid of the output is exactly the plan's. Before mixing, the incoming run is slid by up to
``MAX_SHIFT_SECONDS`` to where its waveform best matches the outgoing one; the whole run moves,
so no beat gets shorter or longer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicremixer.types import Analysis, Audio, Plan

CROSSFADE_SECONDS = 0.04
MAX_SHIFT_SECONDS = 0.012


@dataclass(frozen=True)
class _Run:
    track: int
    start: int  # first source sample
    length: int  # samples


def render_plan(plan: Plan, analysis: Analysis, audios: Sequence[Audio]) -> Audio:
    """Render the plan into audio at the first track's sample rate and channel count.

    Parameters
    ----------
    plan : Plan
    analysis : Analysis
    audios : sequence of Audio
        The decoded tracks, in the analysis' order. Other tracks are converted to the first one's
        rate and channels.

    Returns
    -------
    Audio
        ``round(plan.duration * sr)`` samples.
    """
    sr = audios[0].sr
    sources = [_conform(a, sr=sr, channels=audios[0].channels) for a in audios]
    runs = _runs(plan, analysis, sr)
    total = round(plan.duration * sr)
    half = round(CROSSFADE_SECONDS * sr / 2)
    max_shift = round(MAX_SHIFT_SECONDS * sr)
    length = sum(run.length for run in runs)
    out = np.zeros((sources[0].shape[0], max(total, length) + half), dtype=np.float32)

    starts = _aligned_starts(runs, sources, half, max_shift)
    # Crossfade k mixes run k - 1 and run k over [p - lead, p + trail) around their boundary p.
    # Normally half a crossfade on each side; where a track has no audio past a run's end (or
    # before its start), the crossfade moves to the side that has.
    leads, trails = [0], []
    for k in range(1, len(runs)):
        after = sources[runs[k - 1].track].shape[1] - (starts[k - 1] + runs[k - 1].length)
        trail = int(np.clip(after, 0, half))
        lead = min(2 * half - trail, starts[k])
        trail = min(2 * half - lead, max(after, 0))
        leads.append(lead)
        trails.append(trail)
    trails.append(0)

    position = 0
    for k, run in enumerate(runs):
        y = sources[run.track]
        lead, trail = leads[k], trails[k]
        # Output [begin, begin + width) takes source [source_begin, ...): the run and its crossfades.
        begin, source_begin, width = position - lead, starts[k] - lead, lead + run.length + trail
        rise = lead + trails[k - 1] if k > 0 else 0
        fall = leads[k + 1] + trail if k + 1 < len(runs) else 0
        # The body is copied, not scaled: contiguous beats come out exactly as they went in.
        _add(out, begin + rise, y, source_begin + rise, width - rise - fall)
        if rise:
            out[:, begin : begin + rise] += _slice(y, source_begin, rise) * _equal_power(rise)[0]
        if fall:
            end = begin + width - fall
            out[:, end : end + fall] += _slice(y, source_begin + width - fall, fall) * _equal_power(fall)[1]
        position += run.length
    out = out[:, :total]
    if plan.fade_out > 0:
        n = min(total, round(plan.fade_out * sr))
        out[:, total - n :] *= np.cos(np.linspace(0.0, np.pi / 2, n, dtype=np.float32))
    return Audio(y=out, sr=sr)


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
        first, last = beats[run_begin], beats[i - 1]
        runs.append(
            _Run(track=int(track[first]), start=int(starts[first]), length=int(ends[last] - starts[first]))
        )
        run_begin = i
    return runs


def _aligned_starts(runs: list[_Run], sources: list[np.ndarray], half: int, max_shift: int) -> list[int]:
    """Source start of every run, each slid to best continue the waveform of the run before it."""
    starts = [runs[0].start]
    for k in range(1, len(runs)):
        previous, run = runs[k - 1], runs[k]
        y = sources[run.track]
        shift = _best_shift(
            sources[previous.track], starts[-1] + previous.length, y, run.start, half, max_shift
        )
        # Slide only as far as keeps the run inside its track.
        shift = int(np.clip(shift, min(0, -run.start), max(0, y.shape[1] - run.start - run.length)))
        starts.append(run.start + shift)
    return starts


def _best_shift(
    out_y: np.ndarray, out_end: int, in_y: np.ndarray, in_start: int, half: int, max_shift: int
) -> int:
    """Shift of the incoming run (samples) whose waveform best continues the outgoing one."""
    reference = _slice(out_y, out_end - half, 2 * half).mean(axis=0)
    region = _slice(in_y, in_start - half - max_shift, 2 * half + 2 * max_shift).mean(axis=0)
    if not reference.any() or not region.any():
        return 0
    correlation = np.correlate(region, reference, mode="valid")
    energy = np.convolve(region**2, np.ones(2 * half, dtype=np.float32), mode="valid")
    score = correlation / np.sqrt(np.maximum(energy, 1e-12))
    return int(np.argmax(score)) - max_shift


def _add(out: np.ndarray, at: int, y: np.ndarray, start: int, length: int) -> None:
    """``out[:, at:at + length] += y[:, start:start + length]``, where ``y`` has samples there."""
    lo, hi = max(start, 0), min(start + length, y.shape[1])
    if hi > lo:
        out[:, at + lo - start : at + hi - start] += y[:, lo:hi]


def _slice(y: np.ndarray, start: int, length: int) -> np.ndarray:
    """``y[:, start:start + length]`` as a new array, zero where it falls outside ``y``."""
    out = np.zeros((y.shape[0], length), dtype=np.float32)
    lo, hi = max(start, 0), min(start + length, y.shape[1])
    if hi > lo:
        out[:, lo - start : hi - start] = y[:, lo:hi]
    return out


def _equal_power(n: int) -> tuple[np.ndarray, np.ndarray]:
    phase = (np.arange(n, dtype=np.float32) + 0.5) / max(n, 1) * (np.pi / 2)
    return np.sin(phase), np.cos(phase)


def _conform(audio: Audio, *, sr: int, channels: int) -> np.ndarray:
    """The audio at ``sr`` with ``channels`` channels (mono is spread, others are folded to mono first)."""
    y = audio.y
    if audio.sr != sr:
        import soxr

        y = soxr.resample(y.T, audio.sr, sr).T.astype(np.float32)
    if y.shape[0] != channels:
        y = np.repeat(y.mean(axis=0, keepdims=True), channels, axis=0)
    return np.ascontiguousarray(y, dtype=np.float32)
