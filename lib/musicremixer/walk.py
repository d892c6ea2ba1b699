"""The walk through the beat graph: a seeded random path that lasts the asked duration.

Before walking, a dynamic program over (time left, beat) marks every state from which the song's
real ending can still be reached exactly on time, within a quarter of a beat. The walk then only
takes steps that keep it in such a state, so it never walks into the outro early and always ends
on a track's own ending. Within that freedom it jumps like the Infinite Jukebox: a jump becomes
more likely with every beat since the last one (a ramp, scaled by ``jumpiness``), only at bar lines
and after a phrase of a few bars, and it avoids destinations it played recently. When no path can
end on time (too short a song for the asked length, or too few jumps), it walks freely and the
render fades out at the exact duration.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from musicremixer.types import Analysis, JumpGraph, Plan

QUANTA_PER_BEAT = 4
# An ending may miss the target by this many quanta (plus one of rounding drift): under a beat.
END_TOLERANCE = 2
RAMP_START, RAMP_STEP, RAMP_MAX = 0.18, 0.018, 0.5  # the Infinite Jukebox's branch probabilities
RECENT_BEATS = 64
FADE_SECONDS = 3.0


def plan_walk(
    graph: JumpGraph,
    analysis: Analysis,
    *,
    duration: float | None = None,
    seed: int = 0,
    jumpiness: float = 0.5,
) -> Plan:
    """Plan a remix: which beats play, in which order.

    Parameters
    ----------
    graph : JumpGraph
    analysis : Analysis
    duration : float > 0 or None
        Target length in seconds; ``None`` means the total length of the tracks.
    seed : int
        Seed of the walk's random choices.
    jumpiness : float in [0, 1]
        0 never jumps except to meet the duration; 1 jumps after every bar where it can.

    Returns
    -------
    Plan
    """
    lengths = analysis.beat_ends - analysis.beat_starts
    target = float(sum(t.duration for t in analysis.tracks)) if duration is None else float(duration)
    quantum = float(np.median(lengths)) / QUANTA_PER_BEAT
    # Quantize beat boundaries, not lengths, so a straight run's steps add up to its true length.
    steps = np.maximum(1, np.round(analysis.beat_ends / quantum) - np.round(analysis.beat_starts / quantum))
    steps = steps.astype(int)
    following = _next_beats(analysis)
    reachable = _reachable(graph, following, steps, round(target / quantum) + 2)
    walker = _Walker(graph, analysis, following, lengths, quantum, reachable, target, seed, jumpiness)
    beats, fade = walker.walk()
    times = np.r_[0.0, np.cumsum(lengths[beats])[:-1]]
    total = target if fade else float(lengths[beats].sum())
    return Plan(
        beats=np.asarray(beats, dtype=int),
        times=times,
        duration=total,
        fade_out=min(FADE_SECONDS, target / 4) if fade else 0.0,
        seed=int(seed),
        jumpiness=float(jumpiness),
    )


def _next_beats(analysis: Analysis) -> np.ndarray:
    track = analysis.track_of_beat
    following = np.r_[np.arange(1, analysis.n_beats), -1]
    following[np.r_[track[1:] != track[:-1], True]] = -1
    return following


def _reachable(graph: JumpGraph, following: np.ndarray, steps: np.ndarray, horizon: int) -> np.ndarray:
    """``reachable[t, b]``: starting beat ``b`` with ``t`` quanta left, a track's ending can be reached
    within ``END_TOLERANCE`` quanta."""
    n = following.shape[0]
    has_next = following >= 0
    reachable = np.zeros((horizon + 1, n), dtype=bool)
    # Endings: the last beat of a track, started with its own length left (give or take).
    for b in np.flatnonzero(~has_next):
        reachable[max(steps[b] - END_TOLERANCE, 1) : steps[b] + END_TOLERANCE + 1, b] = True
    # Row t reads row t - steps[b]: as offsets into the flat table, every index is t * n + offset.
    # An index below 0 (less time left than the beat lasts) is clipped to element 0, which is False.
    flat = reachable.reshape(-1)
    next_offset = np.where(has_next, following, 0) - steps * n
    sources, first_edge = np.unique(graph.sources, return_index=True)
    jump_offset = graph.targets - steps[graph.sources] * n
    for t in range(1, horizon + 1):
        row = reachable[t]
        row |= has_next & flat.take(t * n + next_offset, mode="clip")
        if sources.size:
            lands = flat.take(t * n + jump_offset, mode="clip")
            row[sources] |= np.logical_or.reduceat(lands, first_edge)
    return reachable


class _Walker:
    """The walk's state; one instance per plan, nothing shared."""

    def __init__(self, graph, analysis, following, lengths, quantum, reachable, target, seed, jumpiness):
        self.graph = graph
        self.bar_positions = analysis.bar_positions
        self.following = following
        self.lengths = lengths
        self.quantum = quantum
        self.reachable = reachable
        self.target = target
        self.rng = np.random.default_rng(seed)
        self.jumpiness = jumpiness
        meter = max(t.meter for t in analysis.tracks)
        self.phrase = meter * max(1, round(8 * (1 - jumpiness)))  # beats between jumps, at least
        self.edge_start = np.searchsorted(graph.sources, np.arange(analysis.n_beats + 1))
        # The last beat of each track that a jump leaves from: a free walk turns back there.
        last_source = np.full(len(analysis.tracks), -1)
        np.maximum.at(last_source, analysis.track_of_beat[graph.sources], graph.sources)
        self.turning_points = np.zeros(analysis.n_beats, dtype=bool)
        self.turning_points[last_source[last_source >= 0]] = True

    def walk(self) -> tuple[list[int], bool]:
        exact = self._feasible(0, self._quanta_left(0.0))
        beats: list[int] = []
        recent: deque[int] = deque(maxlen=RECENT_BEATS)
        elapsed, since_jump, beat = 0.0, 0, 0
        while True:
            beats.append(beat)
            recent.append(beat)
            elapsed += self.lengths[beat]
            if (exact and self.following[beat] < 0) or (not exact and elapsed >= self.target):
                return beats, not exact
            choice = self._choose(beat, elapsed, since_jump, recent, exact)
            if choice is None:  # rounding drift left no exact path: finish with a fade
                exact = False
                choice = self._choose(beat, elapsed, since_jump, recent, exact)
            since_jump = 0 if choice != self.following[beat] else since_jump + 1
            beat = choice

    def _quanta_left(self, elapsed: float) -> int:
        return round((self.target - elapsed) / self.quantum)

    def _feasible(self, beat: int, left: int) -> bool:
        rows = self.reachable.shape[0]
        return any(0 <= left + d < rows and self.reachable[left + d, beat] for d in (0, -1, 1))

    def _choose(self, beat, elapsed, since_jump, recent, exact) -> int | None:
        left = self._quanta_left(elapsed)
        following = int(self.following[beat])
        edges = np.arange(self.edge_start[beat], self.edge_start[beat + 1])
        targets = self.graph.targets[edges]
        if exact:
            can_go_on = following >= 0 and self._feasible(following, left)
            usable = np.array([self._feasible(int(j), left) for j in targets], dtype=bool)
        else:
            can_go_on = following >= 0 and not self._must_turn_back(beat, elapsed)
            usable = np.ones(targets.shape[0], dtype=bool)
            if following < 0 and not usable.any():
                return 0  # a song with no jumps at all: start it again
        edges, targets = edges[usable], targets[usable]
        if targets.size == 0:
            return following if can_go_on else None
        if can_go_on and not self._wants_jump(following, since_jump):
            return following
        weights = np.exp(-self.graph.distances[edges] / 0.1)
        weights[np.isin(targets, np.fromiter(recent, dtype=int))] *= 0.05
        return int(self.rng.choice(targets, p=weights / weights.sum()))

    def _wants_jump(self, following: int, since_jump: int) -> bool:
        if self.jumpiness <= 0 or since_jump < self.phrase or self.bar_positions[following] != 0:
            return False
        ramp = min(RAMP_MAX, RAMP_START + RAMP_STEP * (since_jump - self.phrase))
        return bool(self.rng.random() < ramp * self.jumpiness * 2)

    def _must_turn_back(self, beat: int, elapsed: float) -> bool:
        """In a free walk, take a jump before the track's last one is behind us, while time is left."""
        return bool(self.target - elapsed > 0 and self.turning_points[beat])
