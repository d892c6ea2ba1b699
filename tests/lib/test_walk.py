"""The walk: the asked length within a beat, the song's own ending, reproducible, jumps like phrases."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.walk import plan_walk


def jumps_of(beats: np.ndarray) -> np.ndarray:
    return np.flatnonzero(beats[1:] != beats[:-1] + 1)


def beat_length(case) -> float:
    return float(np.median(case.analysis.beat_ends - case.analysis.beat_starts))


@pytest.mark.parametrize("duration", [None, 20.0, 45.5, 61.3, 100.0, 250.0])
def test_lasts_the_asked_duration_within_a_beat(long_song, duration) -> None:
    plan = plan_walk(long_song.graph, long_song.analysis, duration=duration, seed=3, jumpiness=0.6)
    expected = long_song.song.duration if duration is None else duration
    assert abs(plan.duration - expected) <= beat_length(long_song)
    lengths = long_song.analysis.beat_ends - long_song.analysis.beat_starts
    if plan.fade_out == 0:
        assert plan.duration == pytest.approx(lengths[plan.beats].sum())
    else:
        assert lengths[plan.beats].sum() >= plan.duration


def test_ends_on_the_songs_ending_when_it_can(long_song) -> None:
    analysis = long_song.analysis
    bar = long_song.song.meter * 60.0 / long_song.song.bpm
    for seed, bars_more in [(1, 0), (2, 16), (3, 40), (4, -8)]:
        target = long_song.song.duration + bars_more * bar
        plan = plan_walk(long_song.graph, analysis, duration=target, seed=seed, jumpiness=0.5)
        assert plan.fade_out == 0, (seed, bars_more)
        assert plan.beats[-1] == analysis.n_beats - 1
        # The outro is only ever entered once, at the end.
        assert np.sum(plan.beats == analysis.n_beats - 1) == 1


def test_fades_out_when_the_ending_cannot_be_reached_in_time(long_song) -> None:
    plan = plan_walk(long_song.graph, long_song.analysis, duration=7.0, seed=1, jumpiness=0.5)
    assert plan.fade_out > 0
    assert plan.duration == pytest.approx(7.0)


def test_every_jump_is_an_edge_of_the_graph(long_song) -> None:
    graph = long_song.graph
    edges = set(zip(graph.sources.tolist(), graph.targets.tolist(), strict=True))
    plan = plan_walk(graph, long_song.analysis, duration=300, seed=11, jumpiness=1.0)
    jumps = jumps_of(plan.beats)
    assert jumps.size >= 10
    for k in jumps:
        assert (int(plan.beats[k]), int(plan.beats[k + 1])) in edges


def test_jumpiness_zero_plays_the_song_as_it_is(long_song) -> None:
    plan = plan_walk(long_song.graph, long_song.analysis, seed=5, jumpiness=0.0)
    np.testing.assert_array_equal(plan.beats, np.arange(long_song.analysis.n_beats))


def test_more_jumpiness_means_more_jumps(long_song) -> None:
    def mean_jumps(jumpiness: float) -> float:
        counts = [
            jumps_of(plan_walk(long_song.graph, long_song.analysis, seed=s, jumpiness=jumpiness).beats).size
            for s in range(6)
        ]
        return float(np.mean(counts))

    low, mid, high = mean_jumps(0.1), mean_jumps(0.5), mean_jumps(1.0)
    assert low < mid < high


def test_jumps_are_spaced_like_phrases(long_song) -> None:
    plan = plan_walk(long_song.graph, long_song.analysis, duration=400, seed=8, jumpiness=0.5)
    gaps = np.diff(jumps_of(plan.beats))
    assert np.median(gaps) >= 8  # at least two bars between jumps, typically


def test_recent_beats_are_avoided(long_song) -> None:
    """A long remix should visit most of the song, not circle one loop."""
    plan = plan_walk(long_song.graph, long_song.analysis, duration=600, seed=2, jumpiness=1.0)
    visited = np.unique(plan.beats).size / long_song.analysis.n_beats
    assert visited > 0.7


def test_same_seed_same_plan_other_seed_other_plan(long_song) -> None:
    a = plan_walk(long_song.graph, long_song.analysis, duration=200, seed=42, jumpiness=0.7)
    b = plan_walk(long_song.graph, long_song.analysis, duration=200, seed=42, jumpiness=0.7)
    c = plan_walk(long_song.graph, long_song.analysis, duration=200, seed=43, jumpiness=0.7)
    np.testing.assert_array_equal(a.beats, b.beats)
    assert not np.array_equal(a.beats, c.beats)


def test_times_are_the_running_sum_of_beat_lengths(analyzed_3_4) -> None:
    analysis = analyzed_3_4.analysis
    plan = plan_walk(analyzed_3_4.graph, analysis, duration=90, seed=1, jumpiness=0.8)
    lengths = analysis.beat_ends - analysis.beat_starts
    np.testing.assert_allclose(plan.times, np.r_[0, np.cumsum(lengths[plan.beats])[:-1]])
