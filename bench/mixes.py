"""Several songs, one mix (issue 10): shares, transitions and the beat across them, from the audio.

Usage::

    python -m bench.mixes [--cache DIR] [--pairs N] [--triples N] [--seeds 1,2] [--short F]
                          [--sections mixes,timing,memory] [--reps N] [--quick]

Three parts, each run as a user runs our CLI (``musicremixer remix A B [C] -o OUT``, a separate
process, through ``bench/_spawn.py`` so its wall time and peak memory are its own):

1. **Mixes** of pairs and triples of the real set's recordings (:data:`PAIRS`, :data:`TRIPLES`), at
   the default length (each song once through) and, with ``--short F``, at ``F`` times the sum of
   their lengths. Each output is judged from its audio only: every source is aligned to it by
   :func:`bench.judge.align`, each 0.1 s block of the output is labelled with the source it is an
   exact copy of (:func:`label_blocks`), and from that timeline come each song's share, the
   transitions (:func:`find_transitions`), and, around each transition, the beat (librosa's tracker
   on the output, :func:`ibi_steps`), the tempo either side, the loudness either side (BS.1770,
   pyloudnorm) and the clipped samples. The plan (``--plan``) is read only to print what it claims
   beside what was measured.
2. **Timing**: a two-song mix of ``--duration 360`` to WAV and to MP3, and a one-song 6-minute
   remix, ``--reps`` times interleaved; the median wall time against the hosted budget of
   ``docs/DEPLOY.md`` (Netlify's 26 s proxy limit, the fetch timeout, the cold start).
3. **Memory**: three recordings cut or looped to 5:00 (WAV, in a temporary directory), mixed at the
   default length; the CLI process's peak RSS.

Prints the tables and summary lines and writes ``bench/results/mixes-<timestamp>.md`` and ``.json``.
See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.judge import HOP, SR, Segment, _resample, _shape, align, mel_db
from bench.realmusic import remix_command
from bench.run import RESULTS, _loadavg, measure, write_report

# The mixes, chosen once from our analysis' tempi of the set (bench/results realmusic tables) so
# that both handovers occur: close tempi (a blend: within 8 % each side, i.e. about 16 % apart, or a
# half/double tempo that is) and far ones (a cut). Only steady recordings: the scores are renders
# of MIDI and the free-time/ambient pieces (flare-wind, flare-forest, wz-menu, ...) have no beat to
# keep. Pairs alternate close and far, so ``--pairs N`` keeps the mix of both.
PAIRS: tuple[tuple[str, ...], ...] = (
    ("st-classic", "hw-earthrise"),  # 124 / 120 BPM: a blend
    ("st-greatgigantic", "hw-main-theme"),  # 111 / 140: a cut
    ("st-saharan-penguin", "st-clavelian-march"),  # 100 / 100: a blend at one tempo
    ("flare-battle", "hw-rock"),  # 96 / 140: a cut
    ("hw-main-theme", "st-chipdisko"),  # 140 / 136: a blend
    ("hw-snow", "st-clavelian-march"),  # 180 / 100: a blend at half tempo (90 vs 100)
)
TRIPLES: tuple[tuple[str, ...], ...] = (
    ("st-classic", "st-greatgigantic", "st-saharan-penguin"),  # 124 / 111 / 100, about 100 s each
    ("hw-main-theme", "hw-earthrise", "wz-track3"),  # 140 / 120 / 144 (3/4, 48 kHz Opus)
    ("flare-battle", "hw-city", "st-chipdisko"),  # 96 / 110 / 136
)
TIMING_PAIR = ("hw-rock", "wz-track3")  # the two longest steady recordings (4:34, 4:59), a blend
TIMING_ONE = "hw-rock"
TIMING_SECONDS = 360.0
MEMORY_SONGS = ("hw-rock", "hw-city", "wz-track3")
MEMORY_SECONDS = 300.0
MEMORY_FALLBACK_SECONDS = 240.0  # 3 x 4:00, should the engine's bound on kept samples ever refuse 3 x 5:00

# The hosted budget, as docs/DEPLOY.md sizes it: Netlify's proxy waits 26 s; URLs must arrive within
# the fetch timeout (8 s; 0 for uploads); a cold start's imports cost about 2 s (its measured cold
# start, a 30 s clip remixed, has medians 2.37 s by URL and 2.74 s by upload: the larger is taken,
# which also counts that small remix, so the margin printed errs on the safe side). A response
# carries at most 4.5 MB of audio (MUSICREMIXER_MAX_RESPONSE_BYTES).
PROXY_LIMIT_S = 26.0
FETCH_TIMEOUT_S = 8.0
COLD_START_S = 2.74
MAX_RESPONSE_BYTES = 4_500_000

BLOCK_S = 0.1  # the timeline's resolution; a block of 4,410 samples is a copy or it is not
COPY_NCC = 0.9  # an exact copy scores 0.99+, even under the level matching; unrelated music ~0
MIN_RUN_S = 0.5  # shorter runs of one source are left out of the timeline, as the judge does
HEARD_S = 4.0  # a song is heard when this much of the output copies it (two bars at 120 BPM)
CONTEXT_S = 12.0  # the output beat-tracked either side of a transition
SPAN_S = 2.0  # the beat steps counted this far either side of a transition's gap (a beat or so of each song)
LEVEL_WINDOW_S = 3.0  # the engine's own match window (mixdown.MATCH_WINDOW_SECONDS)
STEP_FLAG = 0.05  # a blend's beat step above this and above its songs' own passages is listed
SAME_MARGIN = 0.02  # ... by this much: the blend mixes two songs' onsets, which blurs the tracker
CUT_PHASE_FLAG = 0.15  # a cut this far (in beats) off the outgoing grid is listed
LU_FLAG = 1.0  # the "within 1 LU across a transition"
CLIP_LEVEL = 0.999
NATURAL_WINDOWS = 8  # windows of each song's own audio the beat and level figures are compared with

BEAT_SR = 22050
BEAT_HOP = 128  # 5.8 ms: a frame is 1.2 % of a 120 BPM beat (hop 512 would quantize steps at 4.6 %)
BEAT_TIGHTNESS = 400  # librosa's 100 slips a third of a beat on syncopation in unmodified songs
# A cut's gap is its 0.25 s fade (a block or two); a blend's is its crossfade, where neither song
# dominates (measured 0.9 s for an unstretched 2.5 s one), plus any stretched bars (~20 s at 120 BPM).
CUT_GAP_S = 0.5
MARGIN_S = 3.0  # each song's region of the output is widened by this before it is aligned
PAD_S = 4.0  # silence put before a source for the alignment (see align_in)
TIMEOUT_S = 900.0


# --- the timeline: which source each block of the output copies --------------------------------------


@dataclass(frozen=True)
class Run:
    """``[start, end)`` seconds of the output copied from source ``source``."""

    source: int
    start: float
    end: float


@dataclass(frozen=True)
class Found:
    """A transition found in the timeline: the last copy of ``src_from`` ends at ``gap_start``,
    the first copy of ``src_to`` begins at ``gap_end``; in between, the crossfade and the stretched
    bars, which copy neither song exactly."""

    src_from: int
    src_to: int
    gap_start: float
    gap_end: float

    @property
    def middle(self) -> float:
        return 0.5 * (self.gap_start + self.gap_end)


def label_blocks(ncc: np.ndarray, threshold: float = COPY_NCC) -> np.ndarray:
    """The source each block copies: the best-matching one at or above ``threshold``, else -1.

    Parameters
    ----------
    ncc : ndarray, shape (n_sources, n_blocks)
        Normalized correlation of each output block with each source where the alignment puts it.
    threshold : float

    Returns
    -------
    ndarray of int, shape (n_blocks,)
    """
    ncc = np.atleast_2d(np.asarray(ncc, dtype=float))
    best = ncc.argmax(axis=0)
    return np.where(ncc.max(axis=0) >= threshold, best, -1).astype(int)


def timeline_runs(labels: np.ndarray, block_s: float = BLOCK_S, min_run_s: float = MIN_RUN_S) -> list[Run]:
    """Runs of one source in the block labels; unlabelled blocks and runs under ``min_run_s`` dropped.

    A short run is left out rather than trusted: a block or two can correlate by chance where a
    song copies itself (a loop inside the song) but the timeline's transitions must be real ones.
    """
    labels = np.asarray(labels, dtype=int)
    runs: list[Run] = []
    if labels.size == 0:
        return runs
    change = np.flatnonzero(np.diff(labels)) + 1
    for s, e in zip(np.r_[0, change], np.r_[change, labels.size], strict=True):
        if labels[s] >= 0 and (e - s) * block_s >= min_run_s:
            runs.append(Run(int(labels[s]), s * block_s, e * block_s))
    return runs


def find_transitions(runs: list[Run]) -> list[Found]:
    """The switches from one source to another in the timeline, gaps of neither left between them.

    A gap between two runs of the same source (a seam of the walk inside one song, a block that
    straddles it) is no transition; a song that comes back after another counts again.
    """
    found: list[Found] = []
    for a, b in itertools.pairwise(runs):
        if a.source != b.source:
            found.append(Found(a.source, b.source, a.end, b.start))
    return found


def song_seconds(runs: list[Run], n_sources: int) -> np.ndarray:
    """Seconds of the output that copy each source."""
    out = np.zeros(n_sources)
    for r in runs:
        out[r.source] += r.end - r.start
    return out


def part_seconds(runs: list[Run], found: list[Found], n_sources: int, duration: float) -> np.ndarray:
    """Each source's part: from the middle of the gap it enters by to the middle of the one it
    leaves by (the stretched bars and half the crossfade are its own, though no exact copy)."""
    out = np.zeros(n_sources)
    if not runs:
        return out
    edges = [0.0, *[f.middle for f in found], duration]
    sources = [runs[0].source, *[f.src_to for f in found]]
    for src, lo, hi in zip(sources, edges[:-1], edges[1:], strict=True):
        out[src] += hi - lo
    return out


# --- the beat ---------------------------------------------------------------------------------------


def fold_octave(ratio: np.ndarray | float) -> np.ndarray | float:
    """``ratio`` divided by the power of two nearest it (in log terms).

    A beat tracker may switch between metrical levels (half or double time); that switch is the
    tracker's, not a step in the music, so a ratio of 1.98 counts as 0.99. A ratio up to 1.41 is
    left as it is.
    """
    r = np.asarray(ratio, dtype=float)
    folded = r / 2.0 ** np.round(np.log2(r))
    return float(folded) if np.ndim(ratio) == 0 else folded


def ibi_steps(beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The change between each pair of neighbouring inter-beat intervals, as a fraction.

    Parameters
    ----------
    beats : ndarray
        Beat times in seconds, increasing.

    Returns
    -------
    steps : ndarray
        ``|ibi[k+1] / ibi[k] - 1|`` after :func:`fold_octave`, one per beat ``beats[k+1]``.
    octave : ndarray of bool
        Where the fold changed the ratio (the tracker switched level).
    """
    ibi = np.diff(np.asarray(beats, dtype=float))
    if ibi.size < 2:
        return np.zeros(0), np.zeros(0, dtype=bool)
    ratio = ibi[1:] / ibi[:-1]
    folded = fold_octave(ratio)
    return np.abs(folded - 1.0), ~np.isclose(folded, ratio)


