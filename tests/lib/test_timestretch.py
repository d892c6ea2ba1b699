"""The stretcher keeps the asked time map: each segment's hits land where its new length puts them."""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve, find_peaks

from musicremixer.timestretch import stretch_segments
from tests.synth import kick_hit

SR = 22050


def hits(y: np.ndarray) -> np.ndarray:
    template = kick_hit(SR)[: round(0.06 * SR)]
    match = fftconvolve(y.mean(axis=0), template[::-1], mode="valid")
    peaks, _ = find_peaks(match, height=0.3 * match.max(), distance=round(0.2 * SR))
    return peaks


LEAD = SR // 10  # the first hit a little after the start, where a peak can be found


def kick_train(period: int, count: int, channels: int = 2) -> np.ndarray:
    y = np.zeros((channels, period * count + SR), dtype=np.float32)
    kick = kick_hit(SR)
    for k in range(count):
        y[:, LEAD + k * period : LEAD + k * period + kick.size] += 0.5 * kick
    return y


def test_each_segment_lasts_its_new_length_and_its_hit_lands_there() -> None:
    period = SR // 2
    y = kick_train(period, 16)
    # Beat by beat from 6 % slower back to the original tempo: a transition's ease.
    ratios = np.linspace(1.06, 1.0, 16)
    lengths_out = np.round(period * ratios).astype(int)
    out = stretch_segments(y, SR, [period] * 16, lengths_out.tolist())
    assert out.shape == (2, lengths_out.sum())
    # Each hit lies LEAD samples into its segment, and the segment that holds it is stretched.
    expected = np.r_[0, np.cumsum(lengths_out)[:-1]] + np.round(LEAD * ratios).astype(int)
    found = hits(out)
    assert found.shape == expected.shape
    # Within 6 ms, well under what a listener hears as a flam (about 20 ms); the grains of a
    # changing speed move a hit by a few milliseconds either way.
    assert np.abs(found - expected).max() < 0.006 * SR


def test_stretching_is_deterministic_for_any_channel_count() -> None:
    for channels in (1, 2, 6):
        y = kick_train(SR // 2, 4, channels)
        first = stretch_segments(y, SR, [SR // 2] * 4, [SR // 2 + 500] * 4)
        again = stretch_segments(y, SR, [SR // 2] * 4, [SR // 2 + 500] * 4)
        assert first.shape == (channels, 4 * (SR // 2 + 500))
        assert np.array_equal(first, again)


def test_the_level_is_kept() -> None:
    y = kick_train(SR // 2, 8)
    out = stretch_segments(y, SR, [SR // 2] * 8, [round(SR / 2 * 0.95)] * 8)
    peak_in, peak_out = np.abs(y).max(), np.abs(out).max()
    assert 0.8 < peak_out / peak_in < 1.25
