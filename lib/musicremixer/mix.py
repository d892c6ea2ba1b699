"""Several songs, one mix: their order, each one's share of the output, and the handovers.

Each song plays one part of the output, in proportion to its length, and within its part the walk
remixes it as it would remix the song alone (:func:`musicremixer.walk.plan_walk` on the part's
window of beats). The first song starts at its beginning and the last ends on its real ending; in
between, each song hands over on a downbeat:

* **Where.** A song leaves at the end of a phrase (``PHRASE_BARS`` bars counted from its entry) and
  the next one enters on the first downbeat of a phrase: its first, unless it is the last song,
  which enters at the downbeat from which playing on to its ending best fills the time left. Quiet
  passages (``QUIET_DB`` under the song's level: an intro, a break, a fade-out) are where no song
  enters or leaves if a phrase nearby will do: on real songs the cuts into quiet intros and out of
  fades had dropped the level by up to 13 LU, twice what the loudness match makes up.
* **Blend.** When the incoming beat, taken once, twice or half (``TEMPO_MULTIPLES``), is within
  ``MAX_TEMPO_CHANGE`` of the outgoing one, the incoming song enters stretched to the outgoing
  beat: ``BLEND_BARS`` bars of equal-power crossfade at that tempo, then ``EASE_BARS`` bars over
  which the stretch eases back to 1, so no beat differs from its neighbour by more than a percent
  or so. Only those bars are stretched (the render does it); the songs' own beats elsewhere are not.
* **Cut.** Tempi further apart would be heard being dragged: the outgoing song fades out over
  ``CUT_FADE_SECONDS`` and the incoming one cuts in on its downbeat. Songs with no steady beat
  (free time) are crossfaded over ``FREE_TIME_BLEND_SECONDS``, unstretched.

The order is the input's with ``keep_order``; otherwise the one whose handovers are smoothest, by
tempo, key (chroma) and timbre around each song's exit and entry. Songs that don't fit a phrase each
in the asked length are left out, from the end of the order, and the plan names them.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from musicremixer.types import Analysis, JumpGraph, Part, Plan, Transition
from musicremixer.walk import PHRASE_BARS, plan_walk

MAX_TEMPO_CHANGE = 0.08  # beyond 8 % a stretched song sounds dragged: cut instead
TEMPO_MULTIPLES = (1.0, 2.0, 0.5)
BLEND_BARS = 2
EASE_BARS = 4
CUT_FADE_SECONDS = 0.25
FREE_TIME_BLEND_SECONDS = 4.0
CONTINUATION_MARGIN_SECONDS = 0.5  # the outgoing song must have this much audio after the crossfade
CONTEXT_BARS = 4  # the bars around an exit or entry that the order compares
QUIET_DB = 6.0  # a phrase this far under its song's median beat is not where a song enters or leaves
ENTRY_SEARCH = 1 / 3  # a song entering after a quiet start skips at most this much of itself
EXIT_SEARCH_PHRASES = 2  # an exit may wait this many phrases past its share for a loud one
PERIOD_SPAN = 64  # beats over which a song's beat length is measured
MAX_ORDERED_SONGS = 7  # up to 7! orders are compared; longer lists keep the nearest next song


@dataclass(frozen=True)
class _Song:
    track: int
    first: int  # pool index of its first beat
    last: int  # ... and of its last
    period: float  # beat length over a span of beats, seconds (:func:`_beat_period`)
    meter: int
    free_time: bool
    duration: float
    downbeats: np.ndarray  # pool indices
    loudness: np.ndarray  # dB of each of its beats (the analysis' beat RMS), by pool index - first
    seconds: np.ndarray  # ... and their lengths

    @classmethod
    def of(cls, analysis: Analysis, track: int) -> _Song:
        beats = np.flatnonzero(analysis.track_of_beat == track)
        lengths = analysis.beat_ends[beats] - analysis.beat_starts[beats]
        t = analysis.tracks[track]
        downbeats = beats[analysis.bar_positions[beats] == 0]
        return cls(
            track=track,
            first=int(beats[0]),
            last=int(beats[-1]),
            period=_beat_period(analysis.beat_starts[beats]),
            meter=int(t.meter),
            free_time=bool(t.free_time),
            duration=float(t.duration),
            downbeats=downbeats if downbeats.size else beats[:1],
            loudness=np.asarray(t.features[:, dict(analysis.feature_groups)["loudness"]][:, 0], dtype=float),
            seconds=lengths,
        )

    @property
    def phrase_seconds(self) -> float:
        return PHRASE_BARS * self.meter * self.period

    @functools.cached_property
    def level(self) -> float:
        """The song's level: the median over time of its beats' levels, in dB."""
        return _timed_median(self.loudness, self.seconds)

    def quiet(self, beats: np.ndarray, *, after: bool) -> np.ndarray:
        """Whether the phrase after (or before) each of ``beats`` is a quiet passage of the song.

        Quiet is ``QUIET_DB`` under the song's level: an intro, a break, a fade. Both levels are
        medians over time of the beats' levels, so a loud bar doesn't hide a quiet phrase, nor a
        beat the tracker stretched over a quiet intro count as one beat. A song that enters or
        leaves there is heard dropping or jumping in level by more than the loudness match may
        make up (``mixdown.MAX_MATCH_DB``).
        """
        n = PHRASE_BARS * self.meter
        at = np.asarray(beats, dtype=int) - self.first
        lo, hi = (at, at + n) if after else (at - n, at)
        lo, hi = np.clip(lo, 0, self.loudness.size), np.clip(hi, 0, self.loudness.size)
        return np.array(
            [
                _timed_median(self.loudness[a:b], self.seconds[a:b]) < self.level - QUIET_DB
                for a, b in zip(lo, hi, strict=True)
            ],
            dtype=bool,
        )


def _beat_period(starts: np.ndarray) -> float:
    """The song's beat length: the median over the song of ``PERIOD_SPAN`` beats' span, divided.

    Not the median of single beats: the tracker places beats on analysis frames, so a 139.7 BPM
    song's beats alternate 418 and 441 ms, and their median says 143.6 BPM. Two songs matched on
    that drift 10 ms a beat apart, a flam the ear hears within a bar. Over 64 beats a frame is
    under 0.1 %; the median keeps a stretched beat or a tempo change from moving it.
    """
    n = min(PERIOD_SPAN, starts.shape[0] - 1)
    if n < 1:
        return 0.5
    return float(np.median(starts[n:] - starts[:-n]) / n)


def _timed_median(values: np.ndarray, seconds: np.ndarray) -> float:
    """The median of ``values`` each held for ``seconds``; +inf for none (nothing quiet there)."""
    if values.size == 0:
        return np.inf
    order = np.argsort(values, kind="stable")
    held = np.cumsum(seconds[order])
    return float(values[order][np.searchsorted(held, 0.5 * held[-1])])


@dataclass(frozen=True)
class _Handover:
    """How song ``a`` hands over to song ``b``, before the exact beats are known.

    The two meet at the geometric mean of their beats: ``a``'s last bars ease from their own tempo
    to it, the crossfade holds it, and ``b``'s first bars after the crossfade ease on to their own.
    """

    kind: str
    tempo_multiple: float
    outgoing: float  # output over source length of a's beats under the crossfade
    incoming: float  # ... and of b's
    blend_steps: int  # b's beats under the crossfade (0 for a cut)
    ease_out: int  # a's beats easing from 1 to ``outgoing`` before the crossfade
    ease_in: int  # b's beats easing from ``incoming`` back to 1 after it

    @classmethod
    def between(cls, a: _Song, b: _Song) -> _Handover:
        if a.free_time or b.free_time:
            steps = max(1, int(np.ceil(FREE_TIME_BLEND_SECONDS / b.period)))
            return cls("blend", 1.0, 1.0, 1.0, steps, 0, 0)
        # b's beat times m against a's: stretched by sqrt(ratio), a by its inverse, they meet.
        ratios = [a.period * m / b.period for m in TEMPO_MULTIPLES]
        best = int(np.argmin([abs(np.log(r)) for r in ratios]))
        incoming = float(np.sqrt(ratios[best]))
        outgoing = 1.0 / incoming
        if max(abs(incoming - 1.0), abs(outgoing - 1.0)) > MAX_TEMPO_CHANGE:
            return cls("cut", 1.0, 1.0, 1.0, 0, 0, 0)
        return cls(
            "blend",
            TEMPO_MULTIPLES[best],
            outgoing,
            incoming,
            BLEND_BARS * b.meter,
            EASE_BARS * a.meter,
            EASE_BARS * b.meter,
        )

    def head(self, ease: int | None = None) -> np.ndarray:
        """The stretch of b's first beats: held under the crossfade, then easing linearly to 1."""
        ease = self.ease_in if ease is None else ease
        return np.r_[np.full(self.blend_steps, self.incoming), _ramp(self.incoming, 1.0, ease)]

    def tail(self, ease: int | None = None) -> np.ndarray:
        """The stretch of a's last beats before the crossfade, easing from 1 to ``outgoing``."""
        return _ramp(1.0, self.outgoing, self.ease_out if ease is None else ease)

    def overlap_seconds(self, b: _Song) -> float:
        """About how long the outgoing song sounds under the incoming one, in output seconds."""
        if self.kind == "cut":
            return 0.0
        return self.blend_steps * b.period * self.incoming