def max_step_between(beats: np.ndarray, lo: float, hi: float) -> tuple[float | None, float | None, int]:
    """The largest :func:`ibi_steps` at a beat in ``[lo, hi]``, where it is, and octave switches."""
    steps, octave = ibi_steps(beats)
    at = np.asarray(beats, dtype=float)[1:-1]
    inside = (at >= lo) & (at <= hi)
    if not inside.any():
        return None, None, 0
    k = int(np.argmax(np.where(inside, steps, -1.0)))
    return float(steps[k]), float(at[k]), int(octave[inside].sum())


def onset_envelope(y: np.ndarray, sr: int) -> np.ndarray:
    """librosa's onset strength of mono ``y`` at :data:`BEAT_SR`, hop :data:`BEAT_HOP`."""
    import librosa

    if sr != BEAT_SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=BEAT_SR, res_type="soxr_hq")
    return librosa.onset.onset_strength(y=y, sr=BEAT_SR, hop_length=BEAT_HOP)


def track_beats(env: np.ndarray, t0: float = 0.0, t1: float | None = None) -> np.ndarray:
    """librosa's beat tracker on the envelope between ``t0`` and ``t1`` s; beat times in seconds."""
    import librosa

    fps = BEAT_SR / BEAT_HOP
    lo = max(0, round(t0 * fps))
    hi = len(env) if t1 is None else min(len(env), round(t1 * fps))
    if hi - lo < 4 * fps:
        return np.zeros(0)
    _, frames = librosa.beat.beat_track(
        onset_envelope=env[lo:hi], sr=BEAT_SR, hop_length=BEAT_HOP, tightness=BEAT_TIGHTNESS
    )
    return (lo + np.asarray(frames, dtype=float)) / fps


def tempo_of(beats: np.ndarray, lo: float = -np.inf, hi: float = np.inf) -> float | None:
    """BPM from the median inter-beat interval of the beats in ``[lo, hi]``."""
    b = np.asarray(beats, dtype=float)
    b = b[(b >= lo) & (b <= hi)]
    if b.size < 4:
        return None
    return float(60.0 / np.median(np.diff(b)))


# --- the output's audio against its sources ---------------------------------------------------------


