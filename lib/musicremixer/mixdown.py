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
* **Align.** Under a blend the two songs' beats must coincide, and the tracked beats of each are
  only as exact as the analysis frames (23 ms), the stretcher's grains move onsets a few
  milliseconds more. So the incoming head is stretched once, its onsets over the crossfade are
  cross-correlated with the outgoing continuation's as rendered, and it is stretched again with
  the lag found (at most ``ALIGN_SECONDS``) taken up by its first beat, where the crossfade has
  barely begun, and given back over the bars after it.
* **Join.** A blend mixes the outgoing continuation and the incoming head over the transition's
  length with power-keeping fades whose peaks are held under the louder side
  (:func:`musicremixer.render.crossfade`); a cut fades the outgoing part over the transition's
  length before the incoming one starts on its downbeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicremixer.loudness import SILENT_LUFS, loudness_lufs
from musicremixer.render import FREE_TIME_CROSSFADE_SECONDS, conform_samples, crossfade, render_plan
from musicremixer.spectrum import power_spectrogram, power_to_db
from musicremixer.timestretch import stretch_segments
from musicremixer.types import Analysis, Audio, Part, Plan, Transition

MAX_MATCH_DB = 6.0
MATCH_WINDOW_SECONDS = 3.0  # the loudness compared either side of a transition
MATCH_EASE_SECONDS = 4.0
CUT_RISE_SECONDS = 0.005  # a cut-in starts with this short rise, so it doesn't click
JOIN_SECONDS = 0.02  # where the stretched head rejoins the unstretched part
PEAK_CEILING = 0.99
ALIGN_SECONDS = 0.05  # the most a blend moves the incoming song: a sixteenth at 300 BPM
ALIGN_HOP_SECONDS = 0.0025  # the onset envelopes' step, for the lag between the songs' beats
ALIGN_STEPS = 4  # beats after the crossfade that give the lag back where the head isn't eased


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
    layouts = [_layout(plan, k, analysis, edges, sr) for k in range(len(plan.parts))]
    # Every part is rendered in place in the one output buffer, so that memory holds the songs and
    # the mix and nothing as long again: the buffer reaches as far as any part's render does.
    pad = round(FREE_TIME_CROSSFADE_SECONDS * sr) + 1
    size = max([total] + [max(x.at + x.shift + x.natural[-1] + pad, x.at + x.length) for x in layouts])
    out = np.zeros((channels, size), dtype=np.float32)
    continuation = np.zeros((channels, 0), dtype=np.float32)
    for x in layouts:
        before = _loudness_before(out, x.at, sr) if x.entering is not None else SILENT_LUFS
        y = _render_part(x, plan, analysis, tracks, out, sr, continuation)
        y *= np.float32(10 ** (gains[x.part.track] / 20))
        own = (int(edges[x.part.steps.stop]) if x.leaving else total) - x.at
        if x.entering is not None:
            _match_level(y, before, x.entering, edges, sr)
            y = _enter(y, continuation, x.entering, sr)
        if x.leaving is not None and x.leaving.kind == "cut":
            fade = min(own, round(x.leaving.length * sr))
            y[:, own - fade : own] *= np.cos(np.linspace(0.0, np.pi / 2, fade, dtype=np.float32))
        continuation = y[:, own:].copy()
        y[:, own:] = 0.0  # the next part is rendered there, added to zeros
    out = out[:, :total]
    if plan.fade_out > 0:
        n = min(total, round(plan.fade_out * sr))
        out[:, total - n :] *= np.cos(np.linspace(0.0, np.pi / 2, n, dtype=np.float32))
    return Audio(y=out, sr=sr)


@dataclass(frozen=True)
class _Layout:
    """Where a part's audio goes: its beats as played, and how its head and tail are stretched.

    ``natural`` are the sample edges of the played beats (the part's, then its continuation's) at
    their own tempo; ``out_edges`` those of the part's beats in the mix, from its entry ``at``.
    The head's ``shift`` is how much longer (or shorter) its stretched beats are than its own, so
    the unstretched beats after it sit at ``at + shift + natural``. ``length`` is the part's audio
    with its continuation, stretched.
    """

    part: Part
    entering: Transition | None
    leaving: Transition | None
    played: np.ndarray
    natural: np.ndarray
    out_edges: np.ndarray
    at: int
    head: int  # beats eased at the entry (0: none)
    align: int  # beats of the head that may be re-timed to meet the outgoing song's beat (0: none)
    cross: int  # samples of the crossfade at the entry (0 for a cut)
    tail_begin: int  # natural sample where the stretched tail starts (-1: none)
    tail_in: tuple[int, ...]
    tail_out: tuple[int, ...]

    @property
    def head_steps(self) -> int:
        """Beats of the head stretched at the entry: eased, or re-timed onto the outgoing beat."""
        return max(self.head, self.align)

    @property
    def shift(self) -> int:
        return int(self.out_edges[self.head] - self.natural[self.head])

    @property
    def length(self) -> int:
        natural = int(self.natural[-1]) if self.tail_begin < 0 else self.tail_begin + sum(self.tail_out)
        return self.shift + natural


