"""The walk through the beat graph: a seeded random path that lasts the asked duration.

Time is counted in quanta (a quarter of the median beat). A dynamic program over (quanta left, beat)
finds, for every state, the fewest jumps from which a track's real ending is reached on time (within
``END_TOLERANCE`` quanta, under a beat). The walk keeps the same integer count of quanta as the
table, so a state the table calls reachable always has a next step that is too: the straight play
of the song at its own length is never lost to rounding, and the walk never has to give up.

Only bar-line jumps are used, by the table and the walk alike: from the last beat of a bar to a
downbeat, never back by less than a phrase (``PHRASE_BARS`` bars) within a track. The walk jumps
like the Infinite Jukebox: no sooner than a phrase (and ``MIN_GAP_SECONDS``) after the last jump,
then with a probability per bar line that grows with ``jumpiness`` and with the bars waited. Jumps
the ending needs are spread evenly over the bar lines where they can still be taken (half a phrase
after the last jump at least; from the start on), so the seed chooses where, and they are forced
as soon as the jumps still needed would no longer fit, one per phrase, in the time left. The walk
remembers what it played: it prefers destinations it has not heard lately, leaves a region it is
replaying (a phrase after its last jump), and never takes the same jump three times in a row; when
the ending could only be kept by such a loop, it gives the ending up for a fade.

When no path can end on time (a length the song's jumps can't make), or only one of many more
jumps than a fade needs (``ENDING_EXTRA_JUMPS``, plus one per two phrases at jumpiness 1: long
chains of jumps whose roundings add up to the asked length), a second table of the same kind marks
the states from which the walk can last until the asked time without running off a track's end,
and the render fades out at exactly the asked length. So jumpiness 0 makes only the jumps the
length needs, at every length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicremixer.types import Analysis, JumpGraph, Plan

QUANTA_PER_BEAT = 4
# An ending may miss the target by this many quanta, and the table's count of time may drift from
# the clock's by MAX_DRIFT (plus half a quantum of rounding): the plan lasts the asked time within a beat.
END_TOLERANCE = 2
MAX_DRIFT = 1.5
UNREACHABLE = np.uint8(255)  # in the tables: no path; counts of needed jumps saturate below it
PHRASE_BARS = 4  # a phrase: the shortest loop, and the least time between two chosen jumps
MIN_GAP_SECONDS = 6.0  # fast songs: a phrase of short bars is still this long, at least
HAZARD_MAX = 0.6  # chance of a jump at a bar line after a phrase, at jumpiness 1
HAZARD_STEP = 0.04  # ... growing by this per bar waited
REPLAY_HAZARD = 0.7  # chance of leaving a region heard lately, at each bar line with a way out
RECENT_BEATS = 96  # what the walk remembers having played
RECENT_PENALTY = 0.02  # weight of a destination whose phrase was all played lately
DISTANCE_SCALE = 0.15  # the weight of a jump falls by e for this much context distance
FADE_SECONDS = 3.0
ENDING_EXTRA_JUMPS = 2  # jumps the song's ending may cost beyond a fade's, at jumpiness 0


def plan_walk(
    graph: JumpGraph,
    analysis: Analysis,
    *,
    duration: float | None = None,
    seed: int = 0,
    jumpiness: float = 0.5,
    must_end: bool = False,
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
        0 jumps only where the duration needs it; higher values jump more often, at most about
        once a phrase.
    must_end : bool
        End on the track's last beat whenever any path can, however many jumps it takes: a part of
        a mix must reach the beat its transition starts from. Otherwise an ending that costs far
        more jumps than a fade (``ENDING_EXTRA_JUMPS``) fades instead.

    Returns
    -------
    Plan
    """
    lengths = analysis.beat_ends - analysis.beat_starts
    target = float(sum(t.duration for t in analysis.tracks)) if duration is None else float(duration)
    grid = _Grid.build(graph, analysis)
    walker = _Walker(grid, analysis, target, seed, jumpiness, must_end)
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


