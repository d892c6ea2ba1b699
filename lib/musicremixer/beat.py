"""Onset strength, tempo and beat tracking: librosa's algorithms, ported to plain numpy.

``librosa.beat`` costs five to seven seconds to import (dozens of numba functions are loaded
and linked), more than the whole remix of a song takes. These functions reproduce
``librosa.onset.onset_strength``, ``librosa.feature.tempo`` and ``librosa.beat.beat_track``
(Ellis, 2007) with their default parameters; the tests hold them to librosa's results.
The beat tracker's dynamic program runs in blocks of half a beat: no frame depends on a frame
less than half a beat before it, so each block is one vectorized step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft

from musicremixer.filters import HOP_LENGTH, N_FFT, SR


def onset_strength(
    mel_db: np.ndarray,
    *,
    n_fft: int = N_FFT,
    hop_length: int = HOP_LENGTH,
    aggregate: Callable[..., np.ndarray] = np.median,
) -> np.ndarray:
    """Spectral flux onset envelope (librosa.onset.onset_strength with lag=1, max_size=1).

    The default ``aggregate`` over mel bands is the median, as ``librosa.beat.beat_track`` uses.

    Parameters
    ----------
    mel_db : np.ndarray [shape=(n_frames, n_mels)]
        Log-power mel spectrogram in dB.

    Returns
    -------
    onset_envelope : np.ndarray [shape=(n_frames,)]
    """
    flux = aggregate(np.maximum(0.0, mel_db[1:] - mel_db[:-1]), axis=1)
    # librosa pads by the lag plus half a frame (in hops) to undo the framing delay.
    pad = 1 + n_fft // (2 * hop_length)
    return np.concatenate([np.zeros(pad, dtype=flux.dtype), flux])[: mel_db.shape[0]]


def estimate_tempo(
    onset_envelope: np.ndarray,
    *,
    sr: int = SR,
    hop_length: int = HOP_LENGTH,
    start_bpm: float = 120.0,
    std_bpm: float = 1.0,
    ac_size: float = 8.0,
    max_tempo: float = 320.0,
    prefer_faster_pulse: bool = False,
    fractional: bool = False,
) -> float:
    """Global tempo in BPM: the mean local autocorrelation weighted by a log-normal prior.

    Same estimate as ``librosa.feature.tempo`` (tempogram with a Hann window of ``ac_size``
    seconds, averaged over time, prior centred on ``start_bpm``).

    With ``prefer_faster_pulse``, a tempo 1.5 times faster is taken when its beat period is at
    least as periodic as the chosen one's. On an eighth-note grid a dotted-quarter pulse (two
    thirds of the tempo) often autocorrelates as strongly as the beat, and the prior, centred on
    120 BPM, then settles the tie towards the slower pulse: 160 BPM found as 107, with every other
    tracked beat on an off-beat. The prior cannot tell the two apart; the autocorrelation can.

    With ``fractional``, the period is read between lags (a parabola through the autocorrelation
    peak): lags are whole frames, and 110 BPM lies between 107.7 and 112.3. Without it, librosa's.
    """
    win_length = int(np.floor(ac_size * sr / hop_length))
    n = onset_envelope.shape[0]
    half = win_length // 2
    padded = np.pad(onset_envelope, half, mode="linear_ramp", end_values=0)
    frames = np.lib.stride_tricks.sliding_window_view(padded, win_length)[:n]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / win_length)
    n_pad = scipy.fft.next_fast_len(2 * win_length - 1, real=True)
    acf = _mean_normalized_autocorrelation(frames, window, n_pad, win_length)
    lags = np.arange(1, win_length)
    bpms = np.concatenate([[np.inf], 60.0 * sr / (hop_length * lags)])
    logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    best = int(np.argmax(np.log1p(1e6 * acf) + logprior))
    lag = float(best)
    if prefer_faster_pulse:
        faster = best / 1.5
        if bpms[best] * 1.5 < max_tempo and _acf_peak(acf, faster) >= _acf_peak(acf, best):
            lag = faster
    if fractional:
        lag = _refine_lag(acf, lag)
    return float(60.0 * sr / (hop_length * lag))


def _refine_lag(acf: np.ndarray, lag: float) -> float:
    """The autocorrelation peak nearest ``lag``, located between frames by a parabola."""
    k = int(np.round(lag))
    lo, hi = max(1, k - 1), min(acf.shape[0] - 2, k + 1)
    k = lo + int(np.argmax(acf[lo : hi + 1]))
    if k < 1 or k + 1 >= acf.shape[0]:
        return float(k)
    return float(k + parabola_vertex(acf[k - 1], acf[k], acf[k + 1]))


def parabola_vertex(left, centre, right) -> np.ndarray:
    """Where the parabola through three equally spaced values peaks, in steps from the centre.

    0 where the values do not curve down (no peak to find). Works on arrays, element by element.
    """
    curve = np.asarray(left - 2 * centre + right)
    peaked = curve < 0
    return np.where(peaked, 0.5 * (left - right) / np.where(peaked, curve, -1.0), 0.0)


def _acf_peak(acf: np.ndarray, lag: float, *, width: float = 0.04) -> float:
    """The autocorrelation's highest value within ``width`` (relative) of a fractional ``lag``."""
    lo = max(1, int(np.floor(lag * (1 - width))))
    hi = min(acf.shape[0] - 1, int(np.ceil(lag * (1 + width))))
    return float(acf[lo : hi + 1].max()) if hi >= lo else 0.0


