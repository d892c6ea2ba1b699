"""The shipped filter banks are librosa's, and the spectrum built on them matches librosa's."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer.filters import FILTERS_PATH, load_filters, make_filters
from musicremixer.filters import SR as ANALYSIS_SR
from musicremixer.spectrum import frame_features
from tests.synth import synthetic_song


def test_shipped_filters_equal_librosas() -> None:
    pytest.importorskip("librosa")
    shipped, fresh = load_filters(FILTERS_PATH), make_filters()
    for name in ("mel", "chroma", "dct"):
        np.testing.assert_array_equal(getattr(shipped, name), getattr(fresh, name), err_msg=name)


def test_frame_features_match_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    y = synthetic_song(bpm=100, meter=4, bars=4, sr=ANALYSIS_SR, channels=1).y[0]
    features = frame_features(y)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=ANALYSIS_SR)).T
    np.testing.assert_allclose(features.mel_db, mel_db, atol=0.01)
    mfcc = librosa.feature.mfcc(y=y, sr=ANALYSIS_SR, n_mfcc=13).T
    np.testing.assert_allclose(features.mfcc, mfcc, atol=0.05)
    chroma = librosa.feature.chroma_stft(y=y, sr=ANALYSIS_SR, tuning=0.0).T
    np.testing.assert_allclose(features.chroma, chroma, atol=1e-3)
    rms = np.sqrt(np.mean(np.abs(librosa.stft(y, window="hann")) ** 2, axis=0) * 2 / 2048)
    assert np.corrcoef(features.rms, rms)[0, 1] > 0.999
