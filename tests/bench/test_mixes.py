"""The mix benchmark's pure helpers (bench/mixes.py): the timeline, its transitions, the beat steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.judge import Segment
from bench.mixes import (
    BLOCK_S,
    Found,
    Run,
    block_ncc,
    cut_placement,
    entry_time,
    find_transitions,
    fold_octave,
    ibi_steps,
    label_blocks,
    max_step_between,
    merge_short_runs,
    mix_command,
    onset_envelope,
    part_seconds,
    song_seconds,
    timeline_runs,
    track_beats,
)

SR = 22050


def _labels(*runs: tuple[int, float]) -> np.ndarray:
    """Block labels from ``(source, seconds)`` runs (-1 for blocks that copy no source)."""
    return np.concatenate([np.full(round(s / BLOCK_S), src) for src, s in runs]).astype(int)


def test_label_blocks_takes_the_best_copy_above_the_threshold():
    ncc = np.array([[0.99, 0.5, 0.2, 0.95], [0.1, 0.6, 0.97, 0.96]])
    assert label_blocks(ncc).tolist() == [0, -1, 1, 1]


def test_a_blend_is_one_transition_with_its_gap():
    # 30 s of song 0, 8 s of neither (stretched bars and the crossfade), 40 s of song 1, with one
    # of the walk's seams inside song 1 (a block that copies neither) and a stray short run.
    labels = _labels((0, 30.0), (-1, 8.0), (1, 20.0), (-1, 0.1), (1, 20.0), (0, 0.2), (1, 5.0))
    runs = timeline_runs(labels)
    assert [r.source for r in runs] == [0, 1, 1, 1]  # the 0.2 s run of song 0 is not trusted
    found = find_transitions(runs)
    assert len(found) == 1
    f = found[0]
    assert (f.src_from, f.src_to) == (0, 1)
    assert f.gap_start == pytest.approx(30.0) and f.gap_end == pytest.approx(38.0)
    copied = song_seconds(runs, 2)
    assert copied == pytest.approx([30.0, 45.0], abs=0.2)
    parts = part_seconds(runs, found, 2, duration=labels.size * BLOCK_S)
    assert parts == pytest.approx([34.0, 49.3], abs=0.05)  # the gap's middle is the boundary


def test_a_song_that_comes_back_counts_twice_and_an_unheard_song_has_no_seconds():
    labels = _labels((0, 10.0), (2, 10.0), (-1, 0.3), (0, 10.0))
    runs = timeline_runs(labels)
    found = find_transitions(runs)
    assert [(f.src_from, f.src_to) for f in found] == [(0, 2), (2, 0)]
    assert song_seconds(runs, 3)[1] == 0.0


def test_no_copy_at_all_finds_nothing():
    runs = timeline_runs(np.full(100, -1))
    assert runs == [] and find_transitions(runs) == []
    assert part_seconds(runs, [], 2, 10.0).tolist() == [0.0, 0.0]


def test_found_middle():
    assert Found(0, 1, 10.0, 14.0).middle == 12.0
    assert Run(1, 0.0, 1.0).source == 1


def test_fold_octave_only_folds_level_switches():
    assert fold_octave(1.98) == pytest.approx(0.99)
    assert fold_octave(0.51) == pytest.approx(1.02)
    assert fold_octave(1.4) == pytest.approx(1.4)  # a cut from 100 to 140 BPM is a real step
    assert fold_octave(np.array([1.0, 2.0])) == pytest.approx([1.0, 1.0])


def test_ibi_steps_of_a_grid_a_ramp_and_a_stumble():
    grid = np.arange(20) * 0.5
    steps, octave = ibi_steps(grid)
    assert steps.max() == pytest.approx(0.0, abs=1e-12) and not octave.any()
    ramp = np.cumsum(np.r_[0.0, np.linspace(0.5, 0.48, 19)])  # 120 -> 125 BPM over 19 beats
    assert ibi_steps(ramp)[0].max() < 0.003
    stumble = grid.copy()
    stumble[10:] += 0.1  # one beat 100 ms late, then the grid carries on from there
    steps, _ = ibi_steps(stumble)
    assert steps.max() == pytest.approx(0.2, abs=1e-9)
    step, at, _ = max_step_between(stumble, 4.0, 6.0)
    assert step == pytest.approx(0.2) and at == pytest.approx(4.5)  # the beat before the long interval
    assert max_step_between(stumble, 20.0, 30.0) == (None, None, 0)
    doubled = np.r_[np.arange(8) * 0.5, 3.5 + np.arange(1, 8) * 0.25]  # the tracker went to double time
    steps, octave = ibi_steps(doubled)
    assert steps.max() == pytest.approx(0.0, abs=1e-9) and octave.sum() == 1


def _clicks(times: np.ndarray, seconds: float) -> np.ndarray:
    y = np.zeros(round(seconds * SR), dtype=np.float32)
    click = np.exp(-np.arange(round(0.03 * SR)) / (0.004 * SR)) * np.sin(np.arange(round(0.03 * SR)) * 0.9)
    for t in times:
        i = round(t * SR)
        y[i : i + click.size] += click[: y.size - i].astype(np.float32)
    return y


def test_the_tracker_measures_a_click_track_steady_and_finds_its_stumble():
    beats = np.arange(0.25, 30.0, 0.5)
    steady = track_beats(onset_envelope(_clicks(beats, 30.0), SR))
    step, _, _ = max_step_between(steady, 5.0, 25.0)
    assert step < 0.03  # a frame is 1.2 % of this beat
    late = beats.copy()
    late[late > 15.0] += 0.12  # the beat jumps a quarter beat later at 15 s
    tracked = track_beats(onset_envelope(_clicks(late, 30.0), SR))
    step, at, _ = max_step_between(tracked, 10.0, 20.0)
    assert step > 0.1 and 14.0 < at < 17.0


def test_block_ncc_finds_a_copy_under_a_gain_and_not_noise():
    rng = np.random.default_rng(0)
    src = rng.standard_normal(10 * SR).astype(np.float32)
    out = np.concatenate([0.3 * src[2 * SR : 5 * SR], rng.standard_normal(2 * SR).astype(np.float32)])
    segments = [Segment(0.0, 3.0, 2.0), Segment(3.0, 5.0, 0.0)]
    # The first segment's offset is 5 ms off, as the judge can leave it: the refinement finds the copy.
    segments[0] = Segment(0.0, 3.0, 2.005)
    ncc, offsets = block_ncc(out, src, segments, SR)
    n = round(3.0 / BLOCK_S)
    assert ncc[:n].min() > 0.999
    assert np.all(offsets[:n] == 2 * SR)
    assert np.abs(ncc[n + 1 :]).max() < 0.2


def test_entry_time_and_cut_placement():
    rng = np.random.default_rng(1)
    src = rng.standard_normal(4 * SR).astype(np.float32)
    out = np.concatenate([rng.standard_normal(SR).astype(np.float32), src[SR : 3 * SR]])
    entry = entry_time(out, src, 0, 0.5, 1.5, SR)
    assert entry == pytest.approx(1.0, abs=0.006)
    before = np.arange(0.0, 10.0, 0.5)  # the last beat at 9.5 s
    on = cut_placement(before, np.arange(10.6, 15.0, 0.6), 10.0)  # the first incoming beat dropped
    assert on["phase"] == pytest.approx(0.0) and on["incoming_phase"] == pytest.approx(0.0)
    off = cut_placement(before, np.arange(10.4, 15.0, 0.6), 10.25)
    assert off["phase"] == pytest.approx(-0.5) and off["beats_after_last"] == pytest.approx(1.5)
    assert off["incoming_phase"] == pytest.approx(-0.25)


def test_merge_short_runs_keeps_songs_apart():
    labels = np.r_[np.zeros(100), np.ones(5), np.zeros(50), np.ones(200)].astype(int)
    assert merge_short_runs(labels, 20) == [(0, 155, 0), (155, 355, 1)]


def test_mix_command_puts_every_song_before_the_options():
    argv = mix_command([Path("a.ogg"), Path("b.ogg"), Path("c.ogg")], Path("o.wav"), 3, 60.0, Path("p.json"))
    i = argv.index("remix")
    assert argv[i + 1 : i + 4] == ["a.ogg", "b.ogg", "c.ogg"]
    assert argv[argv.index("--seed") + 1] == "3" and argv[argv.index("--duration") + 1] == "60"
    assert argv[-2:] == ["--plan", "p.json"]