def block_ncc(
    out: np.ndarray, src: np.ndarray, segments, sr: int, block_s: float = BLOCK_S
) -> tuple[np.ndarray, np.ndarray]:
    """Per block of ``out``, the best normalized correlation with ``src`` at the alignment's offsets,
    and that offset (samples, source minus output).

    Each block is tried at the offset of every segment it touches (so a block straddling one of the
    walk's seams inside the song still finds its copy), and at that offset as :func:`refine_offset`
    corrects it. Gain-blind, so the level matching and the songs' levelling don't matter; a
    time-stretched or crossfaded block scores well under :data:`COPY_NCC`.
    """
    n = round(block_s * sr)
    n_blocks = len(out) // n
    best = np.zeros(n_blocks)
    where = np.zeros(n_blocks, dtype=np.int64)
    for seg in segments:
        judged = round((seg.src_start - seg.out_start) * sr)
        first = max(0, int(seg.out_start * sr) // n - 1)
        last = min(n_blocks, int(np.ceil(seg.out_end * sr / n)) + 1)
        for offset in {judged, refine_offset(out, src, seg, sr)}:
            for b in range(first, last):
                lo = b * n + offset
                if lo < 0 or lo + n > len(src):
                    continue
                o = out[b * n : (b + 1) * n].astype(np.float64)
                s = src[lo : lo + n].astype(np.float64)
                den = float(np.sqrt((o @ o) * (s @ s)))
                if den > 0 and float(o @ s) / den > best[b]:
                    best[b], where[b] = float(o @ s) / den, offset
    return best, where


def refine_offset(out: np.ndarray, src: np.ndarray, seg, sr: int, search_s: float = 0.05) -> int:
    """The sample offset within ``search_s`` of the segment's where ``src`` best matches it.

    The judge refines each run's offset on up to 4 s of its middle and can settle a frame (23 ms)
    off: measured on a 50 s run of a mix, an offset 23 ms wrong, so no block copied. Here the
    normalized correlation over up to 8 s of the segment's middle decides.
    """
    offset = round((seg.src_start - seg.out_start) * sr)
    a, b = round(seg.out_start * sr), min(len(out), round(seg.out_end * sr))
    if b - a > 8 * sr:
        a, b = (a + b) // 2 - 4 * sr, (a + b) // 2 + 4 * sr
    d = round(search_s * sr)
    lo, hi = a + offset - d, b + offset + d
    if b - a < sr // 10 or lo < 0 or hi > len(src):
        return offset
    piece, region = out[a:b].astype(np.float64), src[lo:hi].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(region) + len(piece))))
    corr = np.fft.irfft(np.fft.rfft(region, size) * np.conj(np.fft.rfft(piece, size)), size)[: 2 * d + 1]
    csum = np.concatenate([[0.0], np.cumsum(region**2)])
    energy = csum[len(piece) : len(piece) + 2 * d + 1] - csum[: 2 * d + 1]
    return offset - d + int(np.argmax(corr / np.sqrt(np.maximum(energy, 1e-30))))


def _nearest_distance(out_f: np.ndarray, src_f: np.ndarray, block: int = 1024) -> np.ndarray:
    """Per output frame, the mean squared distance to the nearest source frame."""
    src_sq = (src_f**2).sum(axis=1)
    best = np.empty(len(out_f), dtype=np.float32)
    for start in range(0, len(out_f), block):
        o = out_f[start : start + block]
        dist = (o**2).sum(axis=1)[:, np.newaxis] + src_sq[np.newaxis, :] - 2.0 * o @ src_f.T
        best[start : start + len(o)] = np.maximum(dist.min(axis=1), 0.0) / out_f.shape[1]
    return best


def merge_short_runs(labels: np.ndarray, min_len: int) -> list[tuple[int, int, int]]:
    """``(start, end, label)`` runs of ``labels``, each run under ``min_len`` given to its longer
    neighbour. (``bench.judge._merge_short`` also joins values one apart, as offsets a frame apart
    are one copy; for song labels that would join song 0 with song 1.)"""
    labels = np.asarray(labels, dtype=int)
    if labels.size == 0:
        return []
    change = np.flatnonzero(np.diff(labels)) + 1
    runs = [
        [int(a), int(b), int(labels[a])]
        for a, b in zip(np.r_[0, change], np.r_[change, labels.size], strict=True)
    ]
    while len(runs) > 1:
        lengths = [e - s for s, e, _ in runs]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_len:
            break
        left = lengths[i - 1] if i > 0 else -1
        right = lengths[i + 1] if i + 1 < len(runs) else -1
        j = i - 1 if left >= right else i + 1
        runs[j] = [min(runs[i][0], runs[j][0]), max(runs[i][1], runs[j][1]), runs[j][2]]
        del runs[i]
        # Neighbours that now carry the same label are one run.
        merged: list[list[int]] = []
        for run in runs:
            if merged and merged[-1][2] == run[2]:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        runs = merged
    return [(s, e, v) for s, e, v in runs]


def coarse_regions(
    out_mono: np.ndarray, sources: list[np.ndarray], sr: int
) -> list[list[tuple[float, float]]]:
    """Per source, the stretches of the output (seconds) that sound most like it, a margin added.

    :func:`bench.judge.align` is built for a remix of one song: it measures its waveform residuals
    in decades above the floor that *most* blocks reach, the copies' own. In a mix, most of the
    output copies another song, that floor is a foreign song's, every offset looks alike and the
    alignment collapses to one run (measured: a 206 s mix aligned to either of its songs gave a
    single segment at offset 0). So each source is aligned only to where it plays: the output
    frames whose log-mel spectrum is nearest to one of its frames (an exact copy is at distance 0,
    its stretched bars close), the labels smoothed over 1 s and runs under 3 s merged into their
    neighbours, then widened by :data:`MARGIN_S` each side so the alignment sees its edges.
    """
    from scipy.ndimage import median_filter

    out_db = mel_db(_resample(out_mono, sr))
    dists = []
    for src in sources:
        src_db = mel_db(_resample(src, sr))
        floor = float(src_db.max()) - 80.0  # as judge.align clips
        dists.append(median_filter(_nearest_distance(_shape(out_db, floor), _shape(src_db, floor)), 43))
    labels = np.argmin(np.array(dists), axis=0).astype(int)
    frame_s = HOP / SR
    runs = merge_short_runs(labels, round(3.0 / frame_s))
    duration = len(out_mono) / sr
    out: list[list[tuple[float, float]]] = [[] for _ in sources]
    for start, end, src in runs:
        lo, hi = max(0.0, start * frame_s - MARGIN_S), min(duration, end * frame_s + MARGIN_S)
        if out[src] and lo <= out[src][-1][1]:
            out[src][-1] = (out[src][-1][0], hi)
        else:
            out[src].append((lo, hi))
    return out


def align_in(src: np.ndarray, out: np.ndarray, sr: int, spans: list[tuple[float, float]]) -> list[Segment]:
    """:func:`bench.judge.align` of ``src`` to each span of ``out``, as segments in the whole output."""
    # The judge clips a segment's source start at 0; a span widened before the song's entry holds a
    # segment that starts before the song does, whose offset the clip would spoil (measured: a whole
    # part read 2 s off and no copy found). Silence put before the source keeps it.
    pad = round(PAD_S * sr)
    padded = np.concatenate([np.zeros(pad, dtype=src.dtype), src])
    segments: list[Segment] = []
    for lo, hi in spans:
        a, b = round(lo * sr), round(hi * sr)
        if b - a < sr:  # under a second: nothing to align
            continue
        found, _ = align(padded, out[a:b], sr)
        segments += [Segment(s.out_start + lo, s.out_end + lo, s.src_start - PAD_S) for s in found]
    return segments


def loudness(y: np.ndarray, sr: int, t0: float, t1: float) -> float | None:
    """BS.1770 integrated loudness (pyloudnorm) of ``y`` (channels, samples) between ``t0`` and ``t1``."""
    import pyloudnorm

    lo, hi = max(0, round(t0 * sr)), min(y.shape[1], round(t1 * sr))
    if hi - lo < round(0.4 * sr):
        return None
    value = pyloudnorm.Meter(sr).integrated_loudness(y[:, lo:hi].T.astype(np.float64))
    return float(value) if np.isfinite(value) else None


def clipped(y: np.ndarray, sr: int, t0: float, t1: float) -> int:
    """Samples at full scale (``|x| >= 0.999``) between ``t0`` and ``t1`` s, all channels."""
    lo, hi = max(0, round(t0 * sr)), min(y.shape[1], round(t1 * sr))
    return int((np.abs(y[:, lo:hi]) >= CLIP_LEVEL).sum())