def _layout(plan: Plan, k: int, analysis: Analysis, edges: np.ndarray, sr: int) -> _Layout:
    part = plan.parts[k]
    steps = part.steps
    entering = plan.transitions[k - 1] if k else None
    leaving = plan.transitions[k] if k < len(plan.transitions) else None
    beats = plan.beats[steps]
    lengths = analysis.beat_ends - analysis.beat_starts
    follow = _continuation(beats[-1], leaving, analysis) if leaving is not None else np.zeros(0, dtype=int)
    played = np.r_[beats, follow].astype(int)
    natural = np.round(np.r_[0.0, np.cumsum(lengths[played])] * sr).astype(int)
    out_edges = edges[steps.start : steps.stop + 1] - edges[steps.start]
    n = beats.shape[0]
    blend = entering is not None and entering.kind == "blend"
    head = entering.eased_steps if blend else 0
    cross = round(entering.length * sr) if blend else 0
    tail_begin, tail_in, tail_out = -1, (), ()
    if leaving is not None and leaving.outgoing_steps and leaving.kind == "blend":
        join = round(JOIN_SECONDS * sr)
        first = n - leaving.outgoing_steps
        tail_begin = max(0, int(natural[first]) - join)
        lengths_in = np.r_[natural[first] - tail_begin, np.diff(natural[first:])]
        lengths_out = np.r_[lengths_in[0], np.diff(out_edges[first:]), np.zeros(follow.shape[0], dtype=int)]
        # The continuation, under the crossfade, plays at the tempo where the two songs meet.
        continued = lengths_in[n - first + 1 :]
        lengths_out[n - first + 1 :] = _spread(round(continued.sum() * leaving.outgoing_stretch), continued)
        tail_in, tail_out = tuple(int(v) for v in lengths_in), tuple(int(v) for v in lengths_out)
    align = 0
    if blend and not any(analysis.tracks[t].free_time for t in (entering.from_track, entering.to_track)):
        under = int(np.searchsorted(out_edges, cross))  # beat edges under the crossfade, with the first
        room = int(np.searchsorted(natural, tail_begin, side="right")) - 1 if tail_begin >= 0 else n
        align = head if head > under else min(under + ALIGN_STEPS, room)
        align = align if align > under else 0
    return _Layout(
        part,
        entering,
        leaving,
        played,
        natural,
        out_edges,
        int(edges[steps.start]),
        head,
        align,
        cross,
        tail_begin,
        tail_in,
        tail_out,
    )


def _render_part(
    x: _Layout,
    plan: Plan,
    analysis: Analysis,
    tracks: list[Audio],
    out: np.ndarray,
    sr: int,
    continuation: np.ndarray,
) -> np.ndarray:
    """Render the part into ``out`` from ``x.at``, head and tail stretched; return that view.

    The beats are rendered at their own tempo where the unstretched ones belong (``x.at +
    x.shift``); the tail, then the head, are read back, stretched and written over them. What the
    render puts before ``x.at`` (a head played faster than its own tempo) is the previous part's
    place: it is kept aside and put back. A blended head is stretched again if its beats are late
    or early on the outgoing ``continuation``'s.
    """
    natural = x.natural
    lengths = analysis.beat_ends - analysis.beat_starts
    sub = Plan(
        beats=x.played,
        times=np.r_[0.0, np.cumsum(lengths[x.played])[:-1]],
        duration=float(lengths[x.played].sum()),
        fade_out=0.0,
        seed=plan.seed,
        jumpiness=plan.jumpiness,
    )
    base = x.at + x.shift
    kept = out[:, base : x.at].copy()
    out[:, base : x.at] = 0.0
    render_plan(sub, analysis, tracks, out=out[:, base:])
    end = base + int(natural[-1])
    join = round(JOIN_SECONDS * sr)
    # The tail first: stretching the head changes where everything after it lies.
    if x.tail_begin >= 0:
        begin = base + x.tail_begin
        body = stretch_segments(out[:, begin:end], sr, list(x.tail_in), list(x.tail_out))
        lead = x.tail_in[0]
        if lead:
            body[:, :lead] = crossfade(out[:, begin : begin + lead], body[:, :lead], sr)
        out[:, begin:end] = 0.0
        out[:, begin : begin + body.shape[1]] = body
        end = begin + body.shape[1]
    steps = x.head_steps
    if steps:
        head_end = base + int(natural[steps])
        head = out[:, base:head_end].copy()
        lengths_in = np.diff(natural[: steps + 1])
        tail = min(join, end - head_end, head.shape[1])
        body = _stretch_head(head, sr, lengths_in, x.out_edges[: steps + 1], tail) if x.head else head
        lag = _beat_lag(continuation, body, x.cross, sr) if x.align else 0
        if lag:
            body = _stretch_head(head, sr, lengths_in, x.out_edges[: steps + 1] + _lag_profile(lag, x), tail)
        out[:, base : x.at] = kept
        out[:, x.at : x.at + body.shape[1]] = body
    return out[:, x.at : end]


