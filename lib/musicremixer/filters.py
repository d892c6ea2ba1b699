"""The fixed filter banks of the analysis: librosa's, computed once and shipped as data.

The analysis always runs at ``SR`` with ``N_FFT``-point frames, so its mel, chroma and DCT matrices
never change. Building them needs ``librosa.filters``, whose import alone costs about two seconds
(it pulls in ``scipy.signal`` and numba); loading the shipped copy costs milliseconds.
``python -m musicremixer.filters`` rebuilds the file with librosa, and a test checks that the
shipped copy still equals what librosa computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 22050
N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
N_CHROMA = 12
N_MFCC = 13

FILTERS_PATH = Path(__file__).with_name("data") / "filters.npz"


@dataclass(frozen=True)
class FilterBanks:
    """mel : (N_MELS, 1 + N_FFT // 2); chroma : (N_CHROMA, 1 + N_FFT // 2); dct : (N_MFCC, N_MELS)."""

    mel: np.ndarray
    chroma: np.ndarray
    dct: np.ndarray


def load_filters(path: Path = FILTERS_PATH) -> FilterBanks:
    """Load the shipped filter banks (float32)."""
    with np.load(path) as data:
        return FilterBanks(mel=data["mel"], chroma=data["chroma"], dct=data["dct"])


def make_filters() -> FilterBanks:
    """Compute the filter banks with librosa and scipy (slow imports; for rebuilding and tests)."""
    import librosa
    import scipy.fft

    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmax=SR / 2)
    chroma = librosa.filters.chroma(sr=SR, n_fft=N_FFT, n_chroma=N_CHROMA)
    # librosa.feature.mfcc is a type-II orthonormal DCT over the mel axis; as a matrix it is one matmul.
    dct = scipy.fft.dct(np.eye(N_MELS), type=2, norm="ortho", axis=0)[:N_MFCC]
    return FilterBanks(
        mel=mel.astype(np.float32), chroma=chroma.astype(np.float32), dct=dct.astype(np.float32)
    )


def save_filters(banks: FilterBanks, path: Path = FILTERS_PATH) -> None:
    np.savez_compressed(path, mel=banks.mel, chroma=banks.chroma, dct=banks.dct)


if __name__ == "__main__":
    save_filters(make_filters())
    print(f"wrote {FILTERS_PATH}")