@dataclass
class Source:
    """A song as the CLI decodes it, at the output's rate and channels, and its own figures."""

    key: str
    name: str
    y: np.ndarray  # (channels, samples)
    mono: np.ndarray
    sr: int
    duration: float
    env: np.ndarray
    beats: np.ndarray
    tempo: float | None
    level_changes: list[float] | None = None

    def natural_steps(self, length: float) -> list[float]:
        """The largest beat step in windows of ``length`` s of the song's own audio (its noise floor).

        The windows are tracked with :data:`CONTEXT_S` of context either side, as the output is.
        """
        starts = np.linspace(CONTEXT_S, max(CONTEXT_S, self.duration - CONTEXT_S - length), NATURAL_WINDOWS)
        out = []
        for s in np.unique(np.round(starts, 1)):
            beats = track_beats(self.env, s - CONTEXT_S, s + length + CONTEXT_S)
            step, _, _ = max_step_between(beats, s, s + length)
            if step is not None:
                out.append(step)
        return out

    def passage_step(self, lo: float, hi: float) -> float | None:
        """The largest beat step the tracker finds in ``[lo, hi]`` s of the song's own audio."""
        lo, hi = max(0.0, lo), min(self.duration, hi)
        if hi - lo < 2.0:
            return None
        beats = track_beats(self.env, lo - CONTEXT_S, hi + CONTEXT_S)
        return max_step_between(beats, lo, hi)[0]

    def natural_level_changes(self) -> list[float]:
        """|LU change| between neighbouring 3 s windows of the song itself, at evenly spaced points."""
        if self.level_changes is None:
            self.level_changes = self._level_changes()
        return self.level_changes

    def _level_changes(self) -> list[float]:
        w = LEVEL_WINDOW_S
        out = []
        for t in np.linspace(w, self.duration - w, 4 * NATURAL_WINDOWS):
            a, b = loudness(self.y, self.sr, t - w, t), loudness(self.y, self.sr, t, t + w)
            if a is not None and b is not None:
                out.append(abs(b - a))
        return out


def load_source(track, sr: int, channels: int) -> Source:
    """The track as our CLI decodes it, resampled as the mixdown does, so its copies are exact."""
    from musicremixer.decode import decode_audio
    from musicremixer.render import conform_samples

    audio = decode_audio(track.path.read_bytes(), name=track.path.name)
    y = conform_samples(audio, sr=sr, channels=channels)
    mono = y.mean(axis=0)
    env = onset_envelope(mono, sr)
    beats = track_beats(env)
    return Source(track.key, track.path.name, y, mono, sr, y.shape[1] / sr, env, beats, tempo_of(beats))


def judge_mix(mix: np.ndarray, sr: int, sources: list[Source], log=lambda _m: None) -> dict:
    """Everything measured on one mix's audio against its sources (see the module docstring)."""
    out_mono = mix.mean(axis=0)
    duration = mix.shape[1] / sr
    ncc, offsets = [], []
    spans = coarse_regions(out_mono, [s.mono for s in sources], sr)
    for s, where in zip(sources, spans, strict=True):
        started = time.perf_counter()
        segments = align_in(s.mono, out_mono, sr, where)
        score, offset = block_ncc(out_mono, s.mono, segments, sr)
        ncc.append(score)
        offsets.append(offset)
        log(f"    aligned {s.key} in {len(where)} span(s): {time.perf_counter() - started:.0f} s")
    labels = label_blocks(np.array(ncc))
    runs = timeline_runs(labels)
    found = find_transitions(runs)
    n = len(sources)
    copied = song_seconds(runs, n)
    parts = part_seconds(runs, found, n, duration)
    env = onset_envelope(out_mono, sr)
    transitions = [measure_transition(f, mix, sr, env, sources, offsets) for f in found]
    heard_order = [runs[0].source, *[f.src_to for f in found]] if runs else []
    # Each part's integrated loudness (its edges at the gaps' middles): are the songs levelled?
    edges = [0.0, *[f.middle for f in found], duration]
    part_lufs = [loudness(mix, sr, lo, hi) for lo, hi in itertools.pairwise(edges)]
    return {
        "duration": duration,
        "copied_s": copied.tolist(),
        "part_s": parts.tolist(),
        "unmatched_s": float(duration - copied.sum()),
        "heard": [bool(c >= HEARD_S) for c in copied],
        "heard_order": heard_order,
        "n_runs": len(runs),
        "transitions": transitions,
        "part_lufs": part_lufs,
        "clipped_total": clipped(mix, sr, 0.0, duration),
        # Full-scale samples the songs themselves hold (a mix copying them may keep some).
        "clipped_sources": [clipped(s.y, sr, 0.0, s.duration) for s in sources],
    }


def entry_time(out: np.ndarray, src: np.ndarray, offset: int, t0: float, t1: float, sr: int) -> float | None:
    """The first moment in ``[t0, t1]`` from which ``out`` copies ``src`` at ``offset`` (5 ms steps).

    A copy is four 5 ms windows in a row at a normalized correlation of :data:`COPY_NCC` or more;
    the cut-in's 5 ms rise does not change a correlation, so the window where it starts counts.
    """
    w = round(0.005 * sr)
    run = 0
    for i in range(max(0, round(t0 * sr)), min(len(out) - w, round(t1 * sr)), w):
        lo = i + offset
        o = out[i : i + w].astype(np.float64)
        s = src[lo : lo + w].astype(np.float64) if 0 <= lo <= len(src) - w else np.zeros(w)
        den = float(np.sqrt((o @ o) * (s @ s)))
        run = run + 1 if den > 0 and float(o @ s) / den >= COPY_NCC else 0
        if run == 4:
            return (i - 3 * w) / sr
    return None


def cut_placement(before: np.ndarray, after: np.ndarray, entry: float) -> dict:
    """Where a cut-in lands against the outgoing beat, and the incoming song's first beat after it.

    ``phase`` is the entry's distance from the outgoing grid (its last beats' median interval,
    extrapolated from its last tracked beat), in beats, in ``[-0.5, 0.5)``: near 0 on a beat.
    ``incoming_phase`` is the same for the incoming grid extrapolated back from its first tracked
    beat (the tracker drops weak beats at a window's edges, so the first may be a beat late). The
    tracker marks a beat some tens of ms after its attack, alike in both songs, so a cut on the
    beat reads a little negative on both.
    """

    def phase(beats: np.ndarray, anchor: float) -> tuple[float, float]:
        ibi = float(np.median(np.diff(beats)))
        k = np.round((entry - anchor) / ibi)
        return float(((entry - anchor - k * ibi) / ibi + 0.5) % 1.0 - 0.5), (entry - anchor) / ibi

    out: dict = {"phase": None, "incoming_phase": None}
    if before.size >= 3:
        out["phase"], out["beats_after_last"] = phase(before[-9:], float(before[-1]))
    later = after[after >= entry - 0.05]
    if later.size >= 3:
        out["incoming_phase"], _ = phase(later[:9], float(later[0]))
    return out


