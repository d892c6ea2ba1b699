"""Time-stretching without a change of pitch, for the bars where a song enters at another's tempo.

The stretcher is Bungee (``bungee-python``, MPL-2.0): a granular stretcher whose speed may change
from one block of input to the next while its state carries on, so a stretch that eases back to 1
beat by beat is one continuous stream. Measured here, its output keeps the asked time map within a
millisecond, is the same bytes for the same input, and takes about 0.1 s per 8 s of stereo.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stretch_segments(
    y: np.ndarray, sr: int, lengths_in: Sequence[int], lengths_out: Sequence[int]
) -> np.ndarray:
    """Stretch consecutive segments of ``y`` from its start, each to its own length.

    Parameters
    ----------
    y : np.ndarray [shape=(channels, n), dtype=float32]
    sr : int
    lengths_in : sequence of int
        Samples of each segment, in order from ``y[:, 0]``; their sum is at most ``n``.
    lengths_out : sequence of int
        How long each segment should last once stretched.

    Returns
    -------
    np.ndarray [shape=(channels, sum(lengths_out)), dtype=float32]
        The segments stretched; segment ``k`` starts at ``sum(lengths_out[:k])``, give or take the
        stretcher's few samples of rounding, which the next segment's speed makes up.
    """
    from bungee_python import bungee

    stretcher = bungee.Bungee(int(sr), int(y.shape[0]))
    pieces, produced, wanted, position = [], 0, 0, 0
    for n_in, n_out in zip(lengths_in, lengths_out, strict=True):
        wanted += int(n_out)
        if n_in > 0 and wanted > produced:
            stretcher.set_speed(float(n_in) / (wanted - produced))
            piece = stretcher.process(
                np.ascontiguousarray(y[:, position : position + n_in].T, dtype=np.float32)
            )
            pieces.append(piece)
            produced += piece.shape[0]
        position += int(n_in)
    out = np.concatenate(pieces, axis=0).T if pieces else np.zeros((y.shape[0], 0), dtype=np.float32)
    if out.shape[1] < wanted:
        out = np.pad(out, ((0, 0), (0, wanted - out.shape[1])))
    return np.ascontiguousarray(out[:, :wanted], dtype=np.float32)
