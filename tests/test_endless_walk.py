"""The endless walk's rules (docs/WALK.md) on the reference walker, on the fixture graphs.

The page's walker is held to the same rules, and to the same paths, in
tests/frontend/test_jukebox_walk.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musicremixer import walk as server_walk
from tests.endless_walk import (
    EndlessWalk,
    Mulberry32,
    Settings,
    prepare_graph,
    rule_breaks,
    usable_jumps,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "walk"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def walk(graph, seed: int, settings: Settings, steps: int) -> tuple[EndlessWalk, list[tuple[int, str]]]:
    walker = EndlessWalk(graph, seed=seed, settings=settings)
    path = []
    for _ in range(steps):
        step = walker.next()
        if step is None:
            break
        path.append((step.beat, step.move))
    return walker, path


def test_fixtures_are_there():
    assert {"song_4_4", "song_3_4", "one_exit", "no_exit", "fast"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(jumpiness=1.0),
        Settings(jumpiness=0.0),
        Settings(jumpiness=0.8, threshold=0.045),
        Settings(jumpiness=1.0, long_only=True),
    ],
    ids=["default", "jumpy", "still", "strict", "long"],
)
def test_every_rule_holds(name, settings):
    graph = prepare_graph(load(name))
    for seed in (1, 2, 3, 99):
        _, path = walk(graph, seed, settings, 1500)
        assert len(path) == 1500, "an endless walk never stops by itself"
        assert path[0] == (0, "start")
        assert rule_breaks(graph, settings, path) == []


def test_the_rule_checker_catches_breaks():
    graph = prepare_graph(load("fast"))
    settings = Settings()
    straight = [(b, "on") for b in range(96)]
    straight[0] = (0, "start")
    assert rule_breaks(graph, settings, straight) == []
    assert rule_breaks(graph, settings, [(0, "start"), (2, "on")])  # not the next beat
    # 43 -> 32 loops back by less than a phrase; 35 -> 64, 16 beats after a jump, comes too early.
    assert any(
        "less than a phrase" in b or "not a jump" in b
        for b in rule_breaks(graph, settings, [*straight[:44], (32, "jump")])
    )
    assert any(
        "beats after" in b
        for b in rule_breaks(
            graph,
            settings,
            [*straight[:64], (20, "jump"), *[(20 + k, "on") for k in range(1, 16)], (64, "jump")],
        )
    )
    thrice = []
    for _ in range(3):
        thrice += [(b, "on") for b in range(20, 64)] + [(20, "jump")]
    assert any("three times" in b for b in rule_breaks(graph, settings, [(0, "start"), *thrice[1:]]))


def test_walk_shares_the_servers_constants():
    from tests import endless_walk

    for name in (
        "PHRASE_BARS",
        "MIN_GAP_SECONDS",
        "HAZARD_MAX",
        "HAZARD_STEP",
        "RECENT_BEATS",
        "RECENT_PENALTY",
    ):
        assert getattr(endless_walk, name) == getattr(server_walk, name)


def test_more_beats_than_the_song_and_jumps_on_the_48_s_song():
    graph = prepare_graph(load("song_4_4"))
    walker, path = walk(graph, 7, Settings(), 180)  # 90 s of 0.5 s beats
    jumps = [p for p in path if p[1] == "jump"]
    assert len(path) > graph.n and len(jumps) >= 3
    assert walker.elapsed == pytest.approx(sum(graph.length[b] for b, _ in path))


def test_same_seed_same_path_other_seed_other_path():
    graph = prepare_graph(load("song_4_4"))
    assert walk(graph, 5, Settings(), 600)[1] == walk(graph, 5, Settings(), 600)[1]
    assert walk(graph, 5, Settings(), 600)[1] != walk(graph, 6, Settings(), 600)[1]


def test_jumpiness_ramps_the_jumps():
    graph = prepare_graph(load("song_4_4"))
    usable = usable_jumps(graph, Settings())
    counts = {}
    for jumpiness in (0.0, 0.3, 1.0):
        total = 0
        for seed in range(6):
            _, path = walk(graph, seed, Settings(jumpiness=jumpiness), 1000)
            sources = [path[k - 1][0] for k in range(1, len(path)) if path[k][1] == "jump"]
            total += len(sources)
            if jumpiness == 0:
                # Still, it jumps only where it must: at the last way back before the song's end.
                assert set(sources) == {usable.last_exit[0]}
        counts[jumpiness] = total
    assert counts[0.0] < counts[0.3] < counts[1.0]


def test_a_lone_way_back_is_not_taken_three_times_in_a_row():
    graph = prepare_graph(load("one_exit"))
    _, path = walk(graph, 3, Settings(jumpiness=0.0), 800)
    moves = [(path[k - 1][0], b, move) for k, (b, move) in enumerate(path) if k and move != "on"]
    assert moves[:3] == [(59, 16, "jump"), (59, 16, "jump"), (63, 0, "restart")]


def test_without_a_way_back_the_song_starts_again():
    graph = prepare_graph(load("no_exit"))
    _, path = walk(graph, 1, Settings(jumpiness=1.0), 400)
    restarts = [k for k, (_, move) in enumerate(path) if move == "restart"]
    assert restarts and all(path[k - 1][0] == 63 and path[k][0] == 0 for k in restarts)
    assert any(move == "jump" for _, move in path), "forward jumps are still taken"


def test_the_threshold_adds_and_removes_jumps():
    graph = prepare_graph(load("song_4_4"))
    counts = [
        sum(len(edges) for edges in usable_jumps(graph, Settings(threshold=t)).allowed)
        for t in (0.0, 0.03, 0.05, None)
    ]
    assert counts[0] == 0 and counts == sorted(counts) and counts[1] < counts[3]
    long = usable_jumps(graph, Settings(long_only=True)).allowed
    assert 0 < sum(map(len, long)) < counts[3]
    assert all(abs(e.to - e.source - 1) >= graph.long_span[e.source] for edges in long for e in edges)


def test_recency_prefers_what_was_not_heard_lately():
    # Two equally good destinations from the same bar line, one of them played just now.
    plan = load("one_exit")
    plan["edges"] = [{"from": 59, "to": 8, "distance": 0.05}, {"from": 59, "to": 28, "distance": 0.05}]
    graph = prepare_graph(plan)
    chosen = []
    for seed in range(200):
        walker = EndlessWalk(graph, seed=seed, settings=Settings(jumpiness=0.0))
        walker.seek(28)
        for _ in range(32):  # 28 … 59: the phrase at 28 was heard, the one at 8 was not
            walker.next()
        chosen.append(walker.next().beat)
    assert chosen.count(8) > 0.9 * len(chosen)


def test_bring_it_home_takes_the_quickest_way_and_ends_on_the_last_beat():
    graph = prepare_graph(load("song_4_4"))
    for seed in range(5):
        walker = EndlessWalk(graph, seed=seed, settings=Settings(jumpiness=1.0))
        for _ in range(150):
            walker.next()
        at, count = walker.current, walker.since + 1
        quickest = walker.home_value(at, count)
        walker.bring_home()
        rest = []
        while (step := walker.next()) is not None:
            rest.append(step.beat)
        assert rest[-1] == graph.n - 1 and walker.done
        assert graph.length[at] + sum(graph.length[b] for b in rest) == pytest.approx(quickest)
        # Quicker than playing on to the end, when a jump ahead exists from here.
        assert quickest <= sum(graph.length[at:]) + 1e-9


def test_home_after_is_part_of_the_settings():
    graph = prepare_graph(load("song_3_4"))
    walker, path = walk(graph, 4, Settings(home_after=60.0), 10_000)
    assert walker.done and path[-1][0] == graph.n - 1
    played = sum(graph.length[b] for b, _ in path)
    assert 60.0 <= played <= 60.0 + sum(graph.length)


def test_mulberry32_is_uniform_and_seeded():
    a, b = Mulberry32(1), Mulberry32(1)
    xs = [a() for _ in range(20_000)]
    assert xs[:5] == [b() for _ in range(5)]
    assert all(0 <= x < 1 for x in xs)
    assert abs(sum(xs) / len(xs) - 0.5) < 0.01
    assert Mulberry32(2)() != xs[0]
