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
* **Align.** Under a blend the two songs' beats must coincide; a tracked beat without a sharp
  attack is a few milliseconds off, and the stretcher's grains move onsets a few milliseconds
  more. So the incoming head is stretched once, its onsets over the crossfade are
  cross-correlated with the outgoing continuation's as rendered, and it is stretched again with
  the lag found (at most ``ALIGN_SECONDS``) taken up by its first beat, where the crossfade has
  barely begun, and given back over the bars after it.
* **Join.** A blend mixes the outgoing continuation and the incoming head over the transition's
  length with power-keeping fades whose peaks are held under the louder side
  (:func:`musicremixer.render.crossfade`); a cut fades the outgoing part over the transition's
  length before the incoming one starts on its downbeat.

Only each part's first and last seconds, which all of that touches, are made ahead, part by part;
its middle is its song's render scaled by the song's gain, made as it is read (:class:`_Mix`,
``render_mix(..., lazy=True)``), so a mix of an hour is never whole in memory.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from musicremixer.loudness import SILENT_LUFS, loudness_lufs
from musicremixer.render import apply_curve, conform_samples, crossfade, fade_curve, render_plan
from musicremixer.spectrum import power_spectrogram, power_to_db
from musicremixer.timestretch import stretch_segments
from musicremixer.types import Analysis, Audio, LazySamples, Part, Plan, Transition

MAX_MATCH_DB = 6.0
MATCH_WINDOW_SECONDS = 3.0  # the loudness compared either side of a transition
MATCH_EASE_SECONDS = 4.0
CUT_RISE_SECONDS = 0.005  # a cut-in starts with this short rise, so it doesn't click
JOIN_SECONDS = 0.02  # where the stretched head rejoins the unstretched part
PEAK_CEILING = 0.99
ALIGN_SECONDS = 0.05  # the most a blend moves the incoming song: a sixteenth at 300 BPM
ALIGN_HOP_SECONDS = 0.0025  # the onset envelopes' step, for the lag between the songs' beats
ALIGN_STEPS = 4  # beats after the crossfade that give the lag back where the head isn't eased


def render_mix(plan: Plan, analysis: Analysis, audios: Sequence[Audio], *, lazy: bool = False) -> Audio:
    """Render a plan of one or more parts into audio at the first track's rate and channels.

    Parameters
    ----------
    plan : Plan
    analysis : Analysis
    audios : sequence of Audio
        The decoded tracks, in the analysis' order.
    lazy : bool
        Return audio whose ``y`` renders its windows ``y[:, a:b]`` as they are read (a
        :class:`~musicremixer.types.LazySamples`), so that a long output is never whole in memory.

    Returns
    -------
    Audio
        ``round(plan.duration * sr)`` samples.
    """
    if not plan.transitions:
        return render_plan(plan, analysis, audios, lazy=lazy)
    mix = _Mix(plan, analysis, audios)
    return Audio(y=mix if lazy else np.asarray(mix), sr=mix.sr)


class _Mix(LazySamples):
    """A mix's audio: each part's start and end made at once, its long middle as it is read.

    A part's head (stretched, level-matched, crossfaded with the outgoing song) and its end (the cut's
    fade, the continuation played under the next song) need the audio around them, and are made in
    order, part by part. Between them a part is its song's render scaled by its gain, which
    :class:`~musicremixer.render.Rendering` makes window by window: memory holds the songs and those
    few seconds of each part, never the whole mix (unless it is read whole).
    """

    def __init__(self, plan: Plan, analysis: Analysis, audios: Sequence[Audio]) -> None:
        sr, channels = audios[0].sr, audios[0].channels
        self.sr = sr
        tracks = [Audio(y=conform_samples(a, sr=sr, channels=channels), sr=sr) for a in audios]
        lengths = analysis.beat_ends - analysis.beat_starts
        stretch = plan.stretch if plan.stretch is not None else np.ones(plan.beats.shape[0])
        edges = np.round(np.r_[0.0, np.cumsum(lengths[plan.beats] * stretch)] * sr).astype(int)
        total = round(plan.duration * sr)
        self.shape = (channels, total)
        gains = _song_gains(tracks, [p.track for p in plan.parts])
        self._parts: list[_Part] = []
        self._starts: list[int] = []
        continuation = np.zeros((channels, 0), dtype=np.float32)
        for k in range(len(plan.parts)):
            x = _layout(plan, k, analysis, edges, sr)
            own = (int(edges[x.part.steps.stop]) if x.leaving else total) - x.at
            before = self._loudness_before(x.at) if x.entering is not None else SILENT_LUFS
            part = _Part(
                x, plan, analysis, tracks, sr, continuation, np.float32(10 ** (gains[x.part.track] / 20))
            )
            part.finish(own, before, continuation, edges)
            continuation = part.continuation
            self._parts.append(part)
            self._starts.append(part.at)
        self._fade = fade_curve(min(total, round(plan.fade_out * sr)) if plan.fade_out > 0 else 0)

    def draw(self, out: np.ndarray, at: int) -> None:
        self._draw_parts(out, at)
        apply_curve(out, at, self._fade, self.shape[1] - self._fade.shape[0])

    def _draw_parts(self, out: np.ndarray, at: int) -> None:
        """The parts made so far, over samples ``at`` to ``at + out.shape[1]``."""
        stop = min(at + out.shape[1], self.shape[1])
        for part in self._parts[max(0, bisect.bisect_right(self._starts, at) - 1) :]:
            if part.at >= stop:
                break
            lo, hi = max(part.at, at), min(part.at + part.own, stop)
            if hi > lo:
                out[:, lo - at : hi - at] = part.samples(lo - part.at, hi - part.at)

    def _loudness_before(self, at: int) -> float:
        """Loudness of the mix's last ``MATCH_WINDOW_SECONDS`` before ``at``, the level to match."""
        begin = max(0, at - round(MATCH_WINDOW_SECONDS * self.sr))
        window = np.zeros((self.shape[0], at - begin), dtype=np.float32)
        self._draw_parts(window, begin)
        return loudness_lufs(window, self.sr)