def measure_transition(
    f: Found, mix: np.ndarray, sr: int, env: np.ndarray, sources: list[Source], offsets: list[np.ndarray]
) -> dict:
    """The beat, tempo, loudness and clipping around one transition found in the timeline.

    ``offsets`` are every song's per-block offsets (:func:`block_ncc`), for a cut's entry and grids.
    """
    a, b = sources[f.src_from], sources[f.src_to]
    kind = "cut" if f.gap_end - f.gap_start < CUT_GAP_S else "blend"
    placement: dict = {}
    same: list[float | None] = [None, None]
    if kind == "cut":
        # Each side is tracked on its own: over a cut the window holds two tempi, and the tracker,
        # which keeps one period through a window, stops at the cut (measured) or bends one side.
        side_before = track_beats(env, f.gap_start - CONTEXT_S, f.gap_start)
        side_after = track_beats(env, f.gap_end, f.gap_end + CONTEXT_S)
        last = max(0, min(len(offsets[f.src_from]) - 1, round(f.gap_start / BLOCK_S) - 1))
        first = min(len(offsets[f.src_to]) - 1, round(f.gap_end / BLOCK_S))
        off_a, off_b = int(offsets[f.src_from][last]), int(offsets[f.src_to][first])
        entry = entry_time(mix.mean(axis=0), b.mono, off_b, f.gap_start - 0.3, f.gap_end + 0.2, sr)
        placement = {"entry": entry}
        if entry is not None:
            # Where the entry lands against each song's own beats, tracked on the whole song and
            # carried into the output through the copy either side: 12 s of output tracked alone
            # can settle on another metrical level (measured: flare-battle's 96 BPM read as 128,
            # which put a cut on its beat 0.22 beat off).
            grid_a = a.beats - off_a / sr
            grid_b = b.beats - off_b / sr
            placement.update(cut_placement(grid_a[grid_a <= f.gap_start], grid_b, entry))
            tracked = cut_placement(side_before, side_after, entry)
            placement["tracked_phase"], placement["tracked_incoming_phase"] = (
                tracked["phase"],
                tracked["incoming_phase"],
            )
        step = step_at = None
        octave = 0
        natural_a = natural_b = []
    else:
        beats = track_beats(env, f.gap_start - CONTEXT_S, f.gap_end + CONTEXT_S)
        lo, hi = f.gap_start - SPAN_S, f.gap_end + SPAN_S
        step, step_at, octave = max_step_between(beats, lo, hi)
        natural_a, natural_b = a.natural_steps(hi - lo), b.natural_steps(hi - lo)
        # The same passages in the songs themselves: what the outgoing song plays from its last
        # exact copy on, and what the incoming one plays up to its first (their stretch is within
        # 8 %, so in source time they are about the gap long). A song's own passage can make the
        # tracker step (measured: st-saharan-penguin's 57.6-58.8 s moves librosa's beat by 0.45 beat in
        # the unmodified song); a transition should be judged against that, not against a quiet one.
        last = max(0, min(len(offsets[f.src_from]) - 1, round(f.gap_start / BLOCK_S) - 1))
        first = min(len(offsets[f.src_to]) - 1, round(f.gap_end / BLOCK_S))
        src_a = f.gap_start + int(offsets[f.src_from][last]) / sr
        src_b = f.gap_end + int(offsets[f.src_to][first]) / sr
        span = f.gap_end - f.gap_start
        same = [
            a.passage_step(src_a - SPAN_S, src_a + span + SPAN_S),
            b.passage_step(src_b - span - SPAN_S, src_b + SPAN_S),
        ]
    if kind == "cut":
        before, inside, after = tempo_of(side_before), None, tempo_of(side_after)
    else:
        # 12 s tracked alone can settle on another metrical level (measured: st-classic's 124 BPM
        # read as 94, its dotted beat); the whole window, anchored by both songs, does not.
        before = tempo_of(beats, f.gap_start - CONTEXT_S, f.gap_start)
        inside = tempo_of(beats, f.gap_start, f.gap_end)
        after = tempo_of(beats, f.gap_end, f.gap_end + CONTEXT_S)
    w = LEVEL_WINDOW_S
    lu_before, lu_after = (
        loudness(mix, sr, f.gap_start - w, f.gap_start),
        loudness(mix, sr, f.gap_end, f.gap_end + w),
    )
    # The level through the gap, in 3 s windows every half second: a dip or a bump in the blend.
    through = [loudness(mix, sr, t, t + w) for t in np.arange(f.gap_start - w, f.gap_end + 0.01, 0.5)]
    through = [v for v in through if v is not None]
    sides = [v for v in (lu_before, lu_after) if v is not None]
    ratio = lambda x, own: None if x is None or not own else fold_octave(x / own)  # noqa: E731
    return {
        **asdict(f),
        "middle_s": f.middle,
        "gap_s": f.gap_end - f.gap_start,
        "kind": kind,
        "cut": placement,
        "max_step": step,
        "max_step_at": step_at,
        "octave_switches": octave,
        "natural_steps": [natural_a, natural_b],
        "same_passage_steps": same,
        "tempo_before": before,
        "tempo_gap": inside,
        "tempo_after": after,
        "own_tempo": [a.tempo, b.tempo],
        "before_vs_own": ratio(before, a.tempo),
        "after_vs_own": ratio(after, b.tempo),
        "lu_before": lu_before,
        "lu_after": lu_after,
        "lu_diff": None if lu_before is None or lu_after is None else lu_after - lu_before,
        "lu_gap_min": (min(through) - float(np.mean(sides))) if through and sides else None,
        "lu_gap_max": (max(through) - float(np.mean(sides))) if through and sides else None,
        "natural_lu": [a.natural_level_changes(), b.natural_level_changes()],
        "clipped": clipped(mix, sr, f.gap_start - 1.0, f.gap_end + 1.0),
    }


# --- running the CLI --------------------------------------------------------------------------------


def mix_command(
    paths: list[Path], out: Path, seed: int, duration: float | None, plan: Path | None
) -> list[str]:
    """Our CLI on several songs, as :func:`bench.realmusic.remix_command` runs it on one."""
    argv = remix_command(paths[0], out, seed, duration, None)
    at = argv.index(str(paths[0])) + 1
    argv[at:at] = [str(p) for p in paths[1:]]
    return argv + (["--plan", str(plan)] if plan else [])


def plan_claims(plan: dict) -> dict:
    """What the plan says, to print beside the measures (never used to measure)."""
    return {
        "order": plan.get("order", []),
        "left_out": plan.get("left_out", []),
        "parts": plan.get("parts", []),
        "transitions": plan.get("transitions", []),
        "duration": plan.get("duration"),
        "tempi": [t.get("tempo") for t in plan.get("tracks", [])],
    }


def run_mix(keys: tuple[str, ...], tracks: dict, seed: int, duration: float | None, work: Path, log) -> dict:
    """One mix: the CLI's run, then the judge on its output."""
    paths = [tracks[k].path for k in keys]
    out, plan_path = work / "mix.wav", work / "mix.plan.json"
    plan_path.unlink(missing_ok=True)
    row = {"keys": list(keys), "seed": seed, "asked": duration}
    row["lengths"] = [sf.info(str(p)).duration for p in paths]
    done = measure(mix_command(paths, out, seed, duration, plan_path), cwd=work, out=out, timeout=TIMEOUT_S)
    row["run"] = {k: done.get(k) for k in ("wall_s", "cpu_s", "peak_rss_mb", "error")}
    if done["error"]:
        row["error"] = done["error"]
        return row
    row["plan"] = plan_claims(json.loads(plan_path.read_text())) if plan_path.exists() else {}
    mix, sr = sf.read(out, dtype="float32", always_2d=True)
    mix = mix.T
    sources = [load_source(tracks[k], sr, mix.shape[0]) for k in keys]
    row.update(judge_mix(mix, sr, sources, log))
    row["own_tempo"] = [s.tempo for s in sources]
    out.unlink(missing_ok=True)
    return row