def _mean_normalized_autocorrelation(
    frames: np.ndarray, window: np.ndarray, n_pad: int, win_length: int, *, chunk: int = 512
) -> np.ndarray:
    # Chunked so a ten-minute song never holds every frame's spectrum at once.
    total = np.zeros(win_length)
    for start in range(0, frames.shape[0], chunk):
        block = frames[start : start + chunk] * window
        power = np.abs(scipy.fft.rfft(block, n=n_pad, axis=1, workers=-1)) ** 2
        acf = scipy.fft.irfft(power, n=n_pad, axis=1, workers=-1)[:, :win_length]
        peak = np.abs(acf).max(axis=1, keepdims=True)
        total += (acf / np.where(peak > 0, peak, 1.0)).sum(axis=0)
    return total / frames.shape[0]


def track_beats(
    onset_envelope: np.ndarray,
    *,
    bpm: float,
    sr: int = SR,
    hop_length: int = HOP_LENGTH,
    tightness: float = 100.0,
    fractional: bool = False,
) -> np.ndarray:
    """Beat frames by dynamic programming (librosa.beat.beat_track's tracker, trim=True).

    Parameters
    ----------
    onset_envelope : np.ndarray [shape=(n_frames,)]
    bpm : float > 0
        Tempo estimate.
    fractional : bool
        Centre the tracker's period on ``bpm`` exactly instead of on whole frames (librosa's).

    Returns
    -------
    beat_frames : np.ndarray [shape=(n_beats,), dtype=int]
    """
    if not onset_envelope.any():
        return np.zeros(0, dtype=int)
    frames_per_beat = sr * 60.0 / (hop_length * bpm)
    if not fractional:
        frames_per_beat = float(np.round(frames_per_beat))
    localscore = _local_score(onset_envelope / (onset_envelope.std(ddof=1) + 1e-30), frames_per_beat)
    backlink, cumscore = _beat_dp(localscore, frames_per_beat, tightness)
    beats = np.zeros(onset_envelope.shape[0], dtype=bool)
    frame = _last_beat(cumscore)
    while frame >= 0:
        beats[frame] = True
        frame = backlink[frame]
    return np.flatnonzero(_trim_beats(localscore, beats))


