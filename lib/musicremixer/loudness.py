"""Loudness by ITU-R BS.1770 (``pyloudnorm``): how the songs of a mix are levelled against each other."""

from __future__ import annotations

import numpy as np

SILENT_LUFS = -70.0  # BS.1770's absolute gate: anything quieter counts as silence


def loudness_lufs(y: np.ndarray, sr: int) -> float:
    """Integrated loudness of ``y`` (channels, n) in LUFS; ``SILENT_LUFS`` for silence or under 0.4 s.

    Up to five channels are weighted as BS.1770 weights them; more are folded to mono first, as
    pyloudnorm weights only five.
    """
    import pyloudnorm

    meter = pyloudnorm.Meter(int(sr))
    if y.shape[1] < round(meter.block_size * sr) + 1:
        return SILENT_LUFS
    data = y.T if y.shape[0] <= 5 else y.mean(axis=0)
    value = float(meter.integrated_loudness(np.asarray(data, dtype=np.float64)))
    return value if np.isfinite(value) and value > SILENT_LUFS else SILENT_LUFS