def _hosted_mp3_line(size: int) -> str:
    """Whether the CLI's 128 kb/s MP3 fits a hosted response, or at which lower bitrate it would.

    The hosted function steps MP3 down before rendering (``functions.responses.choose_mp3_kbps``);
    a constant bitrate scales the size in proportion.
    """
    from musicremixer.encode import MP3_BITRATES_KBPS, MP3_KBPS

    line = f"- the MP3 at {MP3_KBPS} kb/s is {size / 1e6:.2f} MB against the hosted response limit of "
    line += f"{MAX_RESPONSE_BYTES / 1e6:g} MB: "
    if size <= MAX_RESPONSE_BYTES:
        return line + "fits"
    for kbps in MP3_BITRATES_KBPS:
        if size * kbps / MP3_KBPS <= MAX_RESPONSE_BYTES:
            return (
                line
                + f"the hosted function sends it at {kbps} kb/s (about {size * kbps / MP3_KBPS / 1e6:.2f} MB)"
            )
    return line + f"does NOT fit even at {MP3_BITRATES_KBPS[-1]} kb/s"


# --- timing and memory ------------------------------------------------------------------------------


def run_timing(tracks: dict, reps: int, work: Path, log) -> dict:
    """The two-song 6-minute mix (WAV, MP3) and a one-song 6-minute remix, ``reps`` rounds interleaved."""
    pair = [tracks[k].path for k in TIMING_PAIR]
    one = [tracks[TIMING_ONE].path]
    cases = {
        "mix-wav": (pair, "wav"),
        "mix-mp3": (pair, "mp3"),
        "one-wav": (one, "wav"),
        "one-mp3": (one, "mp3"),
    }
    runs: dict[str, list[dict]] = {name: [] for name in cases}
    names = list(cases)
    for rep in range(reps):
        # The order rotates, so no case always follows the same neighbour on a busy machine.
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            paths, fmt = cases[name]
            out = work / f"{name}.{fmt}"
            done = measure(
                mix_command(paths, out, 1, TIMING_SECONDS, None), cwd=work, out=out, timeout=TIMEOUT_S
            )
            done["bytes"] = out.stat().st_size if out.exists() else None
            done["load"] = _loadavg()
            runs[name].append(
                {
                    k: done.get(k)
                    for k in ("wall_s", "cpu_s", "peak_rss_mb", "error", "bytes", "load", "out_seconds")
                }
            )
            log(f"  timing {name} #{rep + 1}: {done['wall_s']:.1f} s")
            out.unlink(missing_ok=True)
    summary = {}
    for name, rs in runs.items():
        ok = [r for r in rs if not r["error"]]
        summary[name] = {
            "median_wall_s": statistics.median(r["wall_s"] for r in ok) if ok else None,
            "min_wall_s": min((r["wall_s"] for r in ok), default=None),
            "max_wall_s": max((r["wall_s"] for r in ok), default=None),
            "median_cpu_s": statistics.median(r["cpu_s"] for r in ok) if ok else None,
            "peak_rss_mb": max((r["peak_rss_mb"] for r in ok), default=None),
            "bytes": ok[-1]["bytes"] if ok else None,
            "out_seconds": ok[-1]["out_seconds"] if ok else None,
            "errors": [r["error"] for r in rs if r["error"]],
        }
    return {
        "inputs": [{"key": k, "seconds": sf.info(str(tracks[k].path)).duration} for k in TIMING_PAIR],
        "runs": runs,
        "summary": summary,
    }


def cut_or_loop(track, dest: Path, seconds: float) -> Path:
    """The track cut, or looped end to start, to ``seconds``, as 16-bit WAV at its own rate."""
    y, sr = sf.read(str(track.path), dtype="float32", always_2d=True)
    n = round(seconds * sr)
    y = np.concatenate([y] * int(np.ceil(n / len(y))))[:n]
    path = dest / f"{track.key}-{seconds:g}s.wav"
    sf.write(str(path), y, sr, subtype="PCM_16")
    return path


def run_memory(tracks: dict, work: Path, log) -> list[dict]:
    """Peak RSS of the CLI mixing three 5-minute songs at the default length.

    The engine refuses inputs that together hold more than ``decode.MAX_KEPT_SAMPLES`` (15 min of
    stereo at 48 kHz: three 5-minute songs just fit). A refusal is recorded as such (it
    is the engine's stated limit, not a crash) and the three songs are measured again at
    :data:`MEMORY_FALLBACK_SECONDS`, the longest that fits.
    """
    rows = []
    for seconds in (MEMORY_SECONDS, MEMORY_FALLBACK_SECONDS):
        paths = [cut_or_loop(tracks[k], work, seconds) for k in MEMORY_SONGS]
        out = work / "three.wav"
        done = measure(mix_command(paths, out, 1, None, None), cwd=work, out=out, timeout=TIMEOUT_S)
        refused = bool(done["error"]) and "may hold at most" in done.get("stderr_tail", "")
        row = {
            "songs": list(MEMORY_SONGS),
            "seconds_each": seconds,
            "refused": refused,
            "message": done.get("stderr_tail", "").strip().splitlines()[-1:] if done["error"] else [],
            **{k: done.get(k) for k in ("wall_s", "cpu_s", "peak_rss_mb", "out_seconds")},
            "error": None if refused else done["error"],
        }
        rows.append(row)
        log(
            f"  memory {seconds:g} s x 3: {done['peak_rss_mb']:.0f} MB, "
            f"{done['wall_s']:.0f} s, refused={refused}"
        )
        out.unlink(missing_ok=True)
        for p in paths:
            p.unlink(missing_ok=True)
        if not refused:
            break
    return rows


# --- the report -------------------------------------------------------------------------------------