def track_slow_beats(
    onset_envelope: np.ndarray,
    low_envelope: np.ndarray,
    *,
    bpm: float,
    sr: int = SR,
    hop_length: int = HOP_LENGTH,
    tightness: float = 100.0,
    fractional: bool = False,
) -> np.ndarray:
    """Beat frames of a slow or half-time tempo, on the kick rather than the backbeat.

    At a slow tempo (a 180 BPM rock beat heard at 90) the tracker follows whichever pulse is
    loudest across the spectrum, which is often the snare on 2 and 4: the bars found then start
    on a backbeat. Tracking twice as fast gives both pulses; every other beat is kept, the set
    whose low-frequency attacks are stronger, where kick and bass land.

    Parameters
    ----------
    onset_envelope : np.ndarray [shape=(n_frames,)]
    low_envelope : np.ndarray [shape=(n_frames,)]
        Onset strength of the low frequencies only.
    bpm : float > 0

    Returns
    -------
    beat_frames : np.ndarray [shape=(n_beats,), dtype=int]
    """
    options = {"sr": sr, "hop_length": hop_length, "tightness": tightness, "fractional": fractional}
    double = track_beats(onset_envelope, bpm=2 * bpm, **options)
    if double.shape[0] < 4:
        return track_beats(onset_envelope, bpm=bpm, **options)
    accents = peak_near(low_envelope, double)
    return double[0::2] if accents[0::2].mean() >= accents[1::2].mean() else double[1::2]


def place_on_long_short(
    onset_envelope: np.ndarray, beat_frames: np.ndarray, *, max_phase: float = 0.45, min_ratio: float = 0.3
) -> np.ndarray:
    """Move beats tracked on a swung off-beat back onto the beat.

    In swing and shuffle the eighths are long-short: an onset on the beat, another about two thirds
    of the way to the next. When the off-beat is played louder (as shuffles often accent it), the
    tracker locks on it, and then the strong onset that follows each tracked beat comes early,
    after a short gap rather than a long one. Such grids are moved forward onto that onset.
    It works as well on the beat network's activation (:mod:`musicremixer.beatnet`), which also
    takes an accented swung off-beat for the beat now and then; there the beat, though weaker,
    still reaches a third of the off-beat (synthetic shuffles at 100 and 120 BPM), and no real
    recording of ``bench.realset`` has a grid that the rule moves.

    Parameters
    ----------
    onset_envelope : np.ndarray [shape=(n_frames,)]
        Onset strength, or the network's beat activation.
    beat_frames : np.ndarray [shape=(n_beats,), dtype=int]
    max_phase : float in (0, 0.5)
        A strong onset this early in the beat (a fraction of it) marks a short-long grid.
    min_ratio : float > 0
        How strong, against the onsets on the tracked beats, that onset must be.

    Returns
    -------
    beat_frames : np.ndarray [shape=(n_beats',), dtype=int]
        ``beat_frames``, or all of them moved by the same number of frames.
    """
    if beat_frames.shape[0] < 8:
        return beat_frames
    period = round(float(np.median(np.diff(beat_frames))))
    starts = beat_frames[beat_frames + period < onset_envelope.shape[0]]
    profile = onset_envelope[starts[:, None] + np.arange(period)].mean(axis=0)
    guard = max(2, int(0.15 * period))
    inner = profile[guard : period - guard]
    if inner.size == 0:
        return beat_frames
    offset = guard + int(np.argmax(inner))
    if offset < max_phase * period and profile[offset] >= min_ratio * profile[:guard].max():
        moved = beat_frames + offset
        return moved[moved < onset_envelope.shape[0]]
    return beat_frames


def peak_near(envelope: np.ndarray, frames: np.ndarray, radius: int = 2) -> np.ndarray:
    """The envelope's maximum within ``radius`` frames of each of ``frames``."""
    padded = np.pad(envelope, radius)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    return windows[frames].max(axis=1)


def _local_score(onsets: np.ndarray, frames_per_beat: float) -> np.ndarray:
    fpb = int(frames_per_beat)
    window = np.exp(-0.5 * (np.arange(-fpb, fpb + 1) * 32.0 / frames_per_beat) ** 2)
    return np.convolve(onsets, window, mode="same").astype(onsets.dtype, copy=False)


