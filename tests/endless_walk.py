"""The endless walk of docs/WALK.md in Python: the reference the page's walker is checked against.

``frontend/js/jukebox-walk.js`` plays a song forever in the browser; this module is the same walk,
step for step, so that the tests can run both on the fixture graphs of ``tests/fixtures/walk/`` and
compare their paths for the same seed and settings (``tests/frontend/test_jukebox_walk.py``), and
check the rules on the Python side without a browser (``tests/lib/test_endless_walk.py``).

The constants the endless walk shares with the server's walk are read from
:mod:`musicremixer.walk`, so the two cannot drift apart silently. Randomness is mulberry32 and the
arithmetic is limited to + - * / (no ``exp`` or ``pow``), which JavaScript and Python round alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from musicremixer.walk import (
    DISTANCE_SCALE,
    HAZARD_MAX,
    HAZARD_STEP,
    MIN_GAP_SECONDS,
    PHRASE_BARS,
    RECENT_BEATS,
    RECENT_PENALTY,
)

RECENT_JUMPS = 8
LONG_FRACTION = 0.2
_NEVER = -1e9
_MASK = 0xFFFFFFFF

__all__ = [
    "LONG_FRACTION",
    "RECENT_JUMPS",
    "EndlessWalk",
    "Graph",
    "Mulberry32",
    "Settings",
    "home_table",
    "likeness",
    "prepare_graph",
    "usable_jumps",
]


class Mulberry32:
    """mulberry32, as ``mulberry32`` in jukebox-walk.js: 32-bit state, floats in [0, 1)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK

    def __call__(self) -> float:
        self.state = (self.state + 0x6D2B79F5) & _MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & _MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & _MASK)) & _MASK
        return ((t ^ (t >> 14)) & _MASK) / 4294967296


@dataclass(frozen=True)
class Edge:
    source: int
    to: int
    distance: float


@dataclass(frozen=True)
class Graph:
    """A plan's beats and jumps as the walk reads them (``prepareGraph`` in the page)."""

    n: int
    length: list[float]
    following: list[int]
    first: list[int]
    last: list[int]
    bar: list[int]
    meter: list[int]
    phrase: list[int]
    gap: list[int]
    long_span: list[int]
    edges_from: list[list[Edge]]
    max_distance: float


@dataclass
class Settings:
    """``threshold=None`` takes every jump; ``home_after`` seconds of listening, then home."""

    jumpiness: float = 0.5
    threshold: float | None = None
    long_only: bool = False
    home_after: float | None = None


def prepare_graph(plan: dict[str, Any]) -> Graph:
    """The beats and the edges any rule could take (bar-line, within a song, no short loop).

    Parameters
    ----------
    plan : dict
        ``/analyze``'s plan, or a fixture with its ``beats``, ``edges`` and ``tracks``.

    Returns
    -------
    Graph
    """
    beats = plan["beats"]
    n = len(beats)
    if n == 0:
        raise ValueError("The plan has no beats.")
    tracks = plan.get("tracks", [])
    length = [b["end"] - b["start"] for b in beats]
    track = [b.get("track", 0) for b in beats]
    bar = [b.get("bar_position", 0) for b in beats]
    following = [b + 1 if b + 1 < n and track[b + 1] == track[b] else -1 for b in range(n)]
    first = [0] * n
    for b in range(n):
        first[b] = first[b - 1] if b > 0 and track[b - 1] == track[b] else b
    last = [0] * n
    for b in range(n - 1, -1, -1):
        last[b] = b if following[b] < 0 else last[b + 1]
    median = float(np.median(np.array(length, dtype=np.float64)))
    meter, phrase, gap, long_span = [], [], [], []
    for b in range(n):
        m = tracks[track[b]].get("meter", 4) if track[b] < len(tracks) else 4
        meter.append(m)
        phrase.append(m * PHRASE_BARS)
        gap.append(m * max(PHRASE_BARS, math.ceil(MIN_GAP_SECONDS / (m * median))))
        long_span.append(max(phrase[b], math.ceil(LONG_FRACTION * (last[b] - first[b] + 1))))
    edges_from: list[list[Edge]] = [[] for _ in range(n)]
    for edge in plan.get("edges", []):
        i, j = edge["from"], edge["to"]
        if not (0 <= i < n and 0 <= j < n):
            continue
        f = following[i]
        if f < 0 or bar[f] != 0 or bar[j] != 0 or track[j] != track[i]:
            continue
        if j <= i and i + 1 - j < phrase[i]:
            continue
        edges_from[i].append(Edge(i, j, float(edge["distance"])))
    for edges in edges_from:
        edges.sort(key=lambda e: (e.distance, e.to))
    max_distance = max((e.distance for edges in edges_from for e in edges), default=0.0)
    return Graph(
        n, length, following, first, last, bar, meter, phrase, gap, long_span, edges_from, max_distance
    )