@dataclass(frozen=True)
class _Layout:
    """Where a part's audio goes: its beats as played, and how its head and tail are stretched.

    ``natural`` are the sample edges of the played beats (the part's, then its continuation's) at
    their own tempo; ``out_edges`` those of the part's beats in the mix, from its entry ``at``.
    The head's ``shift`` is how much longer (or shorter) its stretched beats are than its own, so
    the unstretched beats after it sit at ``at + shift + natural``.
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


class _Part:
    """One part's audio from its entry ``at``: ``samples(t0, t1)`` of it, as the mix plays them.

    The part's song is rendered (lazily) at its own tempo where its unstretched beats belong
    (``at + shift``); its tail, then its head, are stretched from that render and laid over it. A
    blended head is stretched again if its beats are late or early on the outgoing
    ``continuation``. :meth:`finish` then scales it by the song's ``gain``, matches its level,
    joins it to the outgoing song and fades a cut: those touch only its first and last seconds,
    which are kept as arrays (``front`` and ``back``); the rest is read from the render.
    """

    def __init__(
        self,
        x: _Layout,
        plan: Plan,
        analysis: Analysis,
        tracks: list[Audio],
        sr: int,
        continuation: np.ndarray,
        gain: np.float32,
    ) -> None:
        self.x, self.sr, self.gain, self.at = x, sr, gain, x.at
        self.channels = tracks[0].channels
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
        self._render = render_plan(sub, analysis, tracks, lazy=True).y
        self._end = int(natural[-1])  # the render's samples the part takes (after the tail: its end)
        self._tail_begin = self._end
        self._tail = np.zeros((self.channels, 0), dtype=np.float32)
        join = round(JOIN_SECONDS * sr)
        # The tail first: stretching the head changes where everything after it lies.
        if x.tail_begin >= 0:
            original = self._read_stretched(x.tail_begin, self._end)  # no tail laid over it yet
            body = stretch_segments(original, sr, list(x.tail_in), list(x.tail_out))
            lead = x.tail_in[0]
            if lead:
                body[:, :lead] = crossfade(original[:, :lead], body[:, :lead], sr)
            self._tail_begin, self._tail, self._end = x.tail_begin, body, x.tail_begin + body.shape[1]
        self._head = np.zeros((self.channels, 0), dtype=np.float32)
        steps = x.head_steps
        if steps:
            head = self._read_stretched(0, int(natural[steps]))
            lengths_in = np.diff(natural[: steps + 1])
            lead = _missing_lead(x.played, analysis, sr)
            if lead:  # the song's first beat, given the silence its cut would have had before it
                head = np.concatenate([np.zeros((self.channels, lead), dtype=head.dtype), head], axis=1)
                lengths_in[0] += lead
            tail = min(join, self._end - int(natural[steps]), head.shape[1])
            body = _stretch_head(head, sr, lengths_in, x.out_edges[: steps + 1], tail) if x.head else head
            lag = _beat_lag(continuation, body, x.cross, sr) if x.align else 0
            if lag:
                body = _stretch_head(
                    head, sr, lengths_in, x.out_edges[: steps + 1] + _lag_profile(lag, x), tail
                )
            self._head = body
        self.length = x.shift + self._end  # samples of the part with its continuation

    def finish(self, own: int, before: float, continuation: np.ndarray, edges: np.ndarray) -> None:
        """Gain, level match, entry and cut fade; ``own`` samples are the part's in the mix."""
        x, sr = self.x, self.sr
        self.own = own
        end = max(self.length, own)
        reach = [self._head.shape[1]]
        if x.entering is not None:  # the level match, the join
            reach += [_match_reach(x.entering, edges, sr), round(x.entering.length * sr)]
        cut = x.leaving is not None and x.leaving.kind == "cut"
        fade = min(own, round(x.leaving.length * sr)) if cut else 0
        self._front_end, self._back_begin = min(end, max(reach)), own - fade
        if self._back_begin <= self._front_end:  # a short part: all of it is made at once
            self._front_end = self._back_begin = end
        front = self._gained(0, self._front_end)
        if x.entering is not None:
            _match_level(front, before, x.entering, edges, sr, length=self.length)
            front = _enter(front, continuation, x.entering, sr)
        self.front = front
        self.back = self._gained(self._back_begin, end)
        # What follows the front: the back, or for a short part the front's own end.
        tail, begin = (self.back, self._back_begin) if self._back_begin < end else (front, 0)
        apply_curve(tail, begin, fade_curve(fade), own - fade)
        self.continuation = tail[:, own - begin : end - begin].copy()

    def samples(self, t0: int, t1: int) -> np.ndarray:
        """The part's samples ``t0`` to ``t1`` (within ``[0, own)``), as the mix plays them."""
        if t1 <= self._front_end:
            return self.front[:, t0:t1]
        if t0 >= self._back_begin:
            return self.back[:, t0 - self._back_begin : t1 - self._back_begin]
        pieces = []
        if t0 < self._front_end:
            pieces.append(self.front[:, t0:])
        lo, hi = max(t0, self._front_end), min(t1, self._back_begin)
        pieces.append(self._gained(lo, hi))
        if t1 > self._back_begin:
            pieces.append(self.back[:, : t1 - self._back_begin])
        return np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]

    def _gained(self, t0: int, t1: int) -> np.ndarray:
        """The part's samples ``t0`` to ``t1`` before its entry and cut, scaled by the song's gain."""
        out = np.zeros((self.channels, t1 - t0), dtype=np.float32)
        stop = min(t1, self.length)
        head = self._head.shape[1]
        if t0 < head:
            out[:, : min(head, stop) - t0] = self._head[:, t0 : min(head, stop)]
        lo = max(t0, head)
        if stop > lo:
            out[:, lo - t0 : stop - t0] = self._read_stretched(lo - self.x.shift, stop - self.x.shift)
        out *= self.gain
        return out

    def _read_stretched(self, s0: int, s1: int) -> np.ndarray:
        """The render from ``s0`` to ``s1`` with the stretched tail laid over it, zero past its end."""
        out = np.zeros((self.channels, s1 - s0), dtype=np.float32)
        split = min(max(self._tail_begin, s0), s1)
        if split > s0:
            self._render.draw(out[:, : split - s0], s0)
        lo, hi = max(s0, self._tail_begin), min(s1, self._end)
        if hi > lo:
            out[:, lo - s0 : hi - s0] = self._tail[:, lo - self._tail_begin : hi - self._tail_begin]
        return out


