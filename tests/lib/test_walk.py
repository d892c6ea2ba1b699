"""The walk: the asked length within a beat, the song's own ending, reproducible, jumps like phrases."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.walk import plan_walk
from tests.lib.conftest import analyzed
from tests.synth import SynthSong, synthetic_song


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


# --- real-song failures, reproduced on synthetic songs ---


def phrase_of(case) -> int:
    return 4 * case.song.meter


def all_plans(case, durations, seeds, jumpiness=(0.0, 0.5, 1.0)):
    for duration in durations:
        for jumpy in jumpiness:
            for seed in seeds:
                yield plan_walk(case.graph, case.analysis, duration=duration, seed=seed, jumpiness=jumpy)


@pytest.fixture(scope="module")
def riff_song():
    """One two-bar riff played 14 times and a held ending: every bar has near-identical twins."""
    riff = synthetic_song(bpm=120, meter=4, bars=2, sr=22050, channels=1, seed=3)
    ending = synthetic_song(bpm=120, meter=4, bars=2, sr=22050, channels=1, seed=3, outro=2.0)
    y = np.concatenate([np.tile(riff.y, 13), ending.y], axis=1)
    song = SynthSong(
        y=y,
        sr=riff.sr,
        beat_times=np.arange(112) * 0.5,
        downbeat_times=np.arange(28) * 2.0,
        bpm=120.0,
        meter=4,
    )
    return analyzed(song)


@pytest.fixture(scope="module")
def three_minutes():
    return analyzed(synthetic_song(bpm=128, meter=4, bars=96, sr=22050, channels=1, seed=7))


@pytest.fixture(scope="module")
def thirty_seconds():
    # 28 s: its jumps move by whole 4-bar phrases (8 s), so 20 s can end on the song's ending.
    return analyzed(synthetic_song(bpm=120, meter=4, bars=14, sr=22050, channels=1, seed=2))


def test_never_the_same_jump_three_times_in_a_row(riff_song, long_song) -> None:
    for case in (riff_song, long_song):
        own = case.song.duration
        for plan in all_plans(case, [None, 0.6 * own, 1.7 * own], range(6)):
            beats = plan.beats
            pairs = [(int(beats[k]), int(beats[k + 1])) for k in jumps_of(beats)]
            for a, b, c in zip(pairs, pairs[1:], pairs[2:], strict=False):
                assert not (a == b == c), pairs


def test_no_loop_shorter_than_a_phrase(riff_song, long_song) -> None:
    for case in (riff_song, long_song):
        own = case.song.duration
        for plan in all_plans(case, [None, 1.7 * own], range(5)):
            for k in jumps_of(plan.beats):
                i, j = int(plan.beats[k]), int(plan.beats[k + 1])
                assert j > i or i + 1 - j >= phrase_of(case), (i, j)


def test_jumps_only_at_bar_lines(riff_song, long_song) -> None:
    for case in (riff_song, long_song):
        bars = case.analysis.bar_positions
        own = case.song.duration
        for plan in all_plans(case, [None, 0.6 * own, 1.7 * own], range(4)):
            for k in jumps_of(plan.beats):
                i, j = int(plan.beats[k]), int(plan.beats[k + 1])
                assert bars[j] == 0 and bars[i + 1] == 0, (i, j)


@pytest.mark.parametrize("duration", [None, "own"])
def test_the_songs_own_length_never_fades(long_song, riff_song, duration) -> None:
    for case in (long_song, riff_song):
        asked = case.song.duration if duration == "own" else None
        for seed in range(20):
            plan = plan_walk(
                case.graph, case.analysis, duration=asked, seed=seed, jumpiness=0.5 + (seed % 2) / 2
            )
            assert plan.fade_out == 0, seed
            assert plan.beats[-1] == case.analysis.n_beats - 1


def test_median_gap_between_jumps_is_a_phrase_or_more(long_song) -> None:
    gaps, short = [], 0
    for seed in range(6):
        plan = plan_walk(long_song.graph, long_song.analysis, duration=300, seed=seed, jumpiness=0.5)
        starts = plan.times[jumps_of(plan.beats) + 1]
        gap = np.diff(starts)
        gaps.extend(gap)
        short += int(np.sum(gap < 2 * beat_length(long_song) * 4) > 1)
    assert np.median(gaps) >= 8.0
    assert short <= 1  # at most one plan with more than one jump two bars after another


@pytest.mark.parametrize(
    "scale",
    [0.6, 1.0, 1.7],
)
def test_jumpiness_matters_at_every_length(long_song, scale) -> None:
    def mean_jumps(jumpiness: float) -> float:
        duration = scale * long_song.song.duration
        plans = [
            plan_walk(long_song.graph, long_song.analysis, duration=duration, seed=s, jumpiness=jumpiness)
            for s in range(8)
        ]
        return float(np.mean([jumps_of(p.beats).size for p in plans]))

    none, some, most = mean_jumps(0.0), mean_jumps(0.5), mean_jumps(1.0)
    assert none < some < most
    assert none <= 3  # only what the length needs


def test_eight_seeds_eight_plans(three_minutes) -> None:
    plans = {tuple(plan_walk(three_minutes.graph, three_minutes.analysis, seed=s).beats) for s in range(8)}
    assert len(plans) == 8


def test_a_short_remix_of_a_clip_has_freedom(thirty_seconds) -> None:
    plans = [
        plan_walk(thirty_seconds.graph, thirty_seconds.analysis, duration=20.0, seed=s) for s in range(8)
    ]
    assert len({tuple(p.beats) for p in plans}) >= 4
    assert all(p.beats[0] == 0 for p in plans)
    assert sum(p.fade_out == 0 for p in plans) >= 6