def likeness(distance: float) -> float:
    """1 for a perfect match, 1/2 at ``DISTANCE_SCALE``."""
    x = distance / DISTANCE_SCALE
    return 1 / (1 + x * x)


@dataclass(frozen=True)
class Usable:
    ok: list[list[Edge]]  # the settings allow them (threshold, long jumps only)
    allowed: list[list[Edge]]  # ... and they land where the song's last exit is still a gap away
    last_exit: list[int]  # per beat: its song's last beat with a jump back, -1 for none


def usable_jumps(graph: Graph, settings: Settings) -> Usable:
    """The jumps the settings allow, the last exit of each song, and the jumps the walk may take."""
    threshold = math.inf if settings.threshold is None else settings.threshold
    ok = [
        [
            e
            for e in edges
            if e.distance <= threshold
            and (not settings.long_only or abs(e.to - (e.source + 1)) >= graph.long_span[e.source])
        ]
        for edges in graph.edges_from
    ]
    exits = [-1] * graph.n
    for b in range(graph.n):
        if any(e.to <= b - graph.gap[b] + 1 for e in ok[b]):
            exits[graph.first[b]] = b
    last_exit = [exits[graph.first[b]] for b in range(graph.n)]
    # With no way back at all, the song plays to its end and starts again: any jump is safe then.
    allowed = [
        [e for e in edges if last_exit[e.to] < 0 or e.to <= last_exit[e.to] - graph.gap[e.to] + 1]
        for edges in ok
    ]
    return Usable(ok, allowed, last_exit)


@dataclass
class Step:
    beat: int
    move: str  # "start", "on", "jump", "restart", "seek"
    source: int


@dataclass
class EndlessWalk:
    """The walk's state; ``next()`` is the beat after the last one it gave (``None`` once home)."""

    graph: Graph
    seed: int = 0
    settings: Settings = field(default_factory=Settings)
    start: int = 0

    def __post_init__(self) -> None:
        self.rng = Mulberry32(self.seed)
        self.current = -1
        self.pending: int | None = None
        self.since = 0
        self.step = 0
        self.elapsed = 0.0
        self.history: list[tuple[int, int]] = []
        self.last_played = [_NEVER] * self.graph.n
        self.homing = False
        self.done = False
        self._home: list[list[float]] | None = None
        self.configure()

    def configure(self, **changes: Any) -> None:
        """Change ``jumpiness``, ``threshold``, ``long_only`` or ``home_after``."""
        for key, value in changes.items():
            setattr(self.settings, key, value)
        self.settings.jumpiness = min(1.0, max(0.0, float(self.settings.jumpiness)))
        self.usable = usable_jumps(self.graph, self.settings)
        self._home = None

    def seek(self, beat: int) -> None:
        self.pending = max(0, min(self.graph.n - 1, beat))
        self.done = False

    def bring_home(self) -> None:
        self.homing = True

    def next(self) -> Step | None:
        if self.done:
            return None
        source = self.current
        if self.pending is not None:
            beat, move = self.pending, "start" if source < 0 else "seek"
            self.pending = None
            self.since = 0
        elif source < 0:
            beat, move = self.start, "start"
        else:
            chosen, move = self._decide(source)
            if chosen is None:
                self.done = True
                return None
            beat = chosen
        self.last_played[beat] = self.step
        self.step += 1
        self.elapsed += self.graph.length[beat]
        self.current = beat
        return Step(beat, move, source)

    def _decide(self, b: int) -> tuple[int | None, str]:
        g = self.graph
        home_after = self.settings.home_after
        if not self.homing and home_after is not None and self.elapsed >= home_after:
            self.homing = True
        if self.homing:
            return self._home_move(b)
        f = g.following[b]
        candidates = self.usable.allowed[b]
        h = self.history
        if len(h) >= 2 and h[-1][0] == b and h[-1] == h[-2]:
            candidates = [e for e in candidates if e.to != h[-1][1]]
        count = self.since + 1
        if b == self.usable.last_exit[b]:
            if candidates:
                return self._jump(b, self._pick(b, candidates, self._freshness(b, candidates)))
        elif candidates and count >= g.gap[b]:
            bars_over = (count - g.gap[b]) // g.meter[b]
            chance = min(1.0, self.settings.jumpiness * (HAZARD_MAX + HAZARD_STEP * bars_over))
            if self.rng() < chance:
                fresh = self._freshness(b, candidates)
                if self.rng() < max(fresh):
                    return self._jump(b, self._pick(b, candidates, fresh))
        if f >= 0:
            self.since += 1
            return f, "on"
        self.since = 0
        self._remember(b, g.first[b])
        return g.first[b], "restart"

    def _jump(self, b: int, edge: Edge) -> tuple[int, str]:
        self.since = 0
        self._remember(b, edge.to)
        return edge.to, "jump"

    def _remember(self, source: int, to: int) -> None:
        self.history.append((source, to))
        if len(self.history) > RECENT_JUMPS:
            self.history.pop(0)

    def _freshness(self, b: int, candidates: list[Edge]) -> list[float]:
        g = self.graph
        out = []
        for e in candidates:
            end = min(e.to + g.phrase[b], g.last[e.to] + 1)
            heard = sum(1 for x in range(e.to, end) if self.step - self.last_played[x] <= RECENT_BEATS)
            fresh = 1 - (1 - RECENT_PENALTY) * (heard / (end - e.to))
            if (b, e.to) in self.history:
                fresh *= RECENT_PENALTY
            out.append(fresh)
        return out

    def _pick(self, b: int, candidates: list[Edge], fresh: list[float]) -> Edge:
        weights = [likeness(e.distance) * fresh[k] for k, e in enumerate(candidates)]
        total = 0.0
        for w in weights:
            total += w
        r = self.rng() * total
        acc = 0.0
        for k, e in enumerate(candidates):
            acc += weights[k]
            if r < acc:
                return e
        return candidates[-1]

    def home_value(self, b: int, count: int) -> float:
        """Seconds from the start of ``b`` to its song's end the quickest way, ``count`` beats in."""
        if self._home is None:
            self._home = home_table(self.graph, self.usable.ok)
        return float(self._home[b][min(count, self.graph.gap[b]) - 1])

    def _home_move(self, b: int) -> tuple[int | None, str]:
        g = self.graph
        f = g.following[b]
        if f < 0:
            return None, "home"
        count = min(self.since + 1, g.gap[b])
        best = self.home_value(f, min(count + 1, g.gap[f]))
        choice = None
        if count >= g.gap[b]:
            for e in self.usable.ok[b]:
                value = self.home_value(e.to, 1)
                if value < best:
                    best, choice = value, e
        if choice is not None:
            return self._jump(b, choice)
        self.since += 1
        return f, "on"