def _ramp(start: float, stop: float, steps: int) -> np.ndarray:
    """``steps`` values strictly between ``start`` and ``stop``, evenly spaced."""
    return start + (stop - start) * np.arange(1, steps + 1) / (steps + 1)


def plan_mix(
    graph: JumpGraph,
    analysis: Analysis,
    *,
    duration: float | None = None,
    seed: int = 0,
    jumpiness: float = 0.5,
    keep_order: bool = False,
) -> Plan:
    """Plan a remix of one or more songs: each remixed in its part, handed over on downbeats.

    Parameters
    ----------
    graph : JumpGraph
    analysis : Analysis
    duration : float > 0 or None
        Target length in seconds; ``None`` means the total length of the tracks, less the
        overlaps of their transitions. A mix of several songs ends on the last one's real ending
        when that comes within a bar of the target (it fades at the target otherwise).
    seed : int
    jumpiness : float in [0, 1]
    keep_order : bool
        Play the songs in the given order instead of the smoothest one.

    Returns
    -------
    Plan
        With one :class:`Part` per song played and a :class:`Transition` between consecutive ones.
    """
    songs = [_Song.of(analysis, t) for t in range(len(analysis.tracks))]
    if len(songs) == 1:
        plan = plan_walk(graph, analysis, duration=duration, seed=seed, jumpiness=jumpiness)
        return _with_parts(plan, [(0, plan.beats, None)], [], (), analysis)
    order = list(range(len(songs))) if keep_order else _smoothest_order(songs, analysis)
    # By default each song plays through once, its part overlapping the next at the transition.
    target = np.inf if duration is None else float(duration)
    order, left_out = _fit(order, songs, target)
    played = [songs[t] for t in order]
    handovers = [_Handover.between(a, b) for a, b in itertools.pairwise(played)]
    shares = _shares(played, target)
    seeds = np.random.SeedSequence([int(seed), len(played)]).generate_state(len(played), dtype=np.uint64)

    parts: list[tuple[int, np.ndarray, np.ndarray | None]] = []
    fade_out = 0.0
    out_time, boundary = 0.0, 0.0
    lengths = analysis.beat_ends - analysis.beat_starts
    for k, song in enumerate(played):
        last = k == len(played) - 1
        entering = handovers[k - 1] if k else None
        leaving = None if last else handovers[k]
        head = entering.head() if entering else np.zeros(0)
        tail = leaving.tail() if leaving else np.zeros(0)
        stretched = float(((np.r_[head, tail] - 1.0) * song.period).sum())
        boundary += shares[k]
        want = (target if last else boundary) - out_time - stretched
        if last:
            entry, goal = _last_entry(song, want, analysis) if k else (song.first, _goal(want, song.duration))
            exit_beat = song.last
        else:
            entry = song.first if k == 0 else _first_phrase(song)
            room = leaving.overlap_seconds(played[k + 1]) / leaving.outgoing + CONTINUATION_MARGIN_SECONDS
            exit_beat, goal = _exit(song, entry, want, room, analysis)
        sub_analysis, sub_graph = _window(analysis, graph, entry, exit_beat)
        walk_seed = int(seeds[k] >> np.uint64(1))
        plan = plan_walk(
            sub_graph, sub_analysis, duration=goal, seed=walk_seed, jumpiness=jumpiness, must_end=not last
        )
        straight = float(analysis.beat_ends[exit_beat] - analysis.beat_starts[entry])
        bar = song.meter * song.period
        if plan.fade_out > 0 and not last:  # no path ends on the exit in time: play the window as it is
            plan = plan_walk(
                sub_graph, sub_analysis, duration=straight, seed=walk_seed, jumpiness=0.0, must_end=True
            )
        elif plan.fade_out > 0 and k:
            # Longer than the song plays straight, by loops of whole bars: the nearest length they
            # make, and the song's own ending, are worth more than a second or two of the asked time.
            for length in (straight + round((goal - straight) / bar) * bar, straight):
                retry = plan_walk(
                    sub_graph,
                    sub_analysis,
                    duration=length,
                    seed=walk_seed,
                    jumpiness=jumpiness,
                    must_end=True,
                )
                if retry.fade_out == 0 and abs(retry.duration - goal) <= bar:
                    plan = retry
                    break
        if last and k and np.isfinite(want) and plan.fade_out == 0 and abs(plan.duration - want) > bar:
            # The songs before took more than their shares (a phrase at least each): the asked
            # length is kept, with a fade, rather than overrun by more than a bar.
            plan = plan_walk(
                sub_graph, sub_analysis, duration=max(want, bar), seed=walk_seed, jumpiness=jumpiness
            )
        beats = plan.beats + entry
        head, tail = _fit_ramps(entering, leaving, beats.shape[0])
        stretch = np.ones(beats.shape[0])
        stretch[: head.shape[0]] = head
        stretch[beats.shape[0] - tail.shape[0] :] = tail
        parts.append((song.track, beats, stretch))
        if last and plan.fade_out > 0:
            fade_out = plan.fade_out
            out_time += plan.duration + float(((stretch - 1.0) * lengths[beats]).sum())
        else:
            out_time += float((stretch * lengths[beats]).sum())
    merged = _merge(parts, analysis, seed, jumpiness, duration=out_time, fade_out=fade_out)
    return _with_parts(merged, parts, handovers, tuple(left_out), analysis)