def _stretch_head(
    head: np.ndarray, sr: int, lengths_in: np.ndarray, edges: np.ndarray, tail: int
) -> np.ndarray:
    """The head's beats stretched to ``edges``; its last ``tail`` samples crossfaded back to ``head``'s."""
    body = stretch_segments(head, sr, lengths_in.tolist(), np.diff(edges).tolist())
    overlap = min(tail, body.shape[1])
    if overlap > 0:
        # The stretcher ends its stream a little behind its input; the head's last milliseconds
        # (at speed 1 by then) are crossfaded into the unstretched audio that follows.
        body[:, -overlap:] = crossfade(body[:, -overlap:], head[:, -overlap:], sr)
    return body


def _beat_lag(continuation: np.ndarray, incoming: np.ndarray, cross: int, sr: int) -> int:
    """Samples to delay ``incoming`` by so its onsets fall on ``continuation``'s over the crossfade.

    The two onset envelopes are cross-correlated within ``ALIGN_SECONDS``, weighted as the
    crossfade weighs them together (most in its middle, where both are heard).
    """
    n = min(cross, continuation.shape[1], incoming.shape[1])
    hop = max(1, round(ALIGN_HOP_SECONDS * sr))
    most = round(ALIGN_SECONDS * sr / hop)
    n_fft = 2 ** round(np.log2(0.025 * sr))
    if n < max(n_fft, 4 * most * hop):
        return 0
    a, b = (_onsets(y[:, :n].mean(axis=0), n_fft, hop) for y in (continuation, incoming))
    frames = min(a.shape[0], b.shape[0])
    a, b = a[:frames] - a[:frames].mean(), b[:frames] - b[:frames].mean()
    a *= np.sin(np.pi * (np.arange(frames) + 0.5) / frames)
    # incoming delayed by d frames: b[t - d] against a[t]
    scores = [
        float(np.dot(a[max(0, d) : frames + min(0, d)], b[max(0, -d) : frames - max(0, d)]))
        for d in range(-most, most + 1)
    ]
    if not np.any(scores):
        return 0
    return (int(np.argmax(scores)) - most) * hop


def _onsets(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Spectral flux: the rise in dB of each frequency bin from frame to frame, averaged.

    ``beat.onset_strength`` works on the analysis' mel bands at its 23 ms frames; a lag finer than
    those needs the output's own rate and a short hop.
    """
    db = power_to_db(power_spectrogram(y, n_fft=n_fft, hop_length=hop))
    return np.maximum(0.0, np.diff(db, axis=0)).mean(axis=1)


def _lag_profile(lag: int, x: _Layout) -> np.ndarray:
    """How far each of the head's beat edges moves: ``lag`` from the first beat to the crossfade's
    end, then back to 0 evenly over the head's remaining beats."""
    steps = x.head_steps
    hold = min(int(np.searchsorted(x.out_edges, x.cross)), steps - 1)
    k = np.arange(steps + 1)
    weights = np.where(k <= hold, 1.0, (steps - k) / max(steps - hold, 1))
    weights[0] = 0.0
    return np.round(lag * weights).astype(int)


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


def _loudness_before(out: np.ndarray, at: int, sr: int) -> float:
    """Loudness of the mix's last ``MATCH_WINDOW_SECONDS`` before ``at``, the level to match."""
    return loudness_lufs(out[:, max(0, at - round(MATCH_WINDOW_SECONDS * sr)) : at], sr)


def _match_level(y: np.ndarray, before: float, entering: Transition, edges, sr: int) -> None:
    """Scale the incoming part's start to the loudness ``before`` it, easing back after."""
    window = round(MATCH_WINDOW_SECONDS * sr)
    crossfade_end = round(entering.length * sr) if entering.kind == "blend" else 0
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