def _missing_lead(played: np.ndarray, analysis: Analysis, sr: int) -> int:
    """Samples the first played beat lacks before its attack, when it is its song's first beat.

    Every beat is cut a little before its attack, except a song's first, which starts at 0 even when
    the song starts on the attack: then it is shorter than the beat after it by that lead, and
    stretched onto a whole beat of the outgoing song its attack lands that much early (a blend into
    a song that starts on its downbeat: the kicks 20 ms apart, half cancelled, at the crossfade's end).
    The shortfall against the next beat, at most ``ALIGN_SECONDS``, is what it lacks (0 after a
    pickup, which makes the first beat longer).
    """
    if played.shape[0] < 2 or analysis.beat_starts[played[0]] > 0 or played[1] != played[0] + 1:
        return 0
    lengths = analysis.beat_ends[played[:2]] - analysis.beat_starts[played[:2]]
    return round(float(np.clip(lengths[1] - lengths[0], 0.0, ALIGN_SECONDS)) * sr)


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


def _match_reach(entering: Transition, edges: np.ndarray, sr: int) -> int:
    """Samples from an incoming part's start that its level match touches."""
    crossfade_end = round(entering.length * sr) if entering.kind == "blend" else 0
    held = (
        int(edges[entering.step + entering.eased_steps] - edges[entering.step]) if entering.eased_steps else 0
    )
    return max(held, crossfade_end + round(MATCH_WINDOW_SECONDS * sr)) + round(MATCH_EASE_SECONDS * sr)


def _match_level(y: np.ndarray, before: float, entering: Transition, edges, sr: int, *, length: int) -> None:
    """Scale the incoming part's start to the loudness ``before`` it, easing back after.

    ``y`` is the part's start, of a part ``length`` samples long.
    """
    window = round(MATCH_WINDOW_SECONDS * sr)
    crossfade_end = round(entering.length * sr) if entering.kind == "blend" else 0
    after = loudness_lufs(y[:, crossfade_end : min(crossfade_end + window, length)], sr)
    if before <= SILENT_LUFS or after <= SILENT_LUFS:
        return
    db = float(np.clip(before - after, -MAX_MATCH_DB, MAX_MATCH_DB))
    ease = round(MATCH_EASE_SECONDS * sr)
    reach = _match_reach(entering, edges, sr)
    held = reach - ease
    n = min(length, reach)
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