def home_table(graph: Graph, ok: list[list[Edge]]) -> list[list[float]]:
    """``table[b][c - 1]``: seconds from the start of ``b`` to its song's end, ``c`` beats after a jump.

    Swept from the last beat back until nothing changes, as ``homeTable`` in the page.
    """
    value = [[math.inf] * graph.gap[b] for b in range(graph.n)]
    changed = True
    while changed:
        changed = False
        for b in range(graph.n - 1, -1, -1):
            f = graph.following[b]
            jump_best = math.inf
            for e in ok[b]:
                jump_best = min(jump_best, value[e.to][0])
            for c in range(1, graph.gap[b] + 1):
                rest = 0.0 if f < 0 else value[f][min(c + 1, graph.gap[f]) - 1]
                if c >= graph.gap[b]:
                    rest = min(rest, jump_best)
                v = graph.length[b] + rest
                if v < value[b][c - 1]:
                    value[b][c - 1] = v
                    changed = True
    return value


def rule_breaks(graph: Graph, settings: Settings, steps: list[tuple[int, str]]) -> list[str]:
    """What in a walked path breaks docs/WALK.md's rules (empty when nothing does).

    ``steps`` are ``(beat, move)`` pairs in playing order, as either walker reports them, from the
    start and without seeks; the settings are the ones the whole path was walked with.
    """
    usable = usable_jumps(graph, settings)
    ok = {(e.source, e.to) for edges in usable.ok for e in edges}
    breaks: list[str] = []
    since_jump = 0
    moves: list[tuple[int, int]] = []
    for k in range(1, len(steps)):
        (a, _), (b, move) = steps[k - 1], steps[k]
        since_jump += 1
        if move == "on":
            if b != graph.following[a]:
                breaks.append(f"step {k}: 'on' from {a} to {b}")
            continue
        if move == "restart":
            if graph.following[a] >= 0 or b != graph.first[a]:
                breaks.append(f"step {k}: restart from {a} (not the song's last beat) to {b}")
        elif move == "jump":
            if (a, b) not in ok:
                breaks.append(f"step {k}: {a} -> {b} is not a jump the settings allow")
            if since_jump < graph.gap[a]:
                breaks.append(f"step {k}: {a} -> {b} only {since_jump} beats after the last jump")
            if b <= a and a + 1 - b < graph.phrase[a]:
                breaks.append(f"step {k}: {a} -> {b} loops back by less than a phrase")
        else:
            breaks.append(f"step {k}: unexpected move {move!r}")
        moves.append((a, b))
        if len(moves) >= 3 and moves[-1] == moves[-2] == moves[-3] and move == "jump":
            breaks.append(f"step {k}: {a} -> {b} three times in a row")
        since_jump = 0
    return breaks
