"""Meter and downbeats from beat-synchronous features.

Bars repeat: the beat one bar later sounds like this one (same drum hit, often the same chord),
and so do the beats two and four bars later, where a chord progression comes round again. So the
meter is the bar length whose multiples (1, 2 and 4 bars) have the highest beat-to-beat
similarity. One lag alone misleads: in a song tracked at half time (a 180 BPM rock beat heard at
90) a bar is two tracked beats and every chord of a four-bar progression differs, so lags 3 and 4
are equally unlike and only lag 8 (four bars) shows the repeat. On rendered scores the three lags
got the meter right on 33 of 34 pieces, one lag on 28.
Chords tend to change, and kicks to land, on the downbeat, so the downbeat phase is the one where
harmonic change (weighted twice), low-frequency attacks and the beat network's downbeat activation
(:mod:`musicremixer.beatnet`) are together strongest. On the rendered scores of ``bench.realset``
(10 with a beat grid) the activation alone gave a mean downbeat F of 0.72, all three cues 0.84.
"""

from __future__ import annotations

import numpy as np

METERS = (4, 3)
BAR_MULTIPLES = (1, 2, 4)  # the lags, in bars, whose similarity decides the meter


def estimate_bar_positions(
    timbre: np.ndarray, chroma: np.ndarray, low_accent: np.ndarray, downbeat_activation: np.ndarray
) -> tuple[int, np.ndarray]:
    """Estimate the meter and each beat's position in its bar.

    Parameters
    ----------
    timbre : np.ndarray [shape=(n_beats, d)]
        Beat-synchronous MFCC.
    chroma : np.ndarray [shape=(n_beats, 12)]
        Beat-synchronous chroma.
    low_accent : np.ndarray [shape=(n_beats,)]
        Strength of low-frequency attacks at each beat.
    downbeat_activation : np.ndarray [shape=(n_beats,)]
        How likely each beat is a downbeat (the beat network's activation).

    Returns
    -------
    meter : int
        Beats per bar, 3 or 4.
    bar_positions : np.ndarray [shape=(n_beats,), dtype=int]
        0 on downbeats, then 1, 2, ...
    """
    n = timbre.shape[0]
    features = np.hstack([_standardize(timbre), _standardize(chroma)])
    meter = max(METERS, key=lambda m: _bar_similarity(features, m) + (0.02 if m == 4 else 0.0))
    if n < 2 * meter:
        return meter, np.arange(n) % meter
    harmonic_change = np.r_[0.0, 1.0 - _cosine(chroma[1:], chroma[:-1])]
    accent = 2.0 * _zscore(harmonic_change) + _zscore(low_accent) + _zscore(downbeat_activation)
    phase_scores = [accent[p::meter].mean() for p in range(meter)]
    downbeat = int(np.argmax(phase_scores))
    return meter, (np.arange(n) - downbeat) % meter


def _bar_similarity(features: np.ndarray, meter: int) -> float:
    return float(np.mean([_lag_similarity(features, meter * k) for k in BAR_MULTIPLES]))


def _lag_similarity(features: np.ndarray, lag: int) -> float:
    if features.shape[0] <= lag:
        return 0.0
    return float(np.mean(_cosine(features[lag:], features[:-lag])))


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.einsum("ij,ij->i", a, b) / np.maximum(norms, 1e-12)


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-9)


def _zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / max(float(x.std()), 1e-9)
