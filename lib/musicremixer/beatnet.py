"""Beat and downbeat activations from BeatNet's network, run in numpy.

BeatNet (Heydari, Cwitkowitz and Duan, ISMIR 2021; https://github.com/mjhydri/BeatNet) is a small
convolutional-recurrent network: a log-frequency spectrogram and its rise, one convolution, one dense
layer, two LSTM layers and a softmax over *beat*, *downbeat* and *neither*, 50 times a second.
Its three published models (trained with different held-out datasets) are shipped averaged:
``data/beatnet.npz`` holds the weights of ``BeatNet-1.1.3``'s ``model_{1,2,3}_weights.pt``,
CC BY 4.0 (attribution in the README). ``python -m musicremixer.beatnet WHEEL`` rebuilds the file
from the wheel without PyTorch.

On the rendered scores of ``bench.realset`` the averaged network's activations make the beat
tracker's dynamic program right where the spectral flux misleads it: a shuffle whose off-beat is
played louder than the beat, or a stride piano whose chords on the off-beat are as loud as its bass
(beat F 0.81 to 0.94, ``bench.realmusic``).

The features follow madmom's ``LogarithmicFilteredSpectrogram`` as BeatNet computes them (Hann
frames of 64 ms, 24 bands per octave from 30 Hz to 17 kHz, ``log10(1 + x)``, the positive difference
to the previous frame stacked beside it). The LSTMs step frame by frame, as they were trained
(unidirectional, from rest at the song's start), the three models together; the song goes through
in blocks, each layer's state carried across, so a long song never holds the layers whole. About
0.75 s of CPU for three minutes of audio on the 2-core machine where it was measured.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.fft

from musicremixer.filters import SR

FPS = 50
HOP_LENGTH = SR // FPS  # 441 samples: 20 ms
WIN_LENGTH = int(0.064 * SR)  # 1411 samples: 64 ms
BANDS_PER_OCTAVE = 24
FMIN, FMAX = 30.0, 17000.0
WEIGHTS_PATH = Path(__file__).with_name("data") / "beatnet.npz"
_HIDDEN = 150
_KERNEL = 10
_BLOCK_FRAMES = 2048  # 41 s of frames per block


def log_filterbank(*, sr: int = SR, win_length: int = WIN_LENGTH) -> np.ndarray:
    """Triangular filters centred on a 24-per-octave scale, each of area 1 (madmom's, unique bins).

    Returns
    -------
    filterbank : np.ndarray [shape=(win_length // 2, n_bands)]
    """
    n_bins = win_length >> 1
    bin_hz = np.fft.fftfreq(2 * n_bins, 1.0 / sr)[:n_bins]
    steps = np.arange(
        np.floor(np.log2(FMIN / 440) * BANDS_PER_OCTAVE), np.ceil(np.log2(FMAX / 440) * BANDS_PER_OCTAVE)
    )
    centres = 440.0 * 2.0 ** (steps / BANDS_PER_OCTAVE)
    centres = centres[(centres >= FMIN) & (centres <= FMAX)]
    nearest = np.clip(bin_hz.searchsorted(centres), 1, n_bins - 1)
    nearest -= centres - bin_hz[nearest - 1] < bin_hz[nearest] - centres
    bins = np.unique(nearest)
    bank = np.zeros((n_bins, bins.shape[0] - 2), dtype=np.float32)
    for band, (start, centre, stop) in enumerate(zip(bins[:-2], bins[1:-1], bins[2:], strict=True)):
        rise = np.linspace(0.0, 1.0, centre - start, endpoint=False)
        fall = np.linspace(1.0, 0.0, stop - centre, endpoint=False)
        shape = np.concatenate([rise, fall])
        bank[start:stop, band] = shape / shape.sum()
    return bank


def spectral_features(y: np.ndarray, *, sr: int = SR) -> np.ndarray:
    """The network's input: the log filtered spectrogram and its positive rise, side by side.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``sr`` (22.05 kHz, as the models were trained).

    Returns
    -------
    features : np.ndarray [shape=(ceil(n / HOP_LENGTH), 2 * n_bands), dtype=float32]
        Frame *t* is centred on sample ``t * HOP_LENGTH``.
    """
    y = np.asarray(y, dtype=np.float32)
    n_frames = -(-y.shape[0] // HOP_LENGTH)
    padded = np.concatenate([np.zeros(WIN_LENGTH // 2, np.float32), y, np.zeros(WIN_LENGTH, np.float32)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, WIN_LENGTH)[::HOP_LENGTH][:n_frames]
    window = np.hanning(WIN_LENGTH).astype(np.float32)
    bank = _filterbank()
    bands = []
    for start in range(0, n_frames, 512):  # blocks keep each block's spectrum in cache
        spectrum = scipy.fft.rfft(frames[start : start + 512] * window, axis=1)[:, : WIN_LENGTH >> 1]
        bands.append(np.abs(spectrum) @ bank)
    log_bands = np.log10(np.vstack(bands) + 1.0, dtype=np.float32)
    rise = np.zeros_like(log_bands)
    rise[1:] = np.maximum(log_bands[1:] - log_bands[:-1], 0.0)
    return np.hstack([log_bands, rise])


def beat_activations(y: np.ndarray, *, sr: int = SR) -> np.ndarray:
    """How likely each 20 ms frame is a beat and a downbeat, averaged over the three models.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``sr``.

    Returns
    -------
    activations : np.ndarray [shape=(n_frames, 2), dtype=float32]
        Column 0: beat (downbeats included); column 1: downbeat. Frame *t* is at ``t / FPS`` s.
    """
    x = spectral_features(y, sr=sr)
    w = _weights()
    n_models = w["conv_w"].shape[0]
    models = [{k: v[m] for k, v in w.items()} for m in range(n_models)]
    for model in models:  # the convolution as a matrix, made once rather than block by block
        model["conv_matrix"] = _conv_matrix(model["conv_w"], x.shape[1])
    # Block by block, carrying each LSTM layer's state across, so a long song never holds the
    # network's inner layers whole (its gates alone would be 0.3 GB for 15 minutes).
    states = [np.zeros((2, n_models, _HIDDEN), np.float32) for _ in range(2)]
    activations = np.empty((x.shape[0], 2), np.float32)
    for start in range(0, x.shape[0], _BLOCK_FRAMES):
        h = np.stack([_front(x[start : start + _BLOCK_FRAMES], m) for m in models])
        for layer, state in enumerate(states):
            h = _lstm(h, w[f"ih{layer}"], w[f"hh{layer}"], w[f"b{layer}"], state)
        logits = np.matmul(h, w["out_w"]) + w["out_b"][:, None]
        e = np.exp(logits - logits.max(axis=2, keepdims=True))
        p = (e / e.sum(axis=2, keepdims=True)).mean(axis=0)
        activations[start : start + _BLOCK_FRAMES] = np.column_stack([p[:, 0] + p[:, 1], p[:, 1]])
    return activations


def _front(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """One model's layers before the LSTM: convolution, ReLU, max-pooling, dense.

    ``w`` is the model's weights with its ``conv_matrix`` (:func:`_conv_matrix`).
    """
    n, n_bins = x.shape
    # The convolution over the frequency axis (two filters of ten taps) as one matrix product.
    n_out = n_bins - _KERNEL + 1
    conv = np.maximum(x @ w["conv_matrix"] + np.repeat(w["conv_b"], n_out), 0.0)
    conv = conv.reshape(n, 2, n_out)
    pooled = n_out // 2
    pairs = np.maximum(conv[:, :, 0 : 2 * pooled : 2], conv[:, :, 1 : 2 * pooled : 2])
    return pairs.reshape(n, 2 * pooled) @ w["dense_w"] + w["dense_b"]  # channel-major, as torch flattens


def _conv_matrix(kernels: np.ndarray, n_bins: int) -> np.ndarray:
    """(n_bins, channels * n_out) matrix whose product with a frame is its valid 1-D convolution."""
    channels, taps = kernels.shape
    n_out = n_bins - taps + 1
    matrix = np.zeros((n_bins, channels, n_out), np.float32)
    columns = np.arange(n_out)
    for k in range(taps):
        matrix[columns + k, :, columns] = kernels[:, k]
    return matrix.reshape(n_bins, channels * n_out)


def _lstm(
    x: np.ndarray, w_in: np.ndarray, w_rec: np.ndarray, bias: np.ndarray, state: np.ndarray
) -> np.ndarray:
    """One LSTM layer of every model, frame by frame: ``x`` (models, n, d) -> (models, n, hidden).

    ``state`` (2, models, hidden) holds the output and the cell before the first frame, and is
    left holding them after the last. The gates are stored in the order input, forget, output, cell,
    the first three scaled by 1/2, so one ``tanh`` gives all four: sigmoid(z) = (1 + tanh(z / 2)) / 2.
    The models step together: each frame costs one batched product and a few array operations for
    all of them.
    """
    models, n, _ = x.shape
    gates_in = np.empty((n, models, 4 * _HIDDEN), np.float32)
    for m in range(models):
        gates_in[:, m] = x[m] @ w_in[m] + bias[m]
    c = state[1]
    rows = np.empty((models, 1, 4 * _HIDDEN), np.float32)  # each model's gates as a one-row matrix
    z = rows[:, 0]
    gated = np.empty((models, _HIDDEN), np.float32)
    out = np.empty((n + 1, models, 1, _HIDDEN), np.float32)
    out[0, :, 0] = state[0]
    sig, cell = z[:, : 3 * _HIDDEN], z[:, 3 * _HIDDEN :]
    i, f, o = sig[:, :_HIDDEN], sig[:, _HIDDEN : 2 * _HIDDEN], sig[:, 2 * _HIDDEN :]
    for t in range(n):
        np.matmul(out[t], w_rec, out=rows)  # every model's product in one call
        z += gates_in[t]
        np.tanh(z, out=z)
        sig *= 0.5
        sig += 0.5
        c *= f
        np.multiply(i, cell, out=gated)
        c += gated
        np.tanh(c, out=gated)
        np.multiply(o, gated, out=out[t + 1, :, 0])
    state[0] = out[n, :, 0]
    return out[1:, :, 0].transpose(1, 0, 2)


@lru_cache(maxsize=1)
def _filterbank() -> np.ndarray:
    return log_filterbank()


@lru_cache(maxsize=1)
def _weights() -> dict[str, np.ndarray]:
    # Loaded once per process (4 MB, 30 ms to inflate) and shared, so read-only.
    with np.load(WEIGHTS_PATH) as data:
        weights = {key: data[key].astype(np.float32) for key in data.files}
    for value in weights.values():
        value.flags.writeable = False
    return weights


# --- rebuilding data/beatnet.npz from the BeatNet wheel ---------------------------------------------


def read_state_dict(data: bytes) -> dict[str, np.ndarray]:
    """The tensors of a PyTorch ``state_dict`` file (its zip format), read without PyTorch."""
    import collections
    import io
    import pickle
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    root = archive.namelist()[0].split("/")[0]

    def rebuild(storage, offset, size, stride, *_):
        flat = np.frombuffer(archive.read(f"{root}/data/{storage}"), dtype="<f4")
        return np.lib.stride_tricks.as_strided(
            flat[offset:], shape=size, strides=[4 * s for s in stride]
        ).copy()

    class Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return rebuild
            if (module, name) == ("torch", "FloatStorage"):
                return name
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in a state_dict")

        def persistent_load(self, pid):
            return pid[2]  # ("storage", type, key, location, size): the key names its file

    return dict(Unpickler(io.BytesIO(archive.read(f"{root}/data.pkl"))).load())


def convert(states: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack the models' weights in the layout :func:`beat_activations` reads."""
    h = _HIDDEN
    order = np.r_[0 : 2 * h, 3 * h : 4 * h, 2 * h : 3 * h]  # torch's i, f, g, o -> i, f, o, g
    half = np.r_[np.full(3 * h, 0.5), np.ones(h)].astype(np.float32)

    def stack(name: str) -> np.ndarray:
        return np.stack([s[name] for s in states]).astype(np.float32)

    def gates(name: str) -> np.ndarray:
        """Gate rows reordered and scaled; a weight matrix then as (inputs, gates)."""
        rows = stack(name)[:, order]
        if rows.ndim == 3:
            return (rows * half[:, None]).transpose(0, 2, 1)
        return rows * half

    out = {
        "conv_w": stack("conv1.weight")[:, :, 0, :],
        "conv_b": stack("conv1.bias"),
        "dense_w": stack("linear0.weight").transpose(0, 2, 1),
        "dense_b": stack("linear0.bias"),
        "out_w": stack("linear.weight").transpose(0, 2, 1),
        "out_b": stack("linear.bias"),
    }
    for layer in range(2):
        out[f"ih{layer}"] = gates(f"lstm.weight_ih_l{layer}")
        out[f"hh{layer}"] = gates(f"lstm.weight_hh_l{layer}")
        bias = stack(f"lstm.bias_ih_l{layer}") + stack(f"lstm.bias_hh_l{layer}")
        out[f"b{layer}"] = bias[:, order] * half
    return {key: np.ascontiguousarray(value, dtype=np.float32) for key, value in out.items()}


def main(argv: list[str]) -> int:
    import zipfile

    if len(argv) != 1:
        print("usage: python -m musicremixer.beatnet BeatNet-1.1.3-py3-none-any.whl", file=sys.stderr)
        return 2
    with zipfile.ZipFile(argv[0]) as wheel:
        states = [read_state_dict(wheel.read(f"BeatNet/models/model_{k}_weights.pt")) for k in (1, 2, 3)]
    np.savez_compressed(WEIGHTS_PATH, **convert(states))
    print(f"wrote {WEIGHTS_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
