"""An audio-only judge of a remix: where its seams are and how they sound, from the audio alone.

The judge never reads a plan. It aligns the remix to its source (a remix is runs of the source's
beats copied exactly, joined by short crossfades), recovers every seam, and measures each one the
way the field does: the Infinite Jukebox's rhythm across a jump, and the seam vetoes InfiniPlay
measured (level within 4 dB, kick band within 6 dB, spectral continuity), each against the song's
own beat boundaries, which are the natural distribution a seam should fall inside.

Alignment, in three passes:

1. **Coarse**: log-mel frames (hop 512 at 22.05 kHz) of both, each frame's mean removed so that a
   fade does not break the match; every remix frame's nearest source frame (squared distance, in
   blocks) votes for an offset ``source frame - remix frame``.
2. **Path**: the offsets voted for often enough are the candidates; a dynamic program picks, frame
   by frame, the candidate with the least distance, paying a penalty for every change, so the offset
   is piecewise constant; runs shorter than :data:`MIN_RUN_S` are merged into a neighbour.
3. **Refine**: each segment's offset to the sample by cross-correlating its waveform with the
   source, then each seam's position as the split point that minimizes the residual of the left
   offset before it and the right offset after it. A crossfade is ambiguous (both offsets half
   fit); that split falls at its centre.

:func:`ground_truth_scores` scores an analysis (beats, downbeats, tempo, meter) against a known truth.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

import numpy as np

SR = 22050
HOP = 512
N_FFT = 2048
N_MELS = 64
FRAME_S = HOP / SR

MIN_RUN_S = 0.5  # a segment shorter than this is alignment noise, not a run the walk played
SWITCH_PENALTY = 3.0  # decades of residual (see _log_costs): a look-alike bar shows 2-5 per block
RESIDUAL_FLOOR = 1e-6  # 1 - ncc^2 below this is a copy, whatever the rounding
WAVE_FRAMES = 4  # frames per block of waveform evidence (93 ms)
WAVE_TOP = 8  # spectrally closest candidates per block whose waveform is checked
SLIDE_S = 0.015  # the renderer slides a run up to 12 ms off the frame grid
SILENT_DB = 60.0  # remix frames this far below the source's loudest carry no alignment evidence
BLOCK = 1024  # remix frames per block of the similarity matrix: 1024 x 8000 floats is 32 MB
TINY_S = 0.4  # a piece shorter than this after the splits is not a run (MIN_RUN_S, less the splits)
SAME_OFFSET_S = 0.002  # neighbours copying this close to the same place are one run
LONG_BLEND_S = 0.1  # a blend longer than this is a free-time crossfade
SPLIT_S = 0.75  # how far around a coarse seam its position is searched (a 1 s crossfade fits)

RHYTHM_S = 2.0  # onset envelope compared over this long after a seam
CHANCE_PAIRS = 400
LEVEL_S = 0.100  # level and spectrum measured over this long each side of a join
GAP_S = 0.020  # minimum half-width left out around a join (the crossfade)
PEAK_S = 0.050  # the window of the peak level at a join
LEVEL_DB, KICK_DB, PEAK_DB = 4.0, 6.0, 1.0  # InfiniPlay's vetoes; the peak margin over the song's own
KICK_HZ = 150.0
FLOOR_DB = 60.0  # levels are floored this far below the song's average power
MARGIN_DB = 1.0  # over the song's own p95 before a change counts as louder than the song
SAME_JUMP_S = 0.050
END_TOLERANCE_S = 0.3
FADE_DB = 3.0  # the last second this much quieter than the source it copies is a fade
CLIP_LEVEL = 0.999
CLIP_WINDOW_S = 0.012
RNG_SEED = 0


@dataclass(frozen=True)
class Segment:
    """A stretch of the remix copied from the source: ``[out_start, out_end)`` from ``src_start``."""

    out_start: float
    out_end: float
    src_start: float

    @property
    def src_end(self) -> float:
        return self.src_start + (self.out_end - self.out_start)


@dataclass(frozen=True)
class Seam:
    """A join at ``out_time``: the source was at ``src_from`` when it left and went on at ``src_to``."""

    out_time: float
    src_from: float
    src_to: float
    crossfade: float  # estimated width of the blend, seconds


@dataclass(frozen=True)
class SeamMeasures:
    """What one join (a seam, or one of the source's own beat boundaries) sounds like."""

    level_db: float  # broadband RMS after minus before
    kick_db: float  # the same below KICK_HZ
    cosine: float  # mel spectra before vs after
    peak_db: float  # RMS of the PEAK_S window centred on the join


@dataclass
class RemixVerdict:
    """Everything the judge found; see :func:`judge_remix` and ``bench/README.md``."""

    duration: float
    source_duration: float
    segments: list[Segment]
    seams: list[Seam]
    n_seams: int
    median_gap_s: float | None
    rhythm_match: float | None  # median over seams
    rhythm_chance: float  # median over random beat pairs
    rhythm_beats_chance: float | None  # share of seams above the chance p75
    seam_measures: list[SeamMeasures]
    natural: dict[str, float]  # p95 of |level|, |kick|, p5 of cosine, max peak at source beats
    loud: list[bool]
    n_loud: int
    loud_share: float | None
    longest_repeat: int  # the same jump taken this many times in a row
    most_taken: int  # the most times any one jump is taken
    coverage: float  # share of the source played at least once
    reaches_end: bool
    fade: bool
    ends_on_song: bool
    clipped_added: int
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready figures, without the per-seam lists' dataclasses."""
        out = asdict(self)
        out["segments"] = [asdict(s) for s in self.segments]
        out["seams"] = [asdict(s) for s in self.seams]
        return out


# --- audio plumbing ---------------------------------------------------------------------------------


def as_channels(y: np.ndarray) -> np.ndarray:
    """``y`` as ``(channels, samples)`` float32; a 2-D array's shorter axis is taken as channels."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        return y[np.newaxis]
    if y.ndim != 2:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {y.shape}")
    return y if y.shape[0] <= y.shape[1] else y.T


def mel_db(y: np.ndarray) -> np.ndarray:
    """Log-mel power, ``(frames, N_MELS)`` in dB re full scale."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10).T.astype(np.float32)


# --- alignment --------------------------------------------------------------------------------------


def _shape(db: np.ndarray, floor: float) -> np.ndarray:
    # Clipping at a floor keeps near-silence from matching on noise; removing each frame's mean makes
    # the match blind to gain, so a fade-out still finds the beats it fades.
    clipped = np.maximum(db, floor)
    return clipped - clipped.mean(axis=1, keepdims=True)


def _nearest_offsets(out_f: np.ndarray, src_f: np.ndarray) -> np.ndarray:
    """For each remix frame, ``argmin_s |out - src_s|^2 - frame``: the offset it votes for."""
    src_sq = (src_f**2).sum(axis=1)
    votes = np.empty(len(out_f), dtype=np.int64)
    for start in range(0, len(out_f), BLOCK):
        block = out_f[start : start + BLOCK]
        dist = src_sq[np.newaxis, :] - 2.0 * block @ src_f.T  # |out|^2 is constant per row
        votes[start : start + len(block)] = dist.argmin(axis=1) - np.arange(start, start + len(block))
    return votes


def _candidates(votes: np.ndarray, *, min_votes: int = 3, cap: int = 400) -> np.ndarray:
    values, counts = np.unique(votes, return_counts=True)
    keep = values[counts >= min_votes]
    if len(keep) > cap:
        keep = values[np.argsort(-counts)[:cap]]
    if len(keep) == 0:
        keep = values[np.argsort(-counts)[:1]]
    # A true offset is rarely an exact number of frames; the waveform search covers the neighbours.
    return np.unique(keep)


def _spectral_costs(out_f: np.ndarray, src_f: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Mean squared log-mel distance of each remix frame to the source frame each offset points at."""
    n_out, n_src = len(out_f), len(src_f)
    costs = np.full((n_out, len(offsets)), np.inf, dtype=np.float32)
    frames = np.arange(n_out)
    for k, off in enumerate(offsets):
        idx = frames + off
        valid = (idx >= 0) & (idx < n_src)
        costs[valid, k] = ((out_f[valid] - src_f[idx[valid]]) ** 2).mean(axis=1)
    return costs


def _waveform_costs(
    out: np.ndarray, src: np.ndarray, sr: int, offsets: np.ndarray, spectral: np.ndarray, silent: np.ndarray
) -> np.ndarray:
    """Per block of :data:`WAVE_FRAMES` frames and candidate, ``1 - ncc^2`` at the best nearby lag.

    Spectral frames cannot tell an exact copy from a look-alike bar (a loop, a repeated chorus) once
    the frames straddle the copy's sub-frame offset; the waveform can: a copy leaves no residual, a
    look-alike a few per cent. Only the :data:`WAVE_TOP` spectrally closest candidates of each block
    are evaluated (the rest cost 1: they are not even spectrally near). The normalized correlation is
    blind to gain, so a fade-out still fits its source.
    """
    n_blocks = int(np.ceil(len(spectral) / WAVE_FRAMES))
    costs = np.ones((n_blocks, len(offsets)), dtype=np.float32)
    hop = HOP * sr / SR
    length = round(WAVE_FRAMES * hop)
    search = round(1.5 * hop + SLIDE_S * sr)
    size = 1 << int(np.ceil(np.log2(length + 2 * search + length)))
    src_sq = np.concatenate([[0.0], np.cumsum(src.astype(np.float64) ** 2)])
    previous: int | None = None
    for b in range(n_blocks):
        f0, f1 = b * WAVE_FRAMES, min(len(spectral), (b + 1) * WAVE_FRAMES)
        if silent[f0:f1].all():
            costs[b] = 0.0  # no evidence either way: let the path keep its offset
            continue
        o0 = round(f0 * hop)
        piece = out[o0 : o0 + length].astype(np.float64)
        e_out = float(piece @ piece)
        if e_out <= 0:
            costs[b] = 0.0
            continue
        block_cost = spectral[f0:f1].sum(axis=0)
        order = _distinct(np.argsort(block_cost), offsets, block_cost)
        if previous is not None and previous not in order:
            # The offset that fit the last block is always tried again: in a fade or a passage whose
            # frames all look alike it may rank low spectrally, and a run must not break for that.
            order.append(previous)
        spec_piece = np.conj(np.fft.rfft(piece, size))
        for k in order:
            lo = o0 + round(offsets[k] * hop) - search
            hi = lo + len(piece) + 2 * search
            if lo < 0 or hi > len(src):
                continue
            corr = np.fft.irfft(np.fft.rfft(src[lo:hi], size) * spec_piece, size)[: 2 * search + 1]
            e_src = src_sq[lo + len(piece) : hi + 1] - src_sq[lo : hi - len(piece) + 1]
            ncc = np.clip(corr, 0, None) / np.sqrt(np.maximum(e_src * e_out, 1e-30))
            # The search spans a frame either side, so the offsets a frame away are this same copy.
            twins = np.abs(offsets - offsets[k]) <= 1
            costs[b, twins] = np.minimum(costs[b, twins], 1.0 - float(ncc.max()) ** 2)
        previous = int(costs[b].argmin())
    return costs


def _log_costs(residual: np.ndarray) -> np.ndarray:
    """Residuals as decades above a copy's own noise floor.

    A copy's residual is that of 16-bit rounding (about 1e-7) or of a lossy codec (1e-3 or more);
    a look-alike's is 1e-4 to 1e-1. Measured in decades above the floor the copies themselves show
    (the median of each block's best), the evidence of every block counts alike, wherever the floor is.
    """
    best = residual.min(axis=1)
    floor = max(RESIDUAL_FLOOR, 2.0 * float(np.median(best[best > 0])) if np.any(best > 0) else 0.0)
    return np.log10(np.maximum(residual, floor) / floor).astype(np.float32)


def _distinct(order: np.ndarray, offsets: np.ndarray, cost: np.ndarray) -> list[int]:
    # Offsets a frame apart are one copy seen through a different framing (the search covers both);
    # taking the best of each leaves room for every look-alike bar among the WAVE_TOP.
    chosen: list[int] = []
    for k in order:
        if not np.isfinite(cost[k]) or len(chosen) >= WAVE_TOP:
            break
        if all(abs(int(offsets[k]) - int(offsets[c])) > 1 for c in chosen):
            chosen.append(int(k))
    return chosen


def _best_path(costs: np.ndarray, penalty: float) -> np.ndarray:
    """Index of the candidate per row minimizing total cost plus ``penalty`` per change."""
    n, k = costs.shape
    back = np.zeros((n, k), dtype=np.int32)
    acc = costs[0].astype(np.float64)
    stay = np.arange(k, dtype=np.int32)
    for t in range(1, n):
        best = int(acc.argmin())
        switch = acc[best] + penalty
        moved = switch < acc
        back[t] = np.where(moved, best, stay)
        acc = np.where(moved, switch, acc) + costs[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(acc.argmin())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _runs(values: np.ndarray) -> list[tuple[int, int, int]]:
    """``(start, end, value)`` of each run of equal values."""
    change = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(values)]])
    return [(int(s), int(e), int(values[s])) for s, e in zip(starts, ends, strict=True)]


def _merge_short(runs: list[tuple[int, int, int]], min_len: int) -> list[tuple[int, int, int]]:
    """Give runs shorter than ``min_len`` to their longer neighbour; join equal neighbours."""
    runs = _join_equal(runs)
    while len(runs) > 1:
        lengths = [e - s for s, e, _ in runs]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_len:
            break
        s, e, _ = runs[i]
        left = lengths[i - 1] if i > 0 else -1
        right = lengths[i + 1] if i + 1 < len(runs) else -1
        if left >= right:
            ps, _, pv = runs[i - 1]
            runs[i - 1 : i + 1] = [(ps, e, pv)]
        else:
            _, ne, nv = runs[i + 1]
            runs[i : i + 2] = [(s, ne, nv)]
        runs = _join_equal(runs)
    return runs


def _join_equal(runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for s, e, v in runs:
        # Offsets a frame apart are one run whose true offset falls between frames.
        if out and abs(out[-1][2] - v) <= 1:
            keep = out[-1][2] if out[-1][1] - out[-1][0] >= e - s else v
            out[-1] = (out[-1][0], e, keep)
        else:
            out.append((s, e, v))
    return out


def _refine_offset(out: np.ndarray, src: np.ndarray, start: int, end: int, coarse: int, search: int) -> int:
    """The sample offset in ``coarse ± search`` where ``src`` best matches ``out[start:end]``."""
    piece = out[start:end].astype(np.float64)
    lo = max(0, start + coarse - search)
    hi = min(len(src), end + coarse + search)
    if hi - lo <= len(piece) or len(piece) < 64 or not np.any(piece):
        return coarse
    region = src[lo:hi].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(region) + len(piece))))
    lags = len(region) - len(piece) + 1
    corr = np.fft.irfft(np.fft.rfft(region, size) * np.conj(np.fft.rfft(piece, size)), size)[:lags]
    csum = np.concatenate([[0.0], np.cumsum(region**2)])
    energy = csum[len(piece) :] - csum[:lags]
    score = corr / np.sqrt(np.maximum(energy, 1e-30))
    return lo - start + int(np.argmax(score))


def _residual(out: np.ndarray, src: np.ndarray, lo: int, hi: int, offset: int, window: int) -> np.ndarray:
    """Residual energy of ``out[lo:hi]`` against the source at ``offset``, best gain per ``window``.

    The gain is fitted over each short window, so a fade-out (the copy at a falling gain) still
    leaves no residual; samples off the source's ends count as all error.
    """
    seg = out[lo:hi].astype(np.float64)
    idx = np.arange(lo, hi) + offset
    ok = (idx >= 0) & (idx < len(src))
    ref = np.zeros_like(seg)
    ref[ok] = src[idx[ok]]
    kernel = np.ones(window)
    oo = np.convolve(seg * seg, kernel, "same")
    os_ = np.convolve(seg * ref, kernel, "same")
    ss = np.convolve(ref * ref, kernel, "same")
    err = np.maximum(oo - os_**2 / np.maximum(ss, 1e-20), 0.0) / window
    err[~ok] = seg[~ok] ** 2 + 1e-6
    return err


def _split(
    out: np.ndarray, src: np.ndarray, sr: int, lo: int, hi: int, left: int, right: int
) -> tuple[int, int]:
    """Seam position in ``[lo, hi)`` between offsets ``left`` and ``right``, and the blend's width."""
    window = max(1, round(0.005 * sr))
    err_l = _residual(out, src, lo, hi, left, window)
    err_r = _residual(out, src, lo, hi, right, window)
    # Split where "left before, right after" leaves the least residual; in a blend both offsets
    # explain half, so the split lands at its centre.
    cum_l = np.concatenate([[0.0], np.cumsum(err_l)])
    cum_r = np.concatenate([[0.0], np.cumsum(err_r)])
    cut = int(np.argmin(cum_l + (cum_r[-1] - cum_r)))
    # Blend width: where neither offset alone explains the audio (smoothed over 5 ms).
    kernel = np.ones(max(1, round(0.005 * sr)))
    el, er = np.convolve(err_l, kernel, "same"), np.convolve(err_r, kernel, "same")
    share = el / np.maximum(el + er, 1e-30)
    level = np.convolve(out[lo:hi].astype(np.float64) ** 2, kernel, "same")
    mixed = (share > 0.1) & (share < 0.9) & (np.minimum(el, er) > 0.01 * level)
    span = _blend_span(mixed, cut, round(0.02 * sr))
    if span is not None and span[1] - span[0] > LONG_BLEND_S * sr:
        # A long blend of look-alike passages leaves the split point anywhere inside it: take its centre.
        return lo + (span[0] + span[1]) // 2, span[1] - span[0]
    return lo + cut, int(mixed.sum())


def _blend_span(mixed: np.ndarray, cut: int, smooth: int) -> tuple[int, int] | None:
    """The stretch (smoothed over ``smooth`` samples) of ``mixed`` nearest ``cut``, or ``None``."""
    dense = np.convolve(mixed.astype(float), np.ones(smooth) / smooth, "same") > 0.5
    runs = [(s, e) for s, e, v in _runs(dense.astype(np.int64)) if v]
    if not runs:
        return None
    return min(runs, key=lambda r: 0 if r[0] <= cut < r[1] else min(abs(cut - r[0]), abs(cut - r[1])))


def align(source: np.ndarray, remix: np.ndarray, sr: int) -> tuple[list[Segment], list[Seam]]:
    """Segments and seams of ``remix`` against ``source`` (mono, both at ``sr``).

    Returns
    -------
    segments : list of Segment
        In output order, covering the remix.
    seams : list of Seam
        One per boundary between consecutive segments.
    """
    src22, out22 = _resample(source, sr), _resample(remix, sr)
    src_db, out_db = mel_db(src22), mel_db(out22)
    floor = float(src_db.max()) - 80.0
    src_f, out_f = _shape(src_db, floor), _shape(out_db, floor)
    silent = out_db.max(axis=1) < float(src_db.max()) - SILENT_DB
    votes = _nearest_offsets(out_f, src_f)
    offsets = _candidates(votes[~silent] if np.any(~silent) else votes)
    spectral = _spectral_costs(out_f, src_f, offsets)
    wave = _log_costs(_waveform_costs(remix, source, sr, offsets, spectral, silent))
    path = offsets[_best_path(wave, SWITCH_PENALTY)]
    block_s = WAVE_FRAMES * FRAME_S
    runs = _merge_short(_runs(path), max(1, round(MIN_RUN_S / block_s)))
    runs = [(s * WAVE_FRAMES, min(e * WAVE_FRAMES, len(out_f)), v) for s, e, v in runs]
    return _refine(source, remix, sr, runs)


def _resample(y: np.ndarray, sr: int) -> np.ndarray:
    import librosa

    if sr == SR:
        return y
    return librosa.resample(y, orig_sr=sr, target_sr=SR, res_type="soxr_hq").astype(np.float32)


def _refine(
    source: np.ndarray, remix: np.ndarray, sr: int, runs: list[tuple[int, int, int]]
) -> tuple[list[Segment], list[Seam]]:
    """Sample offsets per run (frame units in ``runs``), then each seam's split point."""
    hop = HOP * sr / SR
    search = round(hop + SLIDE_S * sr)
    fine: list[int] = []
    for s, e, off in runs:
        start, end = round(s * hop), min(round(e * hop), len(remix))
        # The run's middle, away from the blends at its edges, decides its offset (at most 4 s of it).
        margin = min((end - start) // 4, round(0.1 * sr))
        mid_lo, mid_hi = start + margin, end - margin
        if mid_hi - mid_lo > 4 * sr:
            centre = (mid_lo + mid_hi) // 2
            mid_lo, mid_hi = centre - 2 * sr, centre + 2 * sr
        fine.append(_refine_offset(remix, source, mid_lo, mid_hi, round(off * hop), search))
    cuts, widths = [0], []
    half = round(SPLIT_S * sr)
    for i in range(1, len(runs)):
        coarse = round(runs[i][0] * hop)
        lo = max(cuts[-1] + 1, coarse - half, round((runs[i - 1][0] * hop + coarse) / 2))
        hi = min(len(remix), coarse + half, round((coarse + runs[i][1] * hop) / 2))
        cut, width = _split(remix, source, sr, lo, max(hi, lo + 2), fine[i - 1], fine[i])
        cuts.append(cut)
        widths.append(width)
    cuts.append(len(remix))
    pieces = _clean(
        [[cuts[i], cuts[i + 1], fine[i], widths[i - 1] if i else 0] for i in range(len(runs))], sr
    )
    segments = [Segment(a / sr, b / sr, max(0.0, (a + off) / sr)) for a, b, off, _ in pieces]
    seams = [
        Seam(cur[0] / sr, (cur[0] + prev[2]) / sr, (cur[0] + cur[2]) / sr, cur[3] / sr)
        for prev, cur in itertools.pairwise(pieces)
    ]
    return segments, seams


def _clean(pieces: list[list[int]], sr: int) -> list[list[int]]:
    """Drop pieces the splits squeezed under :data:`TINY_S`; join neighbours copying at one offset.

    Each piece is ``[start, end, offset, blend width at its start]`` in samples. A squeezed piece is
    nearly always a look-alike the path held for a moment after a real seam, so the next piece takes
    it over from its start: that start is where the seam was.
    """
    tiny, same = round(TINY_S * sr), round(SAME_OFFSET_S * sr)
    kept: list[list[int]] = []
    for i, piece in enumerate(pieces):
        if piece[1] - piece[0] < tiny and i + 1 < len(pieces):
            pieces[i + 1] = [piece[0], pieces[i + 1][1], pieces[i + 1][2], piece[3]]
        elif piece[1] - piece[0] < tiny and kept:
            kept[-1][1] = piece[1]
        else:
            kept.append(list(piece))
    out: list[list[int]] = []
    for piece in kept:
        if out and abs(out[-1][2] - piece[2]) <= same:
            out[-1][1] = piece[1]
        else:
            out.append(piece)
    return out


# --- measures ---------------------------------------------------------------------------------------


def onset_envelope(y: np.ndarray) -> np.ndarray:
    """librosa's onset strength of mono ``y`` at :data:`SR`, hop :data:`HOP`."""
    import librosa

    return librosa.onset.onset_strength(y=y, sr=SR, hop_length=HOP).astype(np.float64)


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) != len(b) or len(a) < 8:
        return None
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else None


def rhythm(
    seams: list[Seam], out_env: np.ndarray, src_env: np.ndarray, beats: np.ndarray
) -> tuple[list[float | None], np.ndarray]:
    """Per seam, the onset envelope after it against the source's own continuation; and chance.

    Chance is the same correlation between the source after one random beat and after another.
    """
    n = round(RHYTHM_S / FRAME_S)

    def window(env: np.ndarray, t: float) -> np.ndarray:
        i = round(t / FRAME_S)
        return env[i : i + n] if i >= 0 else env[:0]

    matches = [_corr(window(out_env, s.out_time), window(src_env, s.src_from)) for s in seams]
    rng = np.random.default_rng(RNG_SEED)
    usable = beats[beats + RHYTHM_S < len(src_env) * FRAME_S]
    chance: list[float] = []
    if len(usable) >= 2:
        for _ in range(CHANCE_PAIRS):
            p, q = rng.choice(len(usable), size=2, replace=False)
            c = _corr(window(src_env, usable[p]), window(src_env, usable[q]))
            if c is not None:
                chance.append(c)
    return matches, np.asarray(chance)


def _db(x: float) -> float:
    return 10.0 * np.log10(max(x, 1e-12))


def level_floors(y: np.ndarray) -> tuple[float, float]:
    """Powers :data:`FLOOR_DB` below the song's average, broadband and in the kick band.

    A window of near-silence (a decayed kick, a pause) would otherwise make any change look infinite.
    """
    n = round(LEVEL_S * SR)
    starts = np.linspace(0, max(0, len(y) - n), 200).astype(int)
    frames = np.stack([y[i : i + n] for i in starts]) * np.hanning(n)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    kick = np.fft.rfftfreq(n, 1 / SR) < KICK_HZ
    scale = 10.0 ** (-FLOOR_DB / 10)
    return float(np.mean(y**2)) * scale, float(spec[:, kick].sum(axis=1).mean()) * scale


def join_measures(
    y: np.ndarray, t: float, gap: float, mel_fb: np.ndarray, floors: tuple[float, float]
) -> SeamMeasures | None:
    """Level, kick-band level, spectral cosine and peak level across a join at ``t`` in mono ``y``."""
    n, g = round(LEVEL_S * SR), round(max(gap, GAP_S) * SR)
    i = round(t * SR)
    if i - g - n < 0 or i + g + n > len(y):
        return None
    before, after = y[i - g - n : i - g], y[i + g : i + g + n]
    win = np.hanning(n)
    spec_b, spec_a = np.abs(np.fft.rfft(before * win)) ** 2, np.abs(np.fft.rfft(after * win)) ** 2
    kick = np.fft.rfftfreq(n, 1 / SR) < KICK_HZ
    mel_b, mel_a = mel_fb @ spec_b, mel_fb @ spec_a
    den = float(np.linalg.norm(mel_b) * np.linalg.norm(mel_a))
    p = round(PEAK_S * SR / 2)
    peak = y[max(0, i - p) : i + p]
    broad, low = floors
    return SeamMeasures(
        level_db=_db(max(float(np.mean(after**2)), broad)) - _db(max(float(np.mean(before**2)), broad)),
        kick_db=_db(max(float(spec_a[kick].sum()), low)) - _db(max(float(spec_b[kick].sum()), low)),
        cosine=float(mel_b @ mel_a / den) if den > 0 else 1.0,
        peak_db=_db(float(np.mean(peak**2))),
    )


def _mel_fb(n: int) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=SR, n_fft=n, n_mels=40)


def cut_phases(seams: list[Seam], beats: np.ndarray) -> np.ndarray:
    """Where, against the beat, the seams cut: 5th to 95th percentile of their phases, 5 values.

    A remixer cuts at a roughly fixed place against the beat (ours just before the attack, give or
    take the slide that aligns the waveforms); a join's level depends strongly on that place, so the
    song's own boundaries are measured across the same spread of places.
    """
    if not seams or len(beats) == 0:
        return np.zeros(1)
    leaves = np.array([s.src_from for s in seams])
    nearest = beats[np.abs(leaves[:, np.newaxis] - beats[np.newaxis, :]).argmin(axis=1)]
    return np.unique(np.round(np.percentile(leaves - nearest, [5, 27.5, 50, 72.5, 95]), 4))


def natural_thresholds(measures: list[SeamMeasures]) -> dict[str, float]:
    """The song's own beat boundaries: p95 of |level| and |kick| change, p5 of cosine, max peak."""
    if not measures:
        return {"level_p95": 0.0, "kick_p95": 0.0, "cosine_p5": 1.0, "peak_max": 0.0, "n": 0}
    return {
        "level_p95": float(np.percentile([abs(m.level_db) for m in measures], 95)),
        "kick_p95": float(np.percentile([abs(m.kick_db) for m in measures], 95)),
        "cosine_p5": float(np.percentile([m.cosine for m in measures], 5)),
        "cosine_median": float(np.median([m.cosine for m in measures])),
        "peak_max": float(max(m.peak_db for m in measures)),
        "n": len(measures),
    }


def is_loud(m: SeamMeasures, natural: dict[str, float], replaced: SeamMeasures | None = None) -> bool:
    """InfiniPlay's vetoes: a seam's jolt against what the song itself does at the boundary it replaces.

    ``replaced`` is the source's own join where the seam left it (the tail of the beat played into
    the beat the jump skipped), measured as far either side as the seam is: a seam that steps up
    as much as the song did there (a section whose bass enters on the downbeat) is heard as the
    song, not as a seam. The seam is loud when its
    level change departs from that by more than :data:`LEVEL_DB`, its kick-band change by more than
    :data:`KICK_DB`, or its peak tops the loudest of the song's own beat boundaries by
    :data:`PEAK_DB`. Without ``replaced`` (a seam too near the source's edge), the changes are held
    to the song's p95 instead, plus :data:`MARGIN_DB`.
    """
    if m.peak_db > natural["peak_max"] + PEAK_DB:
        return True
    if replaced is not None:
        return abs(m.level_db - replaced.level_db) > LEVEL_DB or abs(m.kick_db - replaced.kick_db) > KICK_DB
    return abs(m.level_db) > max(LEVEL_DB, natural["level_p95"] + MARGIN_DB) or abs(m.kick_db) > max(
        KICK_DB, natural["kick_p95"] + MARGIN_DB
    )


def repeats(seams: list[Seam]) -> tuple[int, int]:
    """The longest run of the same jump taken back to back, and the most times any jump is taken."""

    def same(a: Seam, b: Seam) -> bool:
        return abs(a.src_from - b.src_from) <= SAME_JUMP_S and abs(a.src_to - b.src_to) <= SAME_JUMP_S

    if not seams:
        return 0, 0
    longest = run = 1
    for prev, cur in itertools.pairwise(seams):
        run = run + 1 if same(prev, cur) else 1
        longest = max(longest, run)
    most = max(sum(same(a, b) for b in seams) for a in seams)
    return longest, most


def coverage(segments: list[Segment], source_duration: float) -> float:
    """Share of the source inside at least one segment."""
    spans = sorted((max(0.0, s.src_start), min(source_duration, s.src_end)) for s in segments)
    covered, reach = 0.0, 0.0
    for lo, hi in spans:
        lo = max(lo, reach)
        if hi > lo:
            covered += hi - lo
            reach = hi
    return covered / source_duration if source_duration > 0 else 0.0


def ending(segments: list[Segment], src: np.ndarray, out: np.ndarray) -> tuple[bool, bool]:
    """Whether the last segment reaches the source's end, and whether the remix fades out.

    The fade test compares the remix's last second with the source it copies there (the last
    segment's mapping), so an ending that is quiet in the song itself is not a fade.
    """
    last = segments[-1]
    src_dur = len(src) / SR
    reaches = last.src_end >= src_dur - END_TOLERANCE_S
    n = min(SR, len(out))
    tail = out[len(out) - n :]
    start = round((last.src_start + (len(out) - n) / SR - last.out_start) * SR)
    ref = src[max(0, start) : max(0, start) + n]
    fade = bool(len(ref) and _db(float(np.mean(tail**2))) < _db(float(np.mean(ref**2))) - FADE_DB)
    return bool(reaches), fade


def clipping_added(source: np.ndarray, remix: np.ndarray, sr: int, segments: list[Segment]) -> int:
    """Full-scale samples within :data:`CLIP_WINDOW_S` of each seam, minus the source's there."""
    src, out = as_channels(source), as_channels(remix)
    w = round(CLIP_WINDOW_S * sr)
    added = 0
    for left, right in itertools.pairwise(segments):
        i = round(right.out_start * sr)
        for seg, lo, hi in ((left, i - w, i), (right, i, i + w)):
            lo, hi = max(0, lo), min(out.shape[1], hi)
            shift = round((seg.src_start - seg.out_start) * sr)
            slo, shi = max(0, lo + shift), min(src.shape[1], hi + shift)
            ours = int((np.abs(out[:, lo:hi]) >= CLIP_LEVEL).sum())
            theirs = int((np.abs(src[:, slo:shi]) >= CLIP_LEVEL).sum())
            added += max(0, ours - theirs)
    return added


def source_beat_times(source_mono: np.ndarray) -> np.ndarray:
    """librosa's beat tracker with its defaults (never our engine's)."""
    import librosa

    _, frames = librosa.beat.beat_track(y=source_mono, sr=SR, hop_length=HOP)
    return librosa.frames_to_time(frames, sr=SR, hop_length=HOP)


# --- the verdict ------------------------------------------------------------------------------------


def judge_remix(
    source_y: np.ndarray, remix_y: np.ndarray, sr: int, *, source_beats: np.ndarray | None = None
) -> RemixVerdict:
    """Judge ``remix_y`` as a remix of ``source_y`` from their audio alone.

    Parameters
    ----------
    source_y, remix_y : ndarray
        Float audio, mono or ``(channels, samples)`` / ``(samples, channels)``, at ``sr``.
    sr : int
        Their sample rate.
    source_beats : ndarray or None
        The source's beat times in seconds; ``None`` runs librosa's beat tracker on it.

    Returns
    -------
    RemixVerdict
    """
    src_mono, out_mono = as_channels(source_y).mean(axis=0), as_channels(remix_y).mean(axis=0)
    segments, seams = align(src_mono, out_mono, sr)
    src, out = _resample(src_mono, sr), _resample(out_mono, sr)
    beats = source_beat_times(src) if source_beats is None else np.asarray(source_beats, dtype=float)

    matches, chance = rhythm(seams, onset_envelope(out), onset_envelope(src), beats)
    found = [m for m in matches if m is not None]
    chance_p75 = float(np.percentile(chance, 75)) if len(chance) else None

    fb = _mel_fb(round(LEVEL_S * SR))
    phases = cut_phases(seams, beats)
    floors = level_floors(src)
    points = (beats[1:, np.newaxis] + phases[np.newaxis, :]).ravel()
    natural = natural_thresholds([m for t in points if (m := join_measures(src, t, GAP_S, fb, floors))])
    natural["phases_s"] = phases.tolist()
    measured = [
        (
            join_measures(out, s.out_time, s.crossfade / 2, fb, floors),
            # The song's own join measured as far from it as the seam's (half its crossfade): over
            # a second-long blend a pad drifts, and its drift is the song, not a jolt.
            join_measures(src, s.src_from, s.crossfade / 2, fb, floors),
        )
        for s in seams
    ]
    seam_measures = [m for m, _ in measured if m is not None]
    loud = [is_loud(m, natural, replaced) for m, replaced in measured if m is not None]

    longest, most = repeats(seams)
    reaches, fade = ending(segments, src, out)
    gaps = np.diff([0.0] + [s.out_time for s in seams]) if seams else np.array([])
    return RemixVerdict(
        duration=len(out) / SR,
        source_duration=len(src) / SR,
        segments=segments,
        seams=seams,
        n_seams=len(seams),
        median_gap_s=float(np.median(gaps[1:])) if len(gaps) > 1 else None,
        rhythm_match=float(np.median(found)) if found else None,
        rhythm_chance=float(np.median(chance)) if len(chance) else float("nan"),
        rhythm_beats_chance=(
            float(np.mean([m > chance_p75 for m in found])) if found and chance_p75 is not None else None
        ),
        seam_measures=seam_measures,
        natural=natural,
        loud=loud,
        n_loud=int(sum(loud)),
        loud_share=float(np.mean(loud)) if loud else None,
        longest_repeat=longest,
        most_taken=most,
        coverage=coverage(segments, len(src) / SR),
        reaches_end=reaches,
        fade=fade,
        ends_on_song=reaches and not fade,
        clipped_added=clipping_added(source_y, remix_y, sr, segments),
    )


# --- analysis against the truth ---------------------------------------------------------------------


def ground_truth_scores(
    est_beats: np.ndarray,
    est_downbeats: np.ndarray,
    est_tempo: float,
    est_meter: int,
    truth,
) -> dict:
    """Beat and downbeat F (mir_eval, 70 ms, first 5 s trimmed), tempo ratio and meter against ``truth``.

    Parameters
    ----------
    est_beats, est_downbeats : ndarray
        Estimated times in seconds.
    est_tempo : float
        Estimated BPM.
    est_meter : int
        Estimated beats per bar.
    truth : object
        Has ``beats``, ``downbeats`` (arrays or ``None``), ``tempo`` (BPM or ``None``) and ``meter``.

    Returns
    -------
    dict
        ``beat_f``, ``downbeat_f``, ``tempo_ratio``, ``tempo_ok`` (within 4 % of 1x) and
        ``meter_ok``; ``None`` where the truth lacks the figure.
    """
    import mir_eval

    def f(ref, est) -> float | None:
        if ref is None:
            return None
        ref = mir_eval.beat.trim_beats(np.asarray(ref, dtype=float))
        est = mir_eval.beat.trim_beats(np.sort(np.asarray(est, dtype=float)))
        return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=0.07))

    tempo = getattr(truth, "tempo", None)
    ratio = float(est_tempo / tempo) if tempo else None
    meter = getattr(truth, "meter", None)
    return {
        "beat_f": f(truth.beats, est_beats),
        "downbeat_f": f(truth.downbeats, est_downbeats),
        "tempo_ratio": ratio,
        "tempo_ok": None if ratio is None else bool(abs(ratio - 1.0) <= 0.04),
        "meter_ok": None if meter is None else bool(int(est_meter) == int(meter)),
    }
