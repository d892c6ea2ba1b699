"""One pass over the spectrum: every frame-level feature the analysis needs.

A single STFT of the mono analysis signal feeds the onset envelope (beats), chroma (harmony),
MFCC (timbre) and RMS (loudness). The transforms follow librosa's definitions
(``melspectrogram``, ``power_to_db``, ``chroma_stft``, ``mfcc``, ``rms``) with its default
parameters, computed with ``scipy.fft`` and the shipped filter banks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

from musicremixer.filters import HOP_LENGTH, N_FFT, load_filters


@dataclass(frozen=True)
class FrameFeatures:
    """Frame-level features, one row per STFT frame (hop ``HOP_LENGTH`` at ``SR``).

    mel_db : (n_frames, N_MELS) log-power mel spectrogram in dB, floored 80 dB below its peak
    chroma : (n_frames, 12) chroma energy, each frame scaled to a peak of 1
    mfcc : (n_frames, N_MFCC)
    rms : (n_frames,) root-mean-square amplitude
    """

    mel_db: np.ndarray
    chroma: np.ndarray
    mfcc: np.ndarray
    rms: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.rms.shape[0])


def frame_features(y: np.ndarray, *, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> FrameFeatures:
    """Compute the frame-level features of a mono signal at the analysis rate.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``filters.SR``.

    Returns
    -------
    FrameFeatures
    """
    banks = load_filters()
    mel_power, chroma, energy = [], [], []
    # Frame by frame block, so each block's spectrum stays in cache and the whole is never held.
    for power in _power_blocks(y, n_fft=n_fft, hop_length=hop_length):
        mel_power.append(power @ banks.mel.T)
        chroma.append(power @ banks.chroma.T)
        # Parseval over the one-sided spectrum (DC and Nyquist bins count once).
        energy.append(2 * power.sum(axis=1) - power[:, 0] - power[:, -1])
    mel_db = power_to_db(np.vstack(mel_power))
    chroma = np.vstack(chroma)
    chroma /= np.maximum(chroma.max(axis=1, keepdims=True), np.finfo(np.float32).tiny)
    rms = np.sqrt(np.concatenate(energy) / n_fft**2)
    return FrameFeatures(mel_db=mel_db, chroma=chroma, mfcc=mel_db @ banks.dct.T, rms=rms)


def _power_blocks(y: np.ndarray, *, n_fft: int, hop_length: int, block: int = 256):
    y = np.asarray(y, dtype=np.float32)
    padded = np.pad(y, n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    for start in range(0, frames.shape[0], block):
        spectrum = scipy.fft.rfft(frames[start : start + block] * window, axis=1)
        yield (spectrum.real**2 + spectrum.imag**2).astype(np.float32, copy=False)


def power_spectrogram(y: np.ndarray, *, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH) -> np.ndarray:
    """Centered, Hann-windowed power STFT, shape (n_frames, 1 + n_fft // 2), float32."""
    return np.vstack(list(_power_blocks(y, n_fft=n_fft, hop_length=hop_length)))


def power_to_db(S: np.ndarray, *, amin: float = 1e-10, top_db: float = 80.0) -> np.ndarray:
    """``10 log10(S)`` floored ``top_db`` below the peak (librosa.power_to_db with ref=1)."""
    log_spec = 10.0 * np.log10(np.maximum(amin, S))
    return np.maximum(log_spec, log_spec.max() - top_db)
