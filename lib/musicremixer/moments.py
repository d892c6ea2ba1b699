"""Music without a steady pulse: tell it from noise and speech, and cut it into equal moments.

A rubato aria, an ambient pad or a free-time prelude has no beat grid for the tracker to follow,
but it is still music a person may want remixed. Loop finders for ambient and game music treat
such a piece as a sequence of short moments and join moments that sound alike with long
crossfades; the walk and the graph need nothing else, as long as the moments are equal and grouped
like bars.

What tells music from noise and speech is harmony held over time: over a window of two seconds
the notes of music keep to a few pitch classes (a chord, a key), so the window's chroma has clear
peaks. White noise spreads evenly over all twelve; a speaking voice glides through every pitch
and averages out almost as flat. Measured on the benchmark's 32 pieces (bench/realset.py): music
0.34-0.69 (those without a pulse 0.37-0.58); a wind soundscape 0.72, a synthesized voice 0.79,
white noise 0.90.
"""

from __future__ import annotations

import numpy as np

from musicremixer.filters import HOP_LENGTH, SR
from musicremixer.spectrum import FrameFeatures

MOMENT_SECONDS = 0.5  # the length of one moment; four make a "bar" the walk may jump between
MOMENTS_PER_BAR = 4
MAX_CHROMA_FLATNESS = 0.7  # music stays at or below 0.69, wind, speech and noise above 0.72
WINDOW_SECONDS = 2.0


def chroma_flatness(frames: FrameFeatures, *, silence_rms: float = 1e-4) -> float:
    """Median flatness (mean over max) of the chroma averaged over windows of two seconds.

    Parameters
    ----------
    frames : FrameFeatures
    silence_rms : float
        Frames quieter than this are left out.

    Returns
    -------
    float in (0, 1]
        Near 1 for sound spread over all pitch classes (noise, speech), lower for harmony.
    """
    chroma = frames.chroma[frames.rms > silence_rms]
    width = max(1, round(WINDOW_SECONDS * SR / HOP_LENGTH))
    n = chroma.shape[0] // width
    if n == 0:
        return 1.0
    windows = chroma[: n * width].reshape(n, width, -1).mean(axis=1)
    flatness = windows.mean(axis=1) / np.maximum(windows.max(axis=1), 1e-12)
    return float(np.median(flatness))


def sounds_like_music(frames: FrameFeatures) -> bool:
    """Whether a track without a steady pulse holds harmony like music (see the module's notes)."""
    return chroma_flatness(frames) <= MAX_CHROMA_FLATNESS


def moment_grid(duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal moments over the whole track, grouped in bars.

    Returns
    -------
    starts : np.ndarray [shape=(n,)]
        Start of each moment in seconds, from 0; the last one runs to the track's end (between one
        and two moments long).
    bar_positions : np.ndarray [shape=(n,), dtype=int]
        0, 1, 2, 3, 0, ...
    """
    n = max(1, int(duration // MOMENT_SECONDS))
    starts = MOMENT_SECONDS * np.arange(n)
    return starts, np.arange(n) % MOMENTS_PER_BAR