def _f(value, digits: int = 1, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def mix_name(row: dict) -> str:
    """``a + b (+ c)``, with the asked length when it isn't the default."""
    name = " + ".join(row["keys"])
    return (
        name
        + (f" @{row['asked']:g}s" if row["asked"] else "")
        + (f" s{row['seed']}" if row["seed"] != 1 else "")
    )


MIX_COLUMNS = (
    "mix",
    "length",
    "order heard (plan)",
    "heard",
    "share copied / part / by length",
    "transitions found (plan)",
    "unmatched",
    "LUFS by part",
    "clipped (in the songs)",
    "CLI",
)


def mix_cells(row: dict) -> list[str]:
    """One row of the mix table."""
    if "error" in row:
        return [mix_name(row), f"failed: {row['error']}"] + [""] * (len(MIX_COLUMNS) - 2)
    plan = row["plan"]
    total = sum(row["lengths"]) or 1.0
    shares = " · ".join(
        f"{100 * c / row['duration']:.0f}/{100 * p / row['duration']:.0f}/{100 * n / total:.0f}%"
        for c, p, n in zip(row["copied_s"], row["part_s"], row["lengths"], strict=True)
    )
    heard = "".join("✓" if h else "✗" for h in row["heard"])
    if plan.get("left_out"):
        heard += f" (left out: {', '.join(plan['left_out'])})"
    order = (
        "→".join(str(i) for i in row["heard_order"]) + f" ({'→'.join(str(i) for i in plan.get('order', []))})"
    )
    kinds = ",".join(t["kind"][0] for t in plan.get("transitions", []))
    return [
        mix_name(row),
        f"{row['duration']:.0f} s",
        order,
        heard,
        shares,
        f"{len(row['transitions'])} ({len(plan.get('transitions', []))}{': ' + kinds if kinds else ''})",
        f"{row['unmatched_s']:.1f} s",
        " · ".join(_f(v) for v in row["part_lufs"]),
        f"{row['clipped_total']} ({', '.join(str(c) for c in row['clipped_sources'])})",
        f"{row['run']['wall_s']:.0f} s, {row['run']['peak_rss_mb']:.0f} MB",
    ]


TRANSITION_COLUMNS = (
    "mix",
    "from→to",
    "plan: kind, at, stretch",
    "audio: kind, gap",
    "blend: max IBI step; the same passages in the songs (songs' own windows: median, max); "
    "cut: where it lands",
    "tempo before/own · gap · after/own",
    "LU before→after (Δ; dip, bump) [songs' own p95 Δ]",
    "clipped",
)


def claimed(row: dict, t: dict) -> dict | None:
    """The plan's transition between the same songs nearest the one found (for printing only)."""
    mine = [
        p for p in row["plan"].get("transitions", []) if (p["from"], p["to"]) == (t["src_from"], t["src_to"])
    ]
    return min(mine, key=lambda p: abs(p["at"] - t["middle_s"]), default=None)


def transition_cells(row: dict, k: int, t: dict) -> list[str]:
    """One row of the transition table."""
    keys = row["keys"]
    p = claimed(row, t)
    plan = (
        f"{p['kind']}, {p['at']:.1f} s, in x{p['stretch'][0]:.3f} out x{p['outgoing_stretch']:.3f}"
        + (f" (tempo x{p['tempo_multiple']:g})" if p["tempo_multiple"] != 1 else "")
        if p
        else "none"
    )
    nat = [np.median(n) if n else None for n in t["natural_steps"]]
    nat_max = [max(n) if n else None for n in t["natural_steps"]]
    cut = t.get("cut") or {}
    if t["kind"] == "cut":
        step = (
            f"cut at {_f(cut.get('entry'), 2)} s: {_f(cut.get('phase'), 2)} beat off the outgoing grid, "
            f"{_f(cut.get('incoming_phase'), 2)} off the incoming one"
        )
    else:
        same = t.get("same_passage_steps") or [None, None]
        step = (
            f"{_pct(t['max_step'])} at {_f(t['max_step_at'])} s; same passages {_pct(same[0])}, "
            f"{_pct(same[1])} ({keys[t['src_from']]}: {_pct(nat[0])}, {_pct(nat_max[0])}; "
            f"{keys[t['src_to']]}: {_pct(nat[1])}, {_pct(nat_max[1])})"
        )
    if t["octave_switches"]:
        step += f", {t['octave_switches']} octave switch(es) folded"
    tempo = (
        f"{_f(t['tempo_before'])}/{_f(t['own_tempo'][0])} · {_f(t['tempo_gap'])} · "
        f"{_f(t['tempo_after'])}/{_f(t['own_tempo'][1])}"
    )
    nat_lu = [np.percentile(n, 95) if n else None for n in t["natural_lu"]]
    level = (
        f"{_f(t['lu_before'])}→{_f(t['lu_after'])} ({_f(t['lu_diff'], 1, ' LU')}; "
        f"{_f(t['lu_gap_min'])}, {_f(t['lu_gap_max'], 1, '')}) [{_f(nat_lu[0])}, {_f(nat_lu[1])}]"
    )
    return [
        f"{mix_name(row)} #{k + 1}",
        f"{keys[t['src_from']]}→{keys[t['src_to']]}",
        plan,
        f"{t['kind']}: {t['gap_start']:.1f}-{t['gap_end']:.1f} s",
        step,
        tempo,
        level,
        str(t["clipped"]),
    ]


def flags(rows: list[dict]) -> dict[str, list[str]]:
    """The mixes and transitions that miss a mark, by mark."""
    out: dict[str, list[str]] = {
        "failed": [],
        "not heard": [],
        "count": [],
        "kind": [],
        "step": [],
        "cut": [],
        "level": [],
        "clip": [],
    }
    for row in rows:
        name = mix_name(row)
        if "error" in row:
            out["failed"].append(name)
            continue
        left_out = set(row["plan"].get("left_out", []))
        for key, heard, path in zip(row["keys"], row["heard"], row.get("names", row["keys"]), strict=True):
            if not heard and path not in left_out:
                out["not heard"].append(f"{name}: {key}")
        if len(row["transitions"]) != len(row["plan"].get("transitions", [])):
            out["count"].append(
                f"{name}: {len(row['transitions'])} found, plan {len(row['plan'].get('transitions', []))}"
            )
        for k, t in enumerate(row["transitions"]):
            p = claimed(row, t)
            own_max = [max(n) if n else 0.0 for n in t["natural_steps"]]
            step = t["max_step"]
            if p and p["kind"] != t["kind"]:
                out["kind"].append(f"{name} #{k + 1}: plan {p['kind']}, audio {t['kind']}")
            phase = (t.get("cut") or {}).get("phase")
            if t["kind"] == "cut" and (phase is None or abs(phase) > CUT_PHASE_FLAG):
                out["cut"].append(f"{name} #{k + 1}: {_f(phase, 2)} beat off")
            same = [v for v in t.get("same_passage_steps") or [] if v is not None]
            limit = max(STEP_FLAG, max(same, default=0.0) + SAME_MARGIN)
            if t["kind"] == "blend" and step is not None and step > limit:
                # Above what the tracker finds in the songs' own passages; "beyond" when above
                # anything it found in either song's own windows too.
                beyond = " (beyond the songs' own max)" if step > max(own_max) else ""
                out["step"].append(f"{name} #{k + 1}: {_pct(step)} at {t['max_step_at']:.1f} s{beyond}")
            if t["lu_diff"] is not None and abs(t["lu_diff"]) > LU_FLAG:
                out["level"].append(f"{name} #{k + 1}: {t['lu_diff']:+.1f} LU")
            if t["clipped"]:
                out["clip"].append(f"{name} #{k + 1}: {t['clipped']}")
    return out


def summary_lines(rows: list[dict]) -> list[str]:
    """Counts over the mixes and transitions."""
    ok = [r for r in rows if "error" not in r]
    found = [t for r in ok for t in r["transitions"]]
    f = flags(rows)
    steps = [t["max_step"] for t in found if t["max_step"] is not None]
    diffs = [abs(t["lu_diff"]) for t in found if t["lu_diff"] is not None]

    def listed(key: str) -> str:
        return f"{len(f[key])}" + (f" ({'; '.join(f[key])})" if f[key] else "")

    return [
        f"- mixes: {len(ok)} judged, failed: {listed('failed')}",
        f"- songs not heard (under {HEARD_S:g} s copied, not left out by the plan): {listed('not heard')}",
        f"- mixes whose transitions found differ from the plan's count: {listed('count')}",
        f"- transitions found: {len(found)}; "
        f"median max IBI step over the blends {_pct(np.median(steps) if steps else None)}; "
        f"blends stepping over {100 * STEP_FLAG:.0f}% and {100 * SAME_MARGIN:.0f} points over the same "
        f"passages in the songs: {listed('step')}",
        f"- median |LU difference| across a transition {_f(np.median(diffs) if diffs else None, 2)} LU; "
        f"over {LU_FLAG:g} LU: {listed('level')}",
        f"- kind (a gap under {CUT_GAP_S:g} s is a cut) not the plan's: {listed('kind')}",
        f"- cuts landing over {CUT_PHASE_FLAG:g} beat off the outgoing beat: {listed('cut')}",
        f"- transitions with clipped samples: {listed('clip')}",
    ]


def timing_lines(timing: dict) -> list[str]:
    """The timing table and the budget's margin."""
    s = timing["summary"]
    lines = [
        "| run | median wall [min-max] | median CPU | peak RSS | output |",
        "|---|---|---|---|---|",
    ]
    labels = {
        "mix-wav": f"{' + '.join(TIMING_PAIR)} → {TIMING_SECONDS:g} s WAV",
        "mix-mp3": f"{' + '.join(TIMING_PAIR)} → {TIMING_SECONDS:g} s MP3",
        "one-wav": f"{TIMING_ONE} → {TIMING_SECONDS:g} s WAV",
        "one-mp3": f"{TIMING_ONE} → {TIMING_SECONDS:g} s MP3",
    }
    for name, fig in s.items():
        if fig["median_wall_s"] is None:
            lines.append(f"| {labels[name]} | failed: {fig['errors'][:1]} | | | |")
            continue
        lines.append(
            f"| {labels[name]} | {fig['median_wall_s']:.1f} s "
            f"[{fig['min_wall_s']:.1f}-{fig['max_wall_s']:.1f}] | {fig['median_cpu_s']:.1f} s "
            f"| {fig['peak_rss_mb']:.0f} MB | {_f(fig['out_seconds'], 0, ' s')}, "
            f"{fig['bytes'] / 1e6:.2f} MB |"
        )
    inputs = ", ".join(f"{i['key']} {i['seconds']:.0f} s" for i in timing["inputs"])
    lines += ["", f"inputs: {inputs}"]
    for fmt in ("wav", "mp3"):
        mix, one = s[f"mix-{fmt}"]["median_wall_s"], s[f"one-{fmt}"]["median_wall_s"]
        if mix and one:
            lines.append(f"- {fmt.upper()}: two-song mix / one-song remix = {mix / one:.2f}x")
    mp3 = s["mix-mp3"]
    if mp3["median_wall_s"]:
        for path, fetch in (("by URL", FETCH_TIMEOUT_S), ("by upload", 0.0)):
            room = PROXY_LIMIT_S - fetch - COLD_START_S
            lines.append(
                f"- hosted budget {path}: {PROXY_LIMIT_S:g} s proxy - {fetch:g} s fetch - "
                f"{COLD_START_S:g} s cold start = {room:.2f} s; "
                f"the MP3 mix took {mp3['median_wall_s']:.1f} s (slowest "
                f"{mp3['max_wall_s']:.1f}): margin {room - mp3['median_wall_s']:+.1f} s "
                f"(slowest {room - mp3['max_wall_s']:+.1f} s)"
            )
        lines.append(_hosted_mp3_line(mp3["bytes"]))
    lines.append(
        "- the CLI's wall time includes its interpreter start and imports (warm page cache); Lambda "
        "gives about 1.7 vCPUs at 3,008 MB, this machine 2 shared cores"
    )
    return lines


def render_markdown(meta: dict, rows: list[dict], timing: dict | None, memory: dict | None) -> str:
    """All three parts as Markdown."""
    lines = [
        f"# Mixes: {meta['when']}",
        "",
        f"engine: {meta['git']}; seeds {meta['seeds']}; {meta['wall_s']:.0f} s; load before {meta['load']}",
        "",
    ]
    if rows:
        lines += [
            "## Mixes, judged from the audio",
            "",
            "Songs are numbered in the order given. share: % of the output copied exactly / the song's part "
            "(gap middles as edges) / the share its length gives.",
            "",
            "| " + " | ".join(MIX_COLUMNS) + " |",
            "|" + "---|" * len(MIX_COLUMNS),
            *["| " + " | ".join(mix_cells(r)) + " |" for r in rows],
            "",
            "| " + " | ".join(TRANSITION_COLUMNS) + " |",
            "|" + "---|" * len(TRANSITION_COLUMNS),
            *[
                "| " + " | ".join(transition_cells(r, k, t)) + " |"
                for r in rows
                if "error" not in r
                for k, t in enumerate(r["transitions"])
            ],
            "",
            *summary_lines(rows),
            "",
        ]
    if timing:
        lines += ["## A two-song, 6-minute mix: time", "", *timing_lines(timing), ""]
    if memory:
        lines += ["## Three 5-minute songs: peak memory", ""]
        for m in memory:
            what = f"- {', '.join(m['songs'])}, each cut or looped to {m['seconds_each']:g} s (WAV)"
            if m["error"]:
                lines.append(f"{what}: failed: {m['error']}")
            elif m["refused"]:
                lines.append(
                    f"{what}: **refused** by the CLI in {m['wall_s']:.1f} s "
                    f"(peak RSS {m['peak_rss_mb']:.0f} MB): " + " ".join(m["message"])
                )
            else:
                lines.append(
                    f"{what}, mixed at the default length ({_f(m['out_seconds'], 0, ' s')} out): peak RSS "
                    f"**{m['peak_rss_mb']:.0f} MB**, {m['wall_s']:.0f} s wall, {m['cpu_s']:.0f} s CPU"
                )
        lines.append("")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mixes", description=__doc__.split("\n")[0])
    p.add_argument("--cache", type=Path, help="the real set's cache (default: realset.default_cache())")
    p.add_argument("--pairs", type=int, default=len(PAIRS), help=f"pairs to mix (of {len(PAIRS)})")
    p.add_argument("--triples", type=int, default=len(TRIPLES), help=f"triples to mix (of {len(TRIPLES)})")
    p.add_argument("--seeds", default="1", help="comma-separated walk seeds (default 1)")
    p.add_argument(
        "--short", type=float, default=0.5, help="also mix at this share of the songs' total length (0: no)"
    )
    p.add_argument("--sections", default="mixes,timing,memory", help="which parts to run")
    p.add_argument("--reps", type=int, default=3, help="rounds of the timing runs (median)")
    p.add_argument("--quick", action="store_true", help="2 pairs, 1 triple, no short mixes, 1 timing round")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    if args.quick:
        args.pairs, args.triples, args.short, args.reps = min(args.pairs, 2), min(args.triples, 1), 0.0, 1
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for; the exit status is non-zero only when a CLI run fails."""
    from bench import realset
    from bench.run import _git

    args = parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    cache = args.cache or realset.default_cache()
    tracks = {t.key: t for t in realset.build_set(cache, log=log)}
    mixes = list(PAIRS[: args.pairs]) + list(TRIPLES[: args.triples])
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": _git(),
        "seeds": args.seeds,
        "short": args.short,
        "cache": str(cache),
        "load": _loadavg(),
        "cpus": os.cpu_count(),
    }
    start = time.perf_counter()
    rows: list[dict] = []
    timing = memory = None
    with tempfile.TemporaryDirectory(prefix="mixes-") as tmp:
        work = Path(tmp)
        if "mixes" in args.sections:
            for keys in mixes:
                total = sum(sf.info(str(tracks[k].path)).duration for k in keys)
                for duration in [None] + ([round(args.short * total)] if args.short > 0 else []):
                    for seed in args.seeds:
                        started = time.perf_counter()
                        row = run_mix(keys, tracks, seed, duration, work, log)
                        row["names"] = [tracks[k].path.name for k in keys]
                        rows.append(row)
                        log(f"  {mix_name(row)}: {time.perf_counter() - started:.0f} s")
        if "timing" in args.sections:
            timing = run_timing(tracks, args.reps, work, log)
        if "memory" in args.sections:
            memory = run_memory(tracks, work, log)
    meta["wall_s"] = time.perf_counter() - start
    report = render_markdown(meta, rows, timing, memory)
    print(report)
    raw = {"meta": meta, "rows": rows, "timing": timing, "memory": memory}
    write_report(args.results_dir, "mixes", report, raw, log)
    failed = any("error" in r for r in rows)
    failed |= bool(timing and any(f["errors"] for f in timing["summary"].values()))
    failed |= bool(memory and any(m["error"] for m in memory))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
