"""The jump graph: only musically sound jumps, judged on context, same bar position and cluster."""

from __future__ import annotations

import numpy as np

from musicremixer.graph import MAX_DISTANCE, build_jump_graph


def test_every_jump_keeps_the_bar_position(analyzed_4_4, analyzed_3_4) -> None:
    for case in (analyzed_4_4, analyzed_3_4):
        graph, analysis = case.graph, case.analysis
        assert graph.n_edges > analysis.n_beats  # a repetitive song offers many jumps
        replaced = graph.sources + 1
        np.testing.assert_array_equal(analysis.bar_positions[graph.targets], analysis.bar_positions[replaced])


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
