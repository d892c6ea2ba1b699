"""The beat network in numpy: its features, its layers against textbook definitions, its weights."""

from __future__ import annotations

import collections
import io
import pickle
import sys
import types
import zipfile

import numpy as np
import pytest

from musicremixer import beatnet
from musicremixer.analyze import mono_for_analysis
from musicremixer.types import Audio
from tests.synth import synthetic_song

HIDDEN = 150


def test_the_filterbank_has_madmom_s_136_bands_each_of_area_one() -> None:
    bank = beatnet.log_filterbank()
    assert bank.shape == (beatnet.WIN_LENGTH // 2, 136)  # what BeatNet's first dense layer expects
    np.testing.assert_allclose(bank.sum(axis=0), 1.0, rtol=1e-5)
    bin_hz = np.arange(bank.shape[0]) * beatnet.SR / (2 * bank.shape[0])
    centres = bin_hz[bank.argmax(axis=0)]
    assert np.all(np.diff(centres) > 0)
    assert centres[0] >= beatnet.FMIN and centres[-1] <= beatnet.FMAX


def test_features_are_the_log_bands_and_their_rise() -> None:
    song = synthetic_song(bpm=120, bars=4, sr=22050, channels=1)
    x = beatnet.spectral_features(song.y[0])
    assert x.shape == (-(-song.y.shape[1] // beatnet.HOP_LENGTH), 272)
    bands, rise = x[:, :136], x[:, 136:]
    np.testing.assert_allclose(rise[1:], np.maximum(bands[1:] - bands[:-1], 0.0), atol=1e-6)
    assert np.all(rise[0] == 0.0) and np.all(bands >= 0.0)


def test_the_convolution_matrix_is_torch_s_conv1d() -> None:
    rng = np.random.default_rng(0)
    kernels = rng.standard_normal((2, 10)).astype(np.float32)
    x = rng.standard_normal((5, 272)).astype(np.float32)
    got = (x @ beatnet._conv_matrix(kernels, 272)).reshape(5, 2, 263)
    # conv1d is a cross-correlation over the valid positions.
    want = np.stack([[np.correlate(row, k, mode="valid") for k in kernels] for row in x])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _torch_layout_lstm(rng: np.random.Generator, d: int) -> dict[str, np.ndarray]:
    return {
        "weight_ih": rng.normal(0, 0.2, (4 * HIDDEN, d)).astype(np.float32),
        "weight_hh": rng.normal(0, 0.2, (4 * HIDDEN, HIDDEN)).astype(np.float32),
        "bias_ih": rng.normal(0, 0.2, 4 * HIDDEN).astype(np.float32),
        "bias_hh": rng.normal(0, 0.2, 4 * HIDDEN).astype(np.float32),
    }


def _textbook_lstm(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    # torch.nn.LSTM's equations, gates in its order (input, forget, cell, output).
    def sigmoid(v):
        return 1.0 / (1.0 + np.exp(-v))

    h = np.zeros(HIDDEN)
    c = np.zeros(HIDDEN)
    out = []
    for frame in x.astype(np.float64):
        g = w["weight_ih"] @ frame + w["bias_ih"] + w["weight_hh"] @ h + w["bias_hh"]
        i, f, cell, o = np.split(g, 4)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(cell)
        h = sigmoid(o) * np.tanh(c)
        out.append(h)
    return np.array(out)


def _state_dict(rng: np.random.Generator) -> dict[str, np.ndarray]:
    state = {
        "conv1.weight": rng.normal(0, 0.3, (2, 1, 10)).astype(np.float32),
        "conv1.bias": rng.normal(0, 0.1, 2).astype(np.float32),
        "linear0.weight": rng.normal(0, 0.05, (150, 262)).astype(np.float32),
        "linear0.bias": rng.normal(0, 0.1, 150).astype(np.float32),
        "linear.weight": rng.normal(0, 0.2, (3, 150)).astype(np.float32),
        "linear.bias": rng.normal(0, 0.1, 3).astype(np.float32),
    }
    for layer in range(2):
        for name, value in _torch_layout_lstm(rng, HIDDEN).items():
            state[f"lstm.{name}_l{layer}"] = value
    return state


def test_the_lstm_steps_as_torch_s_and_carries_its_state_across_blocks() -> None:
    rng = np.random.default_rng(1)
    states = [_state_dict(rng) for _ in range(3)]
    w = beatnet.convert(states)
    x = rng.normal(0, 1, (3, 40, HIDDEN)).astype(np.float32)
    whole = beatnet._lstm(x, w["ih0"], w["hh0"], w["b0"], np.zeros((2, 3, HIDDEN), np.float32))
    for m, state in enumerate(states):
        torch_layer = {
            k.removeprefix("lstm.").removesuffix("_l0"): v for k, v in state.items() if k.endswith("_l0")
        }
        np.testing.assert_allclose(whole[m], _textbook_lstm(x[m], torch_layer), atol=2e-5)
    carried = np.zeros((2, 3, HIDDEN), np.float32)
    halves = [
        beatnet._lstm(x[:, part], w["ih0"], w["hh0"], w["b0"], carried)
        for part in (slice(0, 17), slice(17, 40))
    ]
    np.testing.assert_array_equal(np.concatenate(halves, axis=1), whole)


def test_a_state_dict_is_read_without_torch(monkeypatch) -> None:
    # A file in torch.save's zip format, written here with stand-ins for torch's two globals.
    fake_torch = types.ModuleType("torch")
    fake_utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: only its name is pickled
        raise AssertionError

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
    fake_utils._rebuild_tensor_v2, fake_torch.FloatStorage, fake_torch._utils = (
        _rebuild_tensor_v2,
        FloatStorage,
        fake_utils,
    )
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    monkeypatch.setitem(sys.modules, "torch._utils", fake_utils)

    tensors = {"a.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "a.bias": np.float32([7, 8])}

    class Storage:
        def __init__(self, key: str, value: np.ndarray):
            self.key, self.value = key, value

    class Tensor:
        def __init__(self, key: str, value: np.ndarray):
            self.storage = Storage(key, value)

        def __reduce__(self):
            value = self.storage.value
            strides = tuple(s // 4 for s in value.strides)
            return _rebuild_tensor_v2, (
                self.storage,
                0,
                value.shape,
                strides,
                False,
                collections.OrderedDict(),
            )

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.value.size)
            return None

    payload = collections.OrderedDict(
        (name, Tensor(str(k), v)) for k, (name, v) in enumerate(tensors.items())
    )
    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(payload)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("archive/data.pkl", buffer.getvalue())
        for k, value in enumerate(tensors.values()):
            z.writestr(f"archive/data/{k}", value.astype("<f4").tobytes())
    read = beatnet.read_state_dict(archive.getvalue())
    assert list(read) == list(tensors)
    for name, value in tensors.items():
        np.testing.assert_array_equal(read[name], value)


def test_the_shipped_weights_are_three_models_of_beatnet_s_shape() -> None:
    w = beatnet._weights()
    assert w["conv_w"].shape == (3, 2, 10)
    assert w["dense_w"].shape == (3, 262, 150)
    assert w["ih0"].shape == w["hh0"].shape == w["ih1"].shape == (3, 150, 600)
    assert w["out_w"].shape == (3, 150, 3)
    assert all(np.isfinite(v).all() for v in w.values())


@pytest.fixture(scope="module")
def drum_song_activations():
    song = synthetic_song(bpm=120, meter=4, bars=16, sr=44100, channels=2, seed=5)
    return song, beatnet.beat_activations(mono_for_analysis(Audio(song.y, song.sr)))


def test_the_activation_peaks_on_the_beats_and_the_downbeats(drum_song_activations) -> None:
    song, activations = drum_song_activations
    assert activations.shape[1] == 2
    assert np.all((activations >= 0) & (activations <= 1 + 1e-6))
    at = np.round(song.beat_times * beatnet.FPS).astype(int)
    mids = np.round((song.beat_times[:-1] + 0.25) * beatnet.FPS).astype(int)
    on_beats = np.array([activations[max(t - 1, 0) : t + 2, 0].max() for t in at[4:]])
    assert np.median(on_beats) > 0.5
    assert np.median(activations[mids[4:], 0]) < 0.1
    down = np.array([activations[max(t - 1, 0) : t + 2, 1].max() for t in at[4:]])
    is_down = (np.arange(4, at.shape[0]) % 4) == 0
    assert down[is_down].mean() > 2 * down[~is_down].mean()
