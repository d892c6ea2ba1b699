"""The audio-only judge (bench/judge.py) on synthetic songs whose seams are known."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
import soundfile as sf

from bench.judge import judge_remix
from musicremixer.pipeline import remix
from musicremixer.types import SourceFile
from tests.synth import synthetic_song, wav_bytes

SR = 22050
BPM = 118.0
BAR = 4 * 60.0 / BPM
TOLERANCE_S = 0.030


@pytest.fixture(scope="module")
def song():
    return synthetic_song(bpm=BPM, bars=20, sr=SR, channels=2, seed=3)


def _ours(song, **options) -> tuple[np.ndarray, dict]:
    result = remix([SourceFile("song.wav", wav_bytes(song.y, SR))], format="wav", **options)
    out, sr = sf.read(io.BytesIO(result.data), dtype="float32", always_2d=True)
    assert sr == SR
    return out.T, result.plan


def _plan_jumps(plan: dict) -> np.ndarray:
    seq = plan["sequence"]
    return np.array([b["time"] for a, b in itertools.pairwise(seq) if b["beat"] != a["beat"] + 1])


def _source(song) -> np.ndarray:
    # The judge sees what a listener's file holds: the source as 16-bit PCM, like the remix.
    y, _ = sf.read(io.BytesIO(wav_bytes(song.y, SR)), dtype="float32", always_2d=True)
    return y.T


def _splice(y: np.ndarray, runs: list[tuple[float, float]], *, crossfade: float, fade_out: float = 0.0):
    """Runs ``(start_s, end_s)`` of ``y`` joined by equal-power crossfades centred on each boundary.

    Returns the audio and each seam's output time.
    """
    h = round(crossfade * SR / 2)
    total = sum(round(e * SR) - round(s * SR) for s, e in runs)
    out = np.zeros((y.shape[0], total), dtype=np.float64)
    at, seams = 0, []
    for i, (start, end) in enumerate(runs):
        lo, hi = round(start * SR), round(end * SR)
        pre = h if i > 0 else 0
        post = h if i + 1 < len(runs) else 0
        piece = y[:, lo - pre : hi + post].astype(np.float64)
        if pre:
            piece[:, : 2 * pre] *= np.sin(np.linspace(0, np.pi / 2, 2 * pre))
        if post:
            piece[:, -2 * post :] *= np.cos(np.linspace(0, np.pi / 2, 2 * post))
        out[:, at - pre : at - pre + piece.shape[1]] += piece[:, : total - (at - pre)]
        if i > 0:
            seams.append(at / SR)
        at += hi - lo
    if fade_out:
        n = round(fade_out * SR)
        out[:, -n:] *= np.linspace(1.0, 0.0, n)
    return out.astype(np.float32), np.array(seams)


def _matched(found: np.ndarray, truth: np.ndarray) -> tuple[int, int]:
    """How many true seams have a found one within tolerance, and how many found ones match none."""
    hits = sum(bool(len(found)) and np.abs(found - t).min() <= TOLERANCE_S for t in truth)
    spurious = sum(not len(truth) or np.abs(truth - f).min() > TOLERANCE_S for f in found)
    return int(hits), int(spurious)


def test_finds_our_remixes_jumps_and_adds_no_clipping(song):
    truth, found_all, n_found = [], [], 0
    for seed in (1, 5):
        out, plan = _ours(song, duration=50.0, seed=seed, jumpiness=1.0)
        jumps = _plan_jumps(plan)
        assert len(jumps) >= 2, "the plan must jump for this test to mean anything"
        verdict = judge_remix(_source(song), out, SR, source_beats=song.beat_times)
        found = np.array([s.out_time for s in verdict.seams])
        hits, spurious = _matched(found, jumps)
        truth.append(len(jumps))
        found_all.append((hits, spurious))
        n_found += len(found)
        assert verdict.clipped_added == 0
    hits = sum(h for h, _ in found_all)
    spurious = sum(s for _, s in found_all)
    assert hits >= 0.95 * sum(truth), found_all
    assert spurious <= 0.05 * n_found, found_all


def test_straight_play_ends_on_the_song(song):
    out, plan = _ours(song, seed=1, jumpiness=0.0)
    assert len(_plan_jumps(plan)) == 0
    verdict = judge_remix(_source(song), out, SR, source_beats=song.beat_times)
    assert verdict.n_seams == 0
    assert verdict.ends_on_song
    assert verdict.coverage > 0.98


def test_a_hard_cut_to_a_loud_part_is_loud():
    quiet = synthetic_song(bpm=BPM, bars=12, sr=SR, channels=2, seed=1).y * 0.15
    loud = synthetic_song(bpm=BPM, bars=12, sr=SR, channels=2, seed=7).y * 0.9
    source = np.concatenate([quiet, loud], axis=1)
    beats = np.arange(0, source.shape[1] / SR, 60.0 / BPM)
    half = quiet.shape[1] / SR
    # One seam between look-alike bars of the quiet part (4 bars apart), then a hard cut (no fade)
    # from the quiet part into the loud one, mid-bar.
    runs = [(0.0, 6 * BAR), (2 * BAR, 8 * BAR), (half + 4.5 * BAR, half + 10 * BAR)]
    gentle, _ = _splice(source, [*runs[:2], (8 * BAR, 11 * BAR)], crossfade=0.04)
    harsh, cuts = _splice(source, runs, crossfade=0.0)
    gentle_verdict = judge_remix(source, gentle, SR, source_beats=beats)
    verdict = judge_remix(source, harsh, SR, source_beats=beats)
    assert gentle_verdict.n_loud == 0
    hard = [
        loud
        for seam, loud in zip(verdict.seams, verdict.loud, strict=True)
        if abs(seam.out_time - cuts[1]) < 0.03
    ]
    assert hard == [True]
    assert verdict.n_loud == 1


def test_a_jump_taken_again_and_again(song):
    y = _source(song)
    runs = [(0.0, 8 * BAR)] + [(4 * BAR, 8 * BAR)] * 3 + [(8 * BAR, 12 * BAR)]
    looped, seams = _splice(y, runs, crossfade=0.04)
    seams = seams[:3]  # the last run goes on where the loop left off: no jump there
    verdict = judge_remix(y, looped, SR, source_beats=song.beat_times)
    hits, spurious = _matched(np.array([s.out_time for s in verdict.seams]), seams)
    assert (hits, spurious) == (len(seams), 0)
    assert verdict.longest_repeat == 3
    assert verdict.most_taken == 3


def test_a_one_second_crossfade_and_a_fade_out(song):
    y = _source(song)
    runs = [(0.0, 6 * BAR + 0.3), (2 * BAR + 0.3, 9 * BAR)]
    out, seams = _splice(y, runs, crossfade=1.0, fade_out=3.0)
    verdict = judge_remix(y, out, SR, source_beats=song.beat_times)
    hits, spurious = _matched(np.array([s.out_time for s in verdict.seams]), seams)
    assert (hits, spurious) == (1, 0)
    assert verdict.fade and not verdict.ends_on_song


def test_a_long_blend_in_a_swelling_pad_is_held_to_the_pads_own_drift():
    # A pad that swells by 11 dB a second, blended over a second into the same point of a later
    # swell: the level after the blend is where the song itself would be, so the seam is not loud.
    # Measured against the song's change over 40 ms instead of over the blend's span, it was.
    rng = np.random.default_rng(5)
    t = np.arange(40 * SR) / SR
    # Chords over a held bass, changing a second away from the joins: only the swell differs.
    chords = rng.choice([440.0, 494.0, 523.0, 587.0, 659.0, 698.0, 784.0], size=(21, 3))
    pitch = chords[((t + 1) // 2).astype(int)]
    pad = np.sin(2 * np.pi * np.cumsum(pitch, axis=0) / SR).sum(axis=1) / 3 + np.sin(2 * np.pi * 98.0 * t)
    swell_db = 14.0 * np.sin(2 * np.pi * t / 8.0)
    y = (0.1 * pad * 10 ** (swell_db / 20)).astype(np.float32)[np.newaxis]
    out, seams = _splice(y, [(0.0, 16.0), (24.0, 34.0)], crossfade=1.0)
    verdict = judge_remix(y, out, SR, source_beats=np.arange(0.0, 40.0, 0.5))
    hits, spurious = _matched(np.array([s.out_time for s in verdict.seams]), seams)
    assert (hits, spurious) == (1, 0)
    assert verdict.n_loud == 0


def test_clipping_at_a_seam_is_counted(song):
    y = _source(song)
    # From chord I to chord V: a jump whose seam the audio pins down.
    out, seams = _splice(y, [(0.0, 4 * BAR), (9 * BAR, 13 * BAR)], crossfade=0.04)
    at = round(seams[0] * SR)
    out[:, at - 20 : at + 20] = 1.0
    verdict = judge_remix(y, out, SR, source_beats=song.beat_times)
    assert verdict.clipped_added == 80
