"""The floor: the least any spectral remixer must do for one track (the benchmark's own copy).

Decode, fold to mono, resample to 22.05 kHz, one STFT, and write the same length of PCM back. Nothing
real can be cheaper, so "within 1.5x of the floor" bounds our analysis + render overhead. ``bench.run``
uses the team's reference copy (``../shared/baseline/floor.py``) when present, else this one; they are
the same program.

Usage: python bench/floor.py IN OUT.wav
"""

import sys
import time

import numpy as np
import scipy.fft
import soundfile as sf
import soxr

t0 = time.perf_counter()
y, sr = sf.read(sys.argv[1], dtype="float32", always_2d=True)
mono = soxr.resample(y.mean(axis=1), sr, 22050)
frames = np.lib.stride_tricks.sliding_window_view(np.pad(mono, 1024), 2048)[::512]
spec = np.abs(scipy.fft.rfft(frames * np.hanning(2048).astype("float32"), axis=1, workers=-1))
sf.write(sys.argv[2], y, sr, subtype="PCM_16")
print(f"total={time.perf_counter() - t0:.3f} frames={spec.shape[0]}")
