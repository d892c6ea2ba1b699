"""The jump graph: only musically sound jumps, judged on context, same bar position and cluster,
and no seam that jolts the level."""

from __future__ import annotations

import numpy as np

from musicremixer.analyze import analyze_tracks
from musicremixer.graph import MAX_DISTANCE, MAX_LEVEL_JUMP_DB, build_jump_graph
from musicremixer.types import Analysis, Audio, JumpGraph
from tests.synth import synthetic_song


def test_every_jump_crosses_a_bar_line(analyzed_4_4, analyzed_3_4) -> None:
    for case in (analyzed_4_4, analyzed_3_4):
        graph, analysis = case.graph, case.analysis
        bar_lines = int(np.sum(analysis.bar_positions == 0))
        assert graph.n_edges > 2 * bar_lines  # a repetitive song offers many jumps at each bar line
        assert np.all(analysis.bar_positions[graph.sources + 1] == 0)  # leaves a bar's last beat
        assert np.all(analysis.bar_positions[graph.targets] == 0)  # lands on a downbeat


def test_jumps_land_in_the_cluster_of_the_beat_they_replace(analyzed_4_4) -> None:
    graph = analyzed_4_4.graph
    np.testing.assert_array_equal(graph.clusters[graph.targets], graph.clusters[graph.sources + 1])


def test_jumps_land_where_the_music_repeats(analyzed_4_4) -> None:
    """The song's chords cycle every four bars, so good jumps move by whole cycles."""
    song, graph, analysis = analyzed_4_4.song, analyzed_4_4.graph, analyzed_4_4.analysis
    cycle = 4 * song.meter
    moved = graph.targets - (graph.sources + 1)
    assert np.mean(moved % cycle == 0) >= 0.95
    assert np.all(graph.distances <= MAX_DISTANCE)
    assert not np.any(graph.targets == 0)  # never onto the first beat: it carries the pickup
    assert np.all(analysis.track_of_beat[graph.sources] == analysis.track_of_beat[graph.sources + 1])


def test_clusters_come_from_the_data(analyzed_4_4) -> None:
    clusters = analyzed_4_4.graph.clusters
    assert clusters.shape == (analyzed_4_4.analysis.n_beats,)
    assert 2 <= clusters.max() + 1 <= 12
    assert clusters[0] == 0  # numbered in order of appearance


def test_stricter_threshold_keeps_fewer_edges(analyzed_4_4) -> None:
    strict = build_jump_graph(analyzed_4_4.analysis, max_distance=0.05)
    assert strict.n_edges < analyzed_4_4.graph.n_edges
    assert np.all(strict.distances <= 0.05)


def test_edges_are_sorted_by_source(analyzed_3_4) -> None:
    sources = analyzed_3_4.graph.sources
    assert np.all(np.diff(sources) >= 0)


def song_with_a_quiet_half() -> tuple[Analysis, float]:
    """24 bars whose second half is 8 dB quieter; returns the analysis and where the quiet half starts."""
    song = synthetic_song(bpm=120, meter=4, bars=24, sr=22050, channels=1, seed=2)
    y = song.y.copy()
    quiet_from = float(song.beat_times[48])
    y[:, round(quiet_from * song.sr) :] *= np.float32(10 ** (-8 / 20))
    return analyze_tracks([Audio(y=y, sr=song.sr)], names=["song"]), quiet_from


def test_no_jump_joins_a_quiet_and_a_loud_part() -> None:
    analysis, quiet_from = song_with_a_quiet_half()
    levels = analysis.levels_db

    def crossing(graph: JumpGraph) -> np.ndarray:
        # Allow for the cut point sitting a little before the beat.
        quiet = analysis.beat_starts >= quiet_from - 0.1
        return quiet[graph.targets] != quiet[graph.sources + 1]

    unvetoed = build_jump_graph(analysis, max_level_jump_db=np.inf, max_kick_jump_db=np.inf)
    assert crossing(unvetoed).sum() > 20  # the control: the same chords, so the context alone allows it
    graph = build_jump_graph(analysis)
    jolt = np.abs(levels[graph.targets, 0] - levels[graph.sources + 1, 0])
    assert not crossing(graph).any()
    assert np.all(jolt <= MAX_LEVEL_JUMP_DB)
    assert graph.n_edges > np.sum(analysis.bar_positions == 0)  # within each half it still loops freely


def test_every_seam_veto_is_an_option(analyzed_4_4) -> None:
    analysis = analyzed_4_4.analysis
    levels = analysis.levels_db
    for options, column, limit in [({"max_level_jump_db": 0.5}, 0, 0.5), ({"max_kick_jump_db": 1.0}, 1, 1.0)]:
        graph = build_jump_graph(analysis, **options)
        assert graph.n_edges < analyzed_4_4.graph.n_edges
        assert np.all(np.abs(levels[graph.targets, column] - levels[graph.sources + 1, column]) <= limit)
    assert build_jump_graph(analysis, max_seam_distance=0.01).n_edges < analyzed_4_4.graph.n_edges
