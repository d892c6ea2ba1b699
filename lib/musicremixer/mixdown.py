"""Render a mix: each song's part as the render makes it, joined at the transitions.

A part is rendered by :func:`musicremixer.render.render_plan` together with the beats that follow
its last one in the song (its *continuation*, which sounds under the next song's entry). Then:

* **Stretch.** The head of an incoming part, the beats the plan stretches (``Plan.stretch``), is
  time-stretched beat by beat (:mod:`musicremixer.timestretch`), so its beats land on the outgoing
  song's grid and ease back to their own tempo.
* **Level.** Every song is brought to the mix's median loudness (BS.1770 integrated, boosts only
  as far as its peaks allow). At each transition the incoming part is matched to the loudness of
  the outgoing one's last bars (at most ``MAX_MATCH_DB``), easing back over ``MATCH_EASE_SECONDS``
  after its stretched head.
* **Join.** A blend mixes the outgoing continuation and the incoming head over the transition's
  length with power-keeping fades whose peaks are held under the louder side
  (:func:`musicremixer.render.crossfade`); a cut fades the outgoing part over the transition's
  length before the incoming one starts on its downbeat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from musicremixer.loudness import SILENT_LUFS, loudness_lufs
from musicremixer.render import conform_samples, crossfade, render_plan
from musicremixer.timestretch import stretch_segments
from musicremixer.types import Analysis, Audio, Plan, Transition

MAX_MATCH_DB = 6.0
MATCH_WINDOW_SECONDS = 3.0  # the loudness compared either side of a transition
MATCH_EASE_SECONDS = 4.0
CUT_RISE_SECONDS = 0.005  # a cut-in starts with this short rise, so it doesn't click
JOIN_SECONDS = 0.02  # where the stretched head rejoins the unstretched part
PEAK_CEILING = 0.99


def render_mix(plan: Plan, analysis: Analysis, audios: Sequence[Audio]) -> Audio:
    """Render a plan of one or more parts into audio at the first track's rate and channels.

    Parameters
    ----------
    plan : Plan
    analysis : Analysis
    audios : sequence of Audio
        The decoded tracks, in the analysis' order.

    Returns
    -------
    Audio
        ``round(plan.duration * sr)`` samples.
    """
    if not plan.transitions:
        return render_plan(plan, analysis, audios)
    sr, channels = audios[0].sr, audios[0].channels
    tracks = [Audio(y=conform_samples(a, sr=sr, channels=channels), sr=sr) for a in audios]
    lengths = analysis.beat_ends - analysis.beat_starts
    stretch = plan.stretch if plan.stretch is not None else np.ones(plan.beats.shape[0])
    edges = np.round(np.r_[0.0, np.cumsum(lengths[plan.beats] * stretch)] * sr).astype(int)
    total = round(plan.duration * sr)
    gains = _song_gains(tracks, [p.track for p in plan.parts])
    out = np.zeros((channels, total), dtype=np.float32)
    continuation = np.zeros((channels, 0), dtype=np.float32)
    for k, part in enumerate(plan.parts):
        entering = plan.transitions[k - 1] if k else None
        leaving = plan.transitions[k] if k < len(plan.transitions) else None
        y = _render_part(plan, part.steps, entering, leaving, analysis, tracks, edges, sr)
        y *= np.float32(10 ** (gains[part.track] / 20))
        at = int(edges[part.steps.start])
        own = (int(edges[part.steps.stop]) if leaving else total) - at
        if entering is not None:
            _match_level(y, out, at, entering, edges, sr)
            y = _enter(y, continuation, entering, sr)
        if leaving is not None and leaving.kind == "cut":
            fade = min(own, round(leaving.length * sr))
            y[:, own - fade : own] *= np.cos(np.linspace(0.0, np.pi / 2, fade, dtype=np.float32))
        n = max(0, min(own, total - at, y.shape[1]))
        out[:, at : at + n] = y[:, :n]
        continuation = y[:, own:]
    if plan.fade_out > 0:
        n = min(total, round(plan.fade_out * sr))
        out[:, total - n :] *= np.cos(np.linspace(0.0, np.pi / 2, n, dtype=np.float32))
    return Audio(y=out, sr=sr)


def _render_part(
    plan: Plan,
    steps: slice,
    entering: Transition | None,
    leaving: Transition | None,
    analysis: Analysis,
    tracks: list[Audio],
    edges: np.ndarray,
    sr: int,
) -> np.ndarray:
    """The part's audio from its entry on, its head and tail stretched, then its continuation."""
    beats = plan.beats[steps]
    lengths = analysis.beat_ends - analysis.beat_starts
    follow = _continuation(beats[-1], leaving, analysis) if leaving is not None else np.zeros(0, dtype=int)
    played = np.r_[beats, follow].astype(int)
    natural = lengths[played]
    part = Plan(
        beats=played,
        times=np.r_[0.0, np.cumsum(natural)[:-1]],
        duration=float(natural.sum()),
        fade_out=0.0,
        seed=plan.seed,
        jumpiness=plan.jumpiness,
    )
    y = render_plan(part, analysis, tracks).y
    n = beats.shape[0]
    natural_edges = np.round(np.r_[0.0, np.cumsum(natural)] * sr).astype(int)
    out_edges = edges[steps.start : steps.stop + 1] - edges[steps.start]
    join = round(JOIN_SECONDS * sr)
    # The tail first: stretching the head changes where everything after it lies.
    if leaving is not None and leaving.outgoing_steps and leaving.kind == "blend":
        first = n - leaving.outgoing_steps
        begin = max(0, int(natural_edges[first]) - join)
        lengths_in = np.r_[natural_edges[first] - begin, np.diff(natural_edges[first:])]
        lengths_out = np.r_[lengths_in[0], np.diff(out_edges[first:]), np.zeros(follow.shape[0], dtype=int)]
        # The continuation, under the crossfade, plays at the tempo where the two songs meet.
        continued = lengths_in[n - first + 1 :]
        lengths_out[n - first + 1 :] = _spread(round(continued.sum() * leaving.outgoing_stretch), continued)
        body = stretch_segments(y[:, begin:], sr, lengths_in.tolist(), lengths_out.tolist())
        lead = int(lengths_in[0])
        if lead:
            body[:, :lead] = crossfade(y[:, begin : begin + lead], body[:, :lead], sr)
        y = np.concatenate([y[:, :begin], body], axis=1)
    if entering is not None and entering.eased_steps and entering.kind == "blend":
        head = entering.eased_steps
        body = stretch_segments(
            y, sr, np.diff(natural_edges[: head + 1]).tolist(), np.diff(out_edges[: head + 1]).tolist()
        )
        rest = y[:, natural_edges[head] :]
        overlap = min(join, rest.shape[1], body.shape[1], int(natural_edges[head]))
        if overlap > 0:
            # The stretcher ends its stream a little behind its input; the head's last milliseconds
            # (at speed 1 by then) are crossfaded into the unstretched audio that follows.
            tail = y[:, natural_edges[head] - overlap : natural_edges[head]]
            body[:, -overlap:] = crossfade(body[:, -overlap:], tail, sr)
        y = np.concatenate([body, rest], axis=1)
    return y