def _fit_ramps(
    entering: _Handover | None, leaving: _Handover | None, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """The part's stretched head and tail, their eases shortened to fit a part of ``steps`` beats."""
    blend = entering.blend_steps if entering else 0
    ease_in = entering.ease_in if entering else 0
    ease_out = leaving.ease_out if leaving else 0
    spare = steps - blend
    if ease_in + ease_out > spare:  # a short part: both eases get their share of what is left
        total = max(ease_in + ease_out, 1)
        ease_in, ease_out = ease_in * spare // total, ease_out * spare // total
    head = entering.head(ease_in)[:steps] if entering else np.zeros(0)
    tail = leaving.tail(ease_out) if leaving else np.zeros(0)
    return head, tail


def _smoothest_order(songs: list[_Song], analysis: Analysis) -> list[int]:
    n = len(songs)
    cost = np.array([[_handover_cost(a, b, analysis) if a is not b else 0.0 for b in songs] for a in songs])
    if n <= MAX_ORDERED_SONGS:
        orders = itertools.permutations(range(n))
        return list(min(orders, key=lambda o: sum(cost[i, j] for i, j in itertools.pairwise(o))))
    order = [0]
    while len(order) < n:
        rest = [j for j in range(n) if j not in order]
        order.append(min(rest, key=lambda j: cost[order[-1], j]))
    return order


def _handover_cost(a: _Song, b: _Song, analysis: Analysis) -> float:
    """How unlike the end of ``a`` is to the start of ``b``: tempo, key and timbre, each about 0-1."""
    handover = _Handover.between(a, b)
    if handover.kind == "cut":
        tempo = 3.0
    elif a.free_time or b.free_time:
        tempo = 1.0
    else:
        tempo = abs(np.log(handover.incoming)) / np.log1p(MAX_TEMPO_CHANGE)
    context = CONTEXT_BARS * max(a.meter, b.meter)
    outro = np.arange(max(a.first, a.last - context), a.last + 1)
    intro = np.arange(_first_phrase(b), min(b.last, _first_phrase(b) + context) + 1)
    groups = dict(analysis.feature_groups)
    raw_a = analysis.tracks[a.track].features[outro - a.first, groups["chroma"]].mean(axis=0)
    raw_b = analysis.tracks[b.track].features[intro - b.first, groups["chroma"]].mean(axis=0)
    key = 0.5 * (1.0 - float(np.corrcoef(raw_a, raw_b)[0, 1])) if raw_a.std() and raw_b.std() else 0.5
    timbre_a = analysis.features[outro, groups["timbre"]].mean(axis=0)
    timbre_b = analysis.features[intro, groups["timbre"]].mean(axis=0)
    distance = float(np.linalg.norm(timbre_a - timbre_b))
    return float(tempo + key + distance / (1.0 + distance))


def _fit(order: list[int], songs: list[_Song], target: float) -> tuple[list[int], list[int]]:
    """The songs that get a phrase each in ``target`` seconds, and those left out (from the end)."""
    kept = list(order)
    while len(kept) > 1 and sum(songs[t].phrase_seconds for t in kept) > target:
        kept.pop()
    return kept, [t for t in order if t not in kept]


def _shares(played: list[_Song], target: float) -> list[float]:
    """Each song's seconds of output, in proportion to its length, a phrase at least."""
    minimum = np.array([s.phrase_seconds for s in played])
    weights = np.array([s.duration for s in played])
    if np.isinf(target):
        return [np.inf] * len(played)
    shares = target * weights / weights.sum()
    for _ in range(len(played)):
        short = shares < minimum
        if not short.any():
            break
        rest = target - minimum[short].sum()
        shares = np.where(short, minimum, rest * weights / weights[~short].sum())
    return [float(s) for s in shares]


def _first_phrase(song: _Song) -> int:
    """The first phrase-starting downbeat that isn't quiet, in the song's first third; else its first."""
    phrases = song.downbeats[::PHRASE_BARS]
    starts = phrases[phrases - song.first <= ENTRY_SEARCH * (song.last - song.first)]
    loud = starts[~song.quiet(starts, after=True)]
    return int(loud[0]) if loud.size else int(song.downbeats[0])


def _exit(song: _Song, entry: int, want: float, room: float, analysis: Analysis) -> tuple[int, float]:
    """The part's last beat (before a phrase-starting downbeat) and the seconds its walk should last.

    The window of beats ends before the first phrase boundary whose straight play from ``entry``
    lasts ``want``, leaving ``room`` seconds of the song after it for the crossfade. A ``want``
    longer than the song can give straight is filled by the walk's loops; ``want=inf`` plays the
    song through once.
    """
    starts = analysis.beat_starts
    later = song.downbeats[song.downbeats >= entry]
    bars = np.arange(later.shape[0])  # counted from the first downbeat of the part
    fits = song.duration - starts[later] >= room
    candidates = later[(bars % PHRASE_BARS == 0) & (later > entry) & fits]
    if candidates.size == 0:  # no whole phrase fits: any downbeat that leaves the room
        candidates = later[(later > entry) & fits]
    if candidates.size == 0:  # nor that: the part plays to the song's end
        return song.last, _goal(want, song.duration - float(starts[entry]))
    straight = starts[candidates] - starts[entry]
    # The first boundary that gives the part its share: what it plays over is taken from the songs
    # after it, and the last one can always give up some of its start (``_last_entry``).
    enough = np.flatnonzero(straight >= want)
    pick = int(enough[0]) if enough.size else candidates.size - 1
    # Leaving out of a quiet passage drops the level: a loud phrase boundary a little later is worth
    # a share a phrase or two longer; played through once, a little earlier (before a fade-out).
    if np.isfinite(want):
        near = np.arange(pick, min(pick + EXIT_SEARCH_PHRASES + 1, candidates.size))
    else:
        near = np.arange(pick, max(pick - EXIT_SEARCH_PHRASES - 1, -1), -1)
    loud = near[~song.quiet(candidates[near], after=False)]
    if loud.size:
        pick = int(loud[0])
    return int(candidates[pick]) - 1, _goal(want, float(straight[pick]))


def _goal(want: float, straight: float) -> float:
    """Seconds a part's walk should last: ``want``, but no less than its window played straight."""
    return straight if np.isinf(want) else max(want, straight)


def _last_entry(song: _Song, want: float, analysis: Analysis) -> tuple[int, float]:
    """The last song's entry downbeat whose straight play to the ending best fills ``want`` seconds."""
    tails = song.duration - analysis.beat_starts[song.downbeats]
    # A phrase at least, so a short share still gets a whole phrase of the song's ending.
    usable = tails >= min(song.phrase_seconds, tails.max())
    downbeats, tails = song.downbeats[usable], tails[usable]
    if want >= tails.max():  # played through once: from its first phrase that isn't quiet
        entry = _first_phrase(song)
        return entry, _goal(want, song.duration - float(analysis.beat_starts[entry]))
    # The best fit among the entries that aren't quiet, if one fits within a phrase.
    miss = np.abs(tails - want)
    miss[song.quiet(downbeats, after=True)] += song.phrase_seconds
    pick = int(np.argmin(miss))
    return int(downbeats[pick]), float(tails[pick])


def _window(analysis: Analysis, graph: JumpGraph, first: int, last: int) -> tuple[Analysis, JumpGraph]:
    """Beats ``first..last`` of the pool as an analysis of one track, and the jumps inside them."""
    keep = slice(first, last + 1)
    track = analysis.tracks[int(analysis.track_of_beat[first])]
    sub = Analysis(
        tracks=(track,),
        track_of_beat=np.zeros(last + 1 - first, dtype=int),
        beat_starts=analysis.beat_starts[keep],
        beat_ends=analysis.beat_ends[keep],
        bar_positions=analysis.bar_positions[keep],
        features=analysis.features[keep],
        levels_db=analysis.levels_db[keep],
        feature_groups=analysis.feature_groups,
    )
    inside = (
        (graph.sources >= first)
        & (graph.sources <= last)
        & (graph.targets >= first)
        & (graph.targets <= last)
    )
    sub_graph = JumpGraph(
        sources=graph.sources[inside] - first,
        targets=graph.targets[inside] - first,
        distances=graph.distances[inside],
        clusters=graph.clusters[keep],
    )
    return sub, sub_graph


def _merge(
    parts, analysis: Analysis, seed: int, jumpiness: float, *, duration: float, fade_out: float
) -> Plan:
    beats = np.concatenate([b for _, b, _ in parts])
    stretch = np.concatenate([s for _, _, s in parts])
    lengths = (analysis.beat_ends - analysis.beat_starts)[beats] * stretch
    return Plan(
        beats=beats,
        times=np.r_[0.0, np.cumsum(lengths)[:-1]],
        duration=duration,
        fade_out=fade_out,
        seed=int(seed),
        jumpiness=float(jumpiness),
        stretch=None if np.all(stretch == 1.0) else stretch,
    )


def _with_parts(
    plan: Plan, parts, handovers: list[_Handover], left_out: tuple[int, ...], analysis: Analysis
) -> Plan:
    """The plan with its parts and transitions described, step indices and output times included."""
    described: list[Part] = []
    transitions: list[Transition] = []
    step = 0
    for k, (track, beats, stretch) in enumerate(parts):
        start = float(plan.times[step])
        end = float(plan.times[step + beats.shape[0]]) if k + 1 < len(parts) else plan.duration
        described.append(Part(track=track, steps=slice(step, step + beats.shape[0]), start=start, end=end))
        if k:
            previous_track, _, previous_stretch = parts[k - 1]
            transitions.append(
                _transition(
                    plan, handovers[k - 1], (previous_track, track), step, analysis, previous_stretch, stretch
                )
            )
        step += beats.shape[0]
    return Plan(
        beats=plan.beats,
        times=plan.times,
        duration=plan.duration,
        fade_out=plan.fade_out,
        seed=plan.seed,
        jumpiness=plan.jumpiness,
        parts=tuple(described),
        transitions=tuple(transitions),
        stretch=plan.stretch,
        left_out=left_out,
    )


def _transition(
    plan: Plan,
    handover: _Handover,
    tracks: tuple[int, int],
    step: int,
    analysis: Analysis,
    outgoing: np.ndarray,
    incoming: np.ndarray,
) -> Transition:
    """The transition at ``step``; ``outgoing``, ``incoming``: the stretch of the parts either side."""
    blend = slice(step, min(step + handover.blend_steps, plan.beats.shape[0]))
    lengths = (analysis.beat_ends - analysis.beat_starts)[plan.beats[blend]] * incoming[
        : handover.blend_steps
    ]
    return Transition(
        from_track=tracks[0],
        to_track=tracks[1],
        step=step,
        at=float(plan.times[step]),
        length=CUT_FADE_SECONDS if handover.kind == "cut" else float(lengths.sum()),
        kind=handover.kind,
        from_beat=int(plan.beats[step - 1]),
        to_beat=int(plan.beats[step]),
        tempo_multiple=handover.tempo_multiple,
        stretch=(float(handover.incoming), 1.0),
        eased_steps=_run_length(incoming != 1.0),
        outgoing_stretch=float(handover.outgoing),
        outgoing_steps=_run_length(outgoing[::-1] != 1.0),
    )


def _run_length(flags: np.ndarray) -> int:
    """How many of ``flags`` are true from the first on."""
    return int(np.argmin(flags)) if not flags.all() else int(flags.shape[0])