def _beat_dp(localscore: np.ndarray, frames_per_beat: float, tightness: float):
    n = localscore.shape[0]
    nearest = int(np.round(frames_per_beat / 2))
    farthest = int(2 * frames_per_beat)
    # Candidate predecessors of frame i are i - d for d in [nearest, farthest].
    distances = np.arange(nearest, farthest + 1)
    penalty = tightness * (np.log(distances) - np.log(frames_per_beat)) ** 2
    # float32 like librosa's onset envelope, so ties between near-equal paths break the same way.
    cumscore = np.zeros(n, dtype=localscore.dtype)
    backlink = np.full(n, -1, dtype=np.int64)
    padded = np.full(n + farthest, -np.inf, dtype=localscore.dtype)  # padded[k + farthest] == cumscore[k]
    step = max(nearest, 1)
    for start in range(0, n, step):
        idx = np.arange(start, min(start + step, n))
        candidates = padded[(idx[:, None] - distances[None, :]) + farthest] - penalty
        best = np.argmax(candidates, axis=1)
        best_score = candidates[np.arange(idx.shape[0]), best]
        found = np.isfinite(best_score)
        cumscore[idx] = localscore[idx] + np.where(found, best_score, 0.0)
        backlink[idx] = np.where(found, idx - distances[best], -1)
        padded[idx + farthest] = cumscore[idx]
    # Before the first onset that clears the threshold, no beat links backwards.
    above = np.flatnonzero(localscore >= 0.01 * localscore.max())
    first = int(above[0]) if above.size else n
    backlink[:first] = -1
    return backlink, cumscore


def _last_beat(cumscore: np.ndarray) -> int:
    peaks = np.zeros(cumscore.shape[0], dtype=bool)
    peaks[1:-1] = (cumscore[1:-1] > cumscore[:-2]) & (cumscore[1:-1] >= cumscore[2:])
    if cumscore.shape[0] > 1:
        peaks[-1] = cumscore[-1] > cumscore[-2]
    if not peaks.any():
        return cumscore.shape[0] - 1
    threshold = 0.5 * np.median(cumscore[peaks])
    good = np.flatnonzero(peaks & (cumscore >= threshold))
    return int(good[-1]) if good.size else cumscore.shape[0] - 1


def _trim_beats(localscore: np.ndarray, beats: np.ndarray) -> np.ndarray:
    beats = beats.copy()
    w = np.hanning(5)
    smooth = np.convolve(localscore[beats], w)[len(w) // 2 : localscore.shape[0] + len(w) // 2]
    threshold = 0.5 * np.sqrt((smooth**2).mean()) if smooth.size else 0.0
    low = localscore <= threshold
    n_lead = int(np.argmin(low)) if not low.all() else low.shape[0]
    beats[:n_lead] = False
    n_trail = int(np.argmin(low[::-1])) if not low.all() else low.shape[0]
    beats[low.shape[0] - n_trail :] = False
    return beats


def pulse_clarity(
    onset_envelope: np.ndarray,
    *,
    sr: int = SR,
    hop_length: int = HOP_LENGTH,
    min_bpm: float = 40.0,
    max_bpm: float = 240.0,
) -> float:
    """How periodic the onsets are: the highest autocorrelation of the mean-removed onset envelope
    at a beat period between ``min_bpm`` and ``max_bpm``, relative to lag 0 (1 for a metronome,
    near 0 for noise)."""
    x = onset_envelope - onset_envelope.mean()
    n = x.shape[0]
    n_fft = scipy.fft.next_fast_len(2 * n, real=True)
    acf = scipy.fft.irfft(np.abs(scipy.fft.rfft(x, n=n_fft)) ** 2, n=n_fft)[:n]
    if acf[0] <= 0:
        return 0.0
    acf = acf / acf[0]
    frame_rate = sr / hop_length
    lo = int(np.floor(60.0 * frame_rate / max_bpm))
    hi = min(int(np.ceil(60.0 * frame_rate / min_bpm)), n // 2)
    return float(acf[lo : hi + 1].max()) if hi > lo else 0.0