def _spread(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` samples split in proportion to ``weights``, in whole samples that add up."""
    if weights.size == 0:
        return weights.astype(int)
    edges = np.round(np.r_[0.0, np.cumsum(weights)] / max(float(weights.sum()), 1.0) * total).astype(int)
    return np.diff(edges)


def _continuation(last_beat: int, leaving: Transition, analysis: Analysis) -> np.ndarray:
    """The beats after ``last_beat`` in its song that cover the transition (and a little more)."""
    track = analysis.track_of_beat
    beats = np.flatnonzero(track == track[last_beat])
    after = beats[beats > last_beat]
    if leaving.kind == "cut" or after.size == 0:
        return np.zeros(0, dtype=int)
    start = analysis.beat_starts[after[0]]
    needed = (leaving.length + JOIN_SECONDS) / leaving.outgoing_stretch
    enough = np.searchsorted(analysis.beat_ends[after] - start, needed)
    return after[: enough + 1]


def _song_gains(tracks: list[Audio], played: list[int]) -> dict[int, float]:
    """dB per track that brings it to the median loudness of the songs played, within its peaks."""
    measured = {t: loudness_lufs(tracks[t].y, tracks[t].sr) for t in sorted(set(played))}
    heard = [v for v in measured.values() if v > SILENT_LUFS]
    target = float(np.median(heard)) if heard else SILENT_LUFS
    gains = {}
    for t, lufs in measured.items():
        gain = 0.0 if lufs <= SILENT_LUFS else target - lufs
        peak = float(np.abs(tracks[t].y).max(initial=0.0))
        if gain > 0 and peak > 0:
            gain = min(gain, max(0.0, 20 * np.log10(PEAK_CEILING / peak)))
        gains[t] = gain
    return gains


def _match_level(y: np.ndarray, out: np.ndarray, at: int, entering: Transition, edges, sr: int) -> None:
    """Scale the incoming part's start to the loudness the outgoing one had, easing back after."""
    window = round(MATCH_WINDOW_SECONDS * sr)
    crossfade_end = round(entering.length * sr) if entering.kind == "blend" else 0
    before = loudness_lufs(out[:, max(0, at - window) : at], sr)
    after = loudness_lufs(y[:, crossfade_end : crossfade_end + window], sr)
    if before <= SILENT_LUFS or after <= SILENT_LUFS:
        return
    db = float(np.clip(before - after, -MAX_MATCH_DB, MAX_MATCH_DB))
    held = (
        int(edges[entering.step + entering.eased_steps] - edges[entering.step]) if entering.eased_steps else 0
    )
    held = max(held, crossfade_end + window)
    ease = round(MATCH_EASE_SECONDS * sr)
    n = min(y.shape[1], held + ease)
    t = np.clip((np.arange(n) - held + 0.5) / ease, 0.0, 1.0)
    curve = db * (0.5 + 0.5 * np.cos(np.pi * t))
    if db > 0:  # a boost no further than the loudest sample it lifts allows
        peak = float(np.abs(y[:, :n]).max(initial=0.0))
        limit = 20 * np.log10(PEAK_CEILING / peak) if peak > 0 else db
        curve = np.minimum(curve, max(0.0, limit))
    y[:, :n] *= (10 ** (curve / 20)).astype(np.float32)


def _enter(y: np.ndarray, continuation: np.ndarray, entering: Transition, sr: int) -> np.ndarray:
    """The incoming part with its first samples joined to the outgoing song: blended or cut in."""
    if entering.kind == "cut":
        rise = min(y.shape[1], round(CUT_RISE_SECONDS * sr))
        y[:, :rise] *= np.linspace(0.0, 1.0, rise, endpoint=False, dtype=np.float32)
        return y
    n = min(round(entering.length * sr), y.shape[1])
    outgoing = np.zeros((y.shape[0], n), dtype=np.float32)
    m = min(n, continuation.shape[1])
    outgoing[:, :m] = continuation[:, :m]
    y[:, :n] = crossfade(outgoing, y[:, :n], sr)
    return y
