"""The level of each beat's opening: what a listener compares across a seam.

A jump is heard as the step from the tail of the beat played into the opening of the beat put in
place of the next one. InfiniPlay's seam vetoes hold that opening to the one it replaces: within
4 dB broadband and 6 dB in the kick band (``graph``), and the render evens what difference remains.
The opening is measured where it is heard alone: from the end of the crossfade (half of the
render's 40 ms past the cut) for 100 ms, Hann-weighted in the kick band (below 150 Hz).

Measured this way rather than from the analysis' 93 ms spectrogram frames: a frame centred near
the cut spreads over the tail before it and the decay after the opening, and on real recordings
(``bench.realmusic``) two openings the frames put 1.6 dB apart in the kick band were 11 dB apart as
heard. A moment of music without a pulse is crossfaded over a whole second, so its level is its
whole half second.
"""

from __future__ import annotations

import numpy as np

from musicremixer.filters import SR

OPENING_GAP_SECONDS = 0.02  # half the render's crossfade: from here on the new beat is heard alone
OPENING_SECONDS = 0.1
KICK_HZ = 150.0
FLOOR_DB = 60.0  # levels are floored this far under the song's mean: a pause's -120 dB is not a jolt
_BLOCK = 128  # stretches measured at once


def opening_levels(
    y: np.ndarray,
    starts: np.ndarray,
    *,
    sr: int = SR,
    gap: float = OPENING_GAP_SECONDS,
    length: float = OPENING_SECONDS,
) -> np.ndarray:
    """Broadband and kick-band power (dB) of the stretch ``[start + gap, start + gap + length)``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``sr``.
    starts : np.ndarray [shape=(n_beats,)]
        Where each beat is cut, in seconds.
    sr : int
    gap, length : float >= 0, > 0
        The stretch measured, in seconds after each start.

    Returns
    -------
    levels : np.ndarray [shape=(n_beats, 2)]
        Column 0: mean square in dB; column 1: Hann-weighted power below :data:`KICK_HZ` in dB.
        Both floored :data:`FLOOR_DB` under the song's mean; stretches past the end read as silence.
    """
    n = max(1, round(length * sr))
    first = np.round((np.asarray(starts, dtype=float) + gap) * sr).astype(int).clip(0, len(y))
    y = np.asarray(y, dtype=np.float32)
    # Every stretch inside the song, without a copy; the few past its end are padded one by one.
    whole = np.lib.stride_tricks.sliding_window_view(y, n) if len(y) >= n else np.zeros((0, n), np.float32)
    window = np.hanning(n).astype(np.float32)
    kick_bins = np.fft.rfftfreq(n, 1 / sr) < KICK_HZ
    powers = np.empty((len(first), 2))
    for block in range(0, len(first), _BLOCK):  # a block of stretches at a time: bounded memory
        rows = first[block : block + _BLOCK]
        stretches = np.zeros((len(rows), n), np.float32)
        for k, row in enumerate(rows):  # each stretch that runs past the end, zero-padded
            if row >= len(whole):
                stretches[k, : len(y) - row] = y[row:]
        inside = rows < len(whole)
        stretches[inside] = whole[rows[inside]]
        powers[block : block + len(rows), 0] = np.square(stretches, dtype=np.float64).mean(axis=1)
        spectrum = np.fft.rfft(stretches * window, axis=1)[:, kick_bins]
        powers[block : block + len(rows), 1] = (np.abs(spectrum) ** 2).sum(axis=1)
    floors = np.array([np.mean(np.square(y, dtype=np.float64)), powers[:, 1].mean() if len(first) else 0.0])
    floors = np.maximum(floors * 10.0 ** (-FLOOR_DB / 10), 1e-20)
    return 10 * np.log10(np.maximum(powers, floors))