@dataclass(frozen=True)
class _Grid:
    """The beats in quanta and the jumps the walk may take (bar-line jumps, no short loops)."""

    quantum: float
    steps: np.ndarray  # (n_beats,) int: quanta per beat
    following: np.ndarray  # (n_beats,) int: the next beat of the track, -1 after its last
    phrase: np.ndarray  # (n_beats,) int: beats in a phrase of the beat's track
    min_gap: np.ndarray  # (n_beats,) int: beats between two chosen jumps, at least
    sources: np.ndarray  # (n_jumps,) sorted
    targets: np.ndarray
    distances: np.ndarray
    costs: np.ndarray  # (n_jumps,) int: quanta of the source beat when it is left by that jump
    starts: np.ndarray  # (n_beats,) int: each beat's start in its track, in whole quanta
    exact_starts: np.ndarray  # (n_beats,) the same, unrounded
    jump_start: np.ndarray  # (n_beats + 1,): the jumps from beat b are jump_start[b]:jump_start[b + 1]
    track_last: np.ndarray  # (n_beats,) int: the last beat of each beat's track
    elapsed_steps: np.ndarray  # (n_beats + 1,) int: quanta of all the beats before each one

    @classmethod
    def build(cls, graph: JumpGraph, analysis: Analysis) -> _Grid:
        lengths = analysis.beat_ends - analysis.beat_starts
        quantum = float(np.median(lengths)) / QUANTA_PER_BEAT
        # Quantize beat boundaries, not lengths, so a straight run's steps add up to its true length.
        steps = np.round(analysis.beat_ends / quantum) - np.round(analysis.beat_starts / quantum)
        steps = np.maximum(1, steps).astype(int)
        following = _next_beats(analysis)
        meters = np.array([t.meter for t in analysis.tracks])[analysis.track_of_beat]
        phrase = meters * PHRASE_BARS
        bar_seconds = meters * float(np.median(lengths))
        min_gap = meters * np.maximum(PHRASE_BARS, np.ceil(MIN_GAP_SECONDS / bar_seconds)).astype(int)
        keep = _bar_line_jumps(graph, analysis, following, phrase)
        sources, targets = graph.sources[keep], graph.targets[keep]
        # A jump's own rounding: the time from the source's start to its end, counted from the
        # destination's rounded start. Each jump then errs by half a quantum at most, not a whole one.
        starts = np.round(analysis.beat_starts / quantum)
        ends = np.flatnonzero(following < 0)
        shift = np.round((analysis.beat_ends[sources] - analysis.beat_starts[targets]) / quantum)
        costs = np.maximum(1, shift + starts[targets] - starts[sources]).astype(int)
        return cls(
            quantum=quantum,
            steps=steps,
            following=following,
            phrase=phrase,
            min_gap=min_gap,
            sources=sources,
            targets=targets,
            distances=graph.distances[keep],
            costs=costs,
            starts=starts.astype(int),
            exact_starts=analysis.beat_starts / quantum,
            jump_start=np.searchsorted(sources, np.arange(analysis.n_beats + 1)),
            track_last=ends[np.searchsorted(ends, np.arange(analysis.n_beats))],
            elapsed_steps=np.r_[0, np.cumsum(steps)],
        )

    def endings(self, horizon: int) -> np.ndarray:
        """The fewest jumps to end on a track's last beat, started with its own length left (± tolerance)."""
        lo = np.where(self.following < 0, np.maximum(self.steps - END_TOLERANCE, 1), horizon + 1)
        return self._jumps_needed(horizon, lo, self.steps + END_TOLERANCE)

    def lasting(self, horizon: int) -> np.ndarray:
        """The fewest jumps to play on until the time is up (within some beat) without running out."""
        return self._jumps_needed(horizon, np.ones_like(self.steps), self.steps)

    def _jumps_needed(self, horizon: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """``need[t, b]``: fewest jumps from beat ``b`` with ``t`` quanta left to a final state, one
        where ``lo[b] <= t <= hi[b]``; ``UNREACHABLE`` when there is no such path."""
        n = self.steps.shape[0]
        need = np.full((horizon + 1, n), UNREACHABLE, dtype=np.uint8)
        # Row t reads row t - steps[b]: as offsets into the flat table, every index is t * n + offset.
        # An index below 0 (less time left than the beat lasts) is clipped to element 0, unreachable.
        flat = need.reshape(-1)
        no_next = np.where(self.following < 0, UNREACHABLE, np.uint8(0))
        next_offset = np.maximum(self.following, 0) - self.steps * n
        sources, first = np.unique(self.sources, return_index=True)
        jump_offset = self.targets - self.costs * n
        # Every row reads rows at least ``block`` back, so that many rows are computed at once.
        block = int(min(self.steps.min(), self.costs.min() if self.costs.size else self.steps.min()))
        last_final = int(hi.max())
        for t0 in range(1, horizon + 1, block):
            ts = np.arange(t0, min(t0 + block, horizon + 1))[:, None]
            rows = flat.take(ts * n + next_offset, mode="clip")
            rows |= no_next
            if sources.size:
                lands = np.minimum.reduceat(flat.take(ts * n + jump_offset, mode="clip"), first, axis=1)
                np.minimum(lands, UNREACHABLE - 1, out=lands)
                lands += 1
                rows[:, sources] = np.minimum(rows[:, sources], lands)
            if t0 <= last_final:
                rows[(lo <= ts) & (ts <= hi)] = 0
            need[t0 : t0 + ts.shape[0]] = rows
        return need


def _next_beats(analysis: Analysis) -> np.ndarray:
    track = analysis.track_of_beat
    following = np.r_[np.arange(1, analysis.n_beats), -1]
    following[np.r_[track[1:] != track[:-1], True]] = -1
    return following


def _bar_line_jumps(
    graph: JumpGraph, analysis: Analysis, following: np.ndarray, phrase: np.ndarray
) -> np.ndarray:
    """Which edges leave the last beat of a bar for a downbeat and loop back no less than a phrase."""
    i, j = graph.sources, graph.targets
    bars = analysis.bar_positions
    at_bar_line = (following[i] >= 0) & (bars[np.maximum(following[i], 0)] == 0) & (bars[j] == 0)
    track = analysis.track_of_beat
    short_loop = (track[i] == track[j]) & (j <= i) & (i + 1 - j < phrase[i])
    return at_bar_line & ~short_loop


class _Walker:
    """The walk's state; one instance per plan, nothing shared."""

    def __init__(
        self, grid: _Grid, analysis: Analysis, target: float, seed: int, jumpiness: float, must_end: bool
    ):
        self.grid = grid
        self.lengths = analysis.beat_ends - analysis.beat_starts
        self.target = target
        self.rng = np.random.default_rng(seed)
        self.jumpiness = float(np.clip(jumpiness, 0.0, 1.0))
        self.horizon = round(target / grid.quantum) + END_TOLERANCE
        self.table = grid.endings(self.horizon)
        start = self.horizon - END_TOLERANCE
        self._lasting: np.ndarray | None = None
        self.last_played = np.full(analysis.n_beats, -(10**9))
        self.jumps: list[tuple[int, int]] = []
        self.step = 0
        self.since_jump = 0
        # An ending that only a long chain of jumps can reach (their roundings adding up to the asked
        # length) is worse than a fade: it forces jumps the jumpiness did not ask for, bunched.
        phrases = target / (grid.quantum * QUANTA_PER_BEAT * float(np.median(grid.min_gap)))
        allowance = ENDING_EXTRA_JUMPS + int(self.jumpiness * phrases / 2)
        ending = int(self.table[start, 0])
        # The fade's table is built only when the ending is not cheap enough without it.
        self.exact = (
            ending <= allowance
            or (must_end and ending < UNREACHABLE)
            or (ending < UNREACHABLE and ending <= allowance + int(self.lasting()[start, 0]))
        )
        if not self.exact:
            self.table = self.lasting()

    def lasting(self) -> np.ndarray:
        """The fade's table, built once when first needed."""
        if self._lasting is None:
            self._lasting = self.grid.lasting(self.horizon)
        return self._lasting

    def walk(self) -> tuple[list[int], bool]:
        beats: list[int] = []
        # ``left``: quanta left before the current beat plays, counted as the table counts them.
        elapsed, left, beat = 0.0, self.horizon - END_TOLERANCE, 0
        while True:
            beats.append(beat)
            self.last_played[beat] = self.step
            self.step += 1
            elapsed += self.lengths[beat]
            if (self.exact and self.grid.following[beat] < 0) or (not self.exact and elapsed >= self.target):
                return beats, not self.exact
            choice, cost = self._choose(beat, left, elapsed)
            if choice is None and self.exact:
                # Only a loop kept the ending: give the ending up and fade instead.
                self.exact, self.table = False, self.lasting()
                left = int(self._aligned(elapsed - self.lengths[beat], np.array([beat]))[0])
                choice, cost = self._choose(beat, left, elapsed)
            if choice is None:  # a song with no way on at all: start it again
                choice, cost = 0, int(self.grid.steps[beat])
            if choice != self.grid.following[beat]:
                self.jumps.append((beat, choice))
                self.since_jump = 0
            else:
                self.since_jump += 1
            left = self._resync(left - cost, elapsed, choice)
            beat = choice

    def _aligned(self, elapsed: float, beats: np.ndarray) -> np.ndarray:
        """The table's count of quanta before each of ``beats`` that matches the clock best.

        The count of a straight run telescopes to the rounded starts of its beats, so the count is
        compared with real time through them.
        """
        real = (self.target - elapsed) / self.grid.quantum + self.grid.exact_starts[beats]
        return np.round(real).astype(int) - self.grid.starts[beats]

    def _drift(self, lefts: np.ndarray, elapsed: float, beats: np.ndarray) -> np.ndarray:
        real = (self.target - elapsed) / self.grid.quantum + self.grid.exact_starts[beats]
        return lefts + self.grid.starts[beats] - real

    def _honest(self, lefts: np.ndarray, elapsed: float, beats: np.ndarray) -> np.ndarray:
        """Which next steps keep the table's count near the clock's, or can be realigned to it.

        Rounding lets the count drift by up to half a quantum at each jump, and a path of many
        jumps all rounded long could make a length the song cannot really make; such paths end
        off time, so the walk refuses them (and fades if nothing else is left).
        """
        if not self.exact:
            return np.ones(beats.shape[0], dtype=bool)
        aligned = self._aligned(elapsed, beats)
        rows = self.table.shape[0]
        realigns = (
            (aligned > 0)
            & (aligned < rows)
            & (self.table[np.clip(aligned, 0, rows - 1), beats] < UNREACHABLE)
        )
        return realigns | (np.abs(self._drift(lefts, elapsed, beats)) <= MAX_DRIFT)

    def _resync(self, left: int, elapsed: float, beat: int) -> int:
        """The table's count of quanta before ``beat``, brought back to the clock's whenever the
        ending can be reached from there too."""
        real = int(self._aligned(elapsed, np.array([beat]))[0])
        if real != left and 0 < real < self.table.shape[0] and self.table[real, beat] < UNREACHABLE:
            return real
        return left

    def _need(self, beats: np.ndarray, lefts: np.ndarray) -> np.ndarray:
        """Jumps still needed from each of ``beats`` with ``lefts`` quanta to go."""
        rows = self.table.shape[0]
        need = self.table[np.clip(lefts, 0, rows - 1), beats].astype(int)
        if not self.exact:  # the free walk's time is up by the table's count, not yet by the clock's
            need[lefts <= 0] = 0
        return need

    def _on_time(self, left: int, elapsed: float, beat: int) -> bool:
        """``_honest`` and reachable, for one next beat."""
        grid, rows = self.grid, self.table.shape[0]
        if not self.exact:
            return left <= 0 or self.table[min(left, rows - 1), beat] < UNREACHABLE
        real = (self.target - elapsed) / grid.quantum + float(grid.exact_starts[beat])
        aligned = round(real) - int(grid.starts[beat])
        realigns = 0 < aligned < rows and self.table[aligned, beat] < UNREACHABLE
        if not (realigns or abs(left + int(grid.starts[beat]) - real) <= MAX_DRIFT):
            return False
        return bool(self.table[min(max(left, 0), rows - 1), beat] < UNREACHABLE)

    def _choose(self, beat: int, left: int, elapsed: float) -> tuple[int | None, int]:
        """The next beat and the quanta the current one counts for on the way there."""
        grid = self.grid
        following = int(grid.following[beat])
        step = int(grid.steps[beat])
        if grid.jump_start[beat] == grid.jump_start[beat + 1]:
            # Most beats are no bar line: only going on, checked without arrays (the walk's hot path).
            if following >= 0 and self._on_time(left - step, elapsed, following):
                return following, step
            return None, step
        edges = np.arange(grid.jump_start[beat], grid.jump_start[beat + 1])
        need_jump = self._need(grid.targets[edges], left - grid.costs[edges]) + 1
        targets = grid.targets[edges]
        usable = (need_jump <= UNREACHABLE) & ~self._third_time(beat, targets)
        usable &= self._honest(left - grid.costs[edges], elapsed, targets)
        edges, need_jump = edges[usable], need_jump[usable]
        need_on = int(UNREACHABLE)
        on = np.array([following])
        if following >= 0 and self._honest(np.array([left - step]), elapsed, on)[0]:
            need_on = int(self._need(on, np.array([left - step]))[0])
        if need_on >= UNREACHABLE:
            if edges.size == 0:
                return None, step
            fewest = need_jump == need_jump.min()
            return self._jump(self._pick(edges[fewest], need_jump[fewest], left, beat))
        if edges.size == 0:
            return following, step
        best = min(need_on, int(need_jump.min()))
        useful = need_jump == best  # jumping here costs the ending no extra jump
        budget = max(left, 0) // (QUANTA_PER_BEAT * int(grid.min_gap[beat]))
        if need_on > best or (need_on > budget and useful.any()):
            # Going on would cost the ending more jumps later (a trap of short loops, at worst), or
            # more than fit in the time left: correct now, while it is spread out.
            return self._jump(self._pick(edges[useful], need_jump[useful], left, beat))
        # A jump for its own sake may cost one more to come back on time: at the song's own length,
        # a loop back needs a skip ahead later.
        extra = need_jump <= min(best + 2, budget + 1)
        chance, pool = self._jump_chance(beat, following, need_on, useful, extra, left)
        if pool.any() and self.rng.random() < chance:
            picked = self._pick(edges[pool], need_jump[pool], left, beat, optional=True)
            if picked is not None:
                return self._jump(picked)
        return following, step

    def _jump(self, edge: int) -> tuple[int, int]:
        return int(self.grid.targets[edge]), int(self.grid.costs[edge])

    def _jump_chance(self, beat, following, need_on, useful, comfortable, left) -> tuple[float, np.ndarray]:
        """The chance to jump at this bar line, and the jumps to choose from if it does."""
        gap = int(self.grid.min_gap[beat])
        needed = 0.0
        if need_on > 0 and useful.any() and (not self.jumps or self.since_jump + 1 >= gap // 2):
            # Jumps the ending needs, spread evenly over the bar lines where they can still be taken:
            # each of them is as likely (the seed chooses where), and none is left for the last bar.
            needed = min(1.0, need_on / self._chances_left(beat, left, need_on))
        if self.since_jump + 1 < gap:
            return needed, useful
        if self._replaying(following) and comfortable.any():
            return max(needed, REPLAY_HAZARD * min(1.0, 2 * self.jumpiness)), comfortable
        bars_over = (self.since_jump + 1 - gap) // max(1, int(self.grid.phrase[beat]) // PHRASE_BARS)
        chance = min(1.0, self.jumpiness * (HAZARD_MAX + HAZARD_STEP * bars_over))
        if needed > chance:
            return needed, useful
        return chance, comfortable

    def _chances_left(self, beat: int, left: int, need_on: int) -> int:
        """The bar lines from ``beat`` on, played straight, where a jump can still keep ``need_on``."""
        grid = self.grid
        run = np.arange(beat, int(grid.track_last[beat]) + 1)
        lefts = left - (grid.elapsed_steps[run] - grid.elapsed_steps[beat])
        rows = self.table.shape[0]
        on_time = (lefts > 0) & (self.table[np.clip(lefts, 0, rows - 1), run] <= need_on)
        # The straight run keeps the count only up to the first beat where it no longer does.
        stop = int(np.argmin(on_time)) if not on_time.all() else run.size
        run = run[:stop]
        has_jump = grid.jump_start[run + 1] > grid.jump_start[run]
        if self.jumps:
            has_jump &= self.since_jump + 1 + (run - beat) >= int(grid.min_gap[beat]) // 2
        return max(1, int(has_jump.sum()))

    def _replaying(self, beat: int) -> bool:
        return bool(self.step - self.last_played[beat] <= RECENT_BEATS)

    def _third_time(self, beat: int, targets: np.ndarray) -> np.ndarray:
        if len(self.jumps) >= 2 and self.jumps[-1] == self.jumps[-2] and self.jumps[-1][0] == beat:
            return targets == self.jumps[-1][1]
        return np.zeros(targets.shape[0], dtype=bool)

    def _pick(self, edges, need_jump, left, beat, *, optional=False) -> int | None:
        """An edge drawn by likeness and novelty; ``optional`` ones may be declined when all are stale."""
        budget = max(left, 0) // (QUANTA_PER_BEAT * int(self.grid.min_gap[beat]))
        fits = need_jump <= budget + 1
        # When none fits the time left comfortably: the fewest jumps still needed, then.
        edges = edges[fits] if fits.any() else edges[need_jump == need_jump.min()]
        freshness = np.array([self._freshness(beat, int(j)) for j in self.grid.targets[edges]])
        if optional and self.rng.random() >= freshness.max():
            return None
        weights = np.exp(-self.grid.distances[edges] / DISTANCE_SCALE) * freshness
        return int(self.rng.choice(edges, p=weights / weights.sum()))

    def _freshness(self, beat: int, target: int) -> float:
        """1 for a destination not heard lately, down to ``RECENT_PENALTY`` for a phrase all replayed."""
        phrase = int(self.grid.phrase[beat])
        region = np.arange(target, min(target + phrase, self.last_played.shape[0]))
        heard = float(np.mean(self.step - self.last_played[region] <= RECENT_BEATS))
        taken = (beat, target) in self.jumps[-8:]
        return RECENT_PENALTY**heard * (RECENT_PENALTY if taken else 1.0)
