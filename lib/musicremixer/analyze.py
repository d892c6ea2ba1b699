"""From decoded audio to beats, bars and beat features, for every track of the pool."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from musicremixer.bar import estimate_bar_positions
from musicremixer.beat import (
    estimate_tempo,
    onset_strength,
    peak_near,
    place_on_long_short,
    pulse_clarity,
    track_beats,
    track_slow_beats,
)
from musicremixer.errors import NotRemixableError
from musicremixer.filters import HOP_LENGTH, N_FFT, SR
from musicremixer.moments import MOMENTS_PER_BAR, moment_grid, sounds_like_music
from musicremixer.spectrum import FrameFeatures, frame_features
from musicremixer.types import Analysis, Audio, TrackAnalysis

MIN_SECONDS = 6.0
MIN_BEATS = 12
MIN_PULSE_CLARITY = 0.2  # a clear beat measures 0.5-0.95; noise 0.02-0.15 (less the longer it is)
SILENCE_RMS = 1e-4  # -80 dBFS
# The onset envelope peaks about two frames after an attack (librosa's framing compensation);
# cutting that much earlier puts every cut just before the beat's attack, where a seam hides.
LATENCY_FRAMES = N_FFT // (2 * HOP_LENGTH)
CUT_LEAD_SECONDS = LATENCY_FRAMES * HOP_LENGTH / SR  # a beat's cut point lies this far before its beat
FEATURE_WEIGHTS = {"chroma": 1.0, "timbre": 1.0, "loudness": 0.5}
SLOW_BPM = 100.0  # below this a tempo may be half time: its beats are put on the kick (beat.track_slow_beats)
_LOW_MEL_BANDS = slice(0, 10)  # below about 250 Hz: kick drum and bass attacks
OPENING_FRAMES = 4  # a beat's opening, whose level a seam is judged by: about the first 120 ms
_KICK_MEL_BANDS = slice(0, 3)  # below about 170 Hz: the kick band of InfiniPlay's seam veto


def analyze_tracks(audios: Sequence[Audio], *, names: Sequence[str]) -> Analysis:
    """Analyze every track and pool their beats.

    Parameters
    ----------
    audios : sequence of Audio
    names : sequence of str
        Display names, used in error messages and the plan.

    Returns
    -------
    Analysis
        Beats of all tracks in order, with features standardized over the whole pool so that a jump
        between two songs needs the same similarity as any other.

    Raises
    ------
    NotRemixableError
        When a track is too short, silent, or neither has a steady beat nor sounds like music (noise,
        speech). Music without a steady pulse is cut into equal moments instead
        (:mod:`musicremixer.moments`, ``TrackAnalysis.free_time``).
    """
    tracks = tuple(analyze_track(audio, name=name) for audio, name in zip(audios, names, strict=True))
    counts = [t.beat_times.shape[0] for t in tracks]
    track_of_beat = np.repeat(np.arange(len(tracks)), counts)
    starts = np.concatenate([t.beat_times for t in tracks])
    ends = np.concatenate([np.r_[t.beat_times[1:], t.duration] for t in tracks])
    features, groups = _pool_features(np.vstack([t.features for t in tracks]))
    return Analysis(
        tracks=tracks,
        track_of_beat=track_of_beat,
        beat_starts=starts,
        beat_ends=ends,
        bar_positions=np.concatenate([t.bar_positions for t in tracks]),
        features=features,
        levels_db=np.vstack([t.levels_db for t in tracks]),
        feature_groups=groups,
    )


def analyze_track(audio: Audio, *, name: str) -> TrackAnalysis:
    """Find the beats, bars and beat features of one track (see :func:`analyze_tracks`)."""
    if audio.duration < MIN_SECONDS:
        raise NotRemixableError(
            f"{name} is only {audio.duration:.1f} s long; a remix needs at least {MIN_SECONDS:g} s "
            "with a steady beat. Send a longer excerpt of the song."
        )
    y = mono_for_analysis(audio)
    frames = frame_features(y)
    if float(frames.rms.max()) < SILENCE_RMS:
        raise NotRemixableError(f"{name} is silent; send a song with audible music.")
    envelope = onset_strength(frames.mel_db)
    clarity = pulse_clarity(envelope)
    # Noise reaches about 3/sqrt(frames) by chance; a short clip needs a clearer pulse to count.
    needed = max(MIN_PULSE_CLARITY, 4.0 / np.sqrt(envelope.shape[0]))
    if clarity >= needed:
        tempo = estimate_tempo(envelope, prefer_faster_pulse=True)
        if tempo < SLOW_BPM:
            beat_frames = track_slow_beats(envelope, _low_flux(frames), bpm=tempo)
        else:
            beat_frames = track_beats(envelope, bpm=tempo)
        beat_frames = place_on_long_short(envelope, beat_frames)
        beat_times = _complete_grid((beat_frames - LATENCY_FRAMES) * HOP_LENGTH / SR, frames, audio.duration)
        if beat_times.shape[0] < MIN_BEATS:
            raise NotRemixableError(
                f"{name}: only {beat_times.shape[0]} beats found; a remix needs at least {MIN_BEATS}. "
                "Send a longer excerpt with a clear beat."
            )
        beat_times[0] = 0.0  # the pickup before the first beat belongs to it
        free_time = False
    elif sounds_like_music(frames):
        beat_times, bar_positions = moment_grid(audio.duration)
        free_time = True
    else:
        raise NotRemixableError(
            f"{name} has neither a steady beat (pulse clarity {clarity:.2f}, needs {needed:.2f}) nor "
            "held harmony: it sounds like noise or speech. Send a song with music in it."
        )
    sync = _beat_sync(frames, beat_times)
    if not free_time:
        meter, bar_positions = estimate_bar_positions(sync["timbre"], sync["chroma"], sync["low_accent"])
    features = np.hstack([sync["chroma"], sync["timbre"], sync["loudness"][:, None]])
    return TrackAnalysis(
        name=name,
        duration=audio.duration,
        tempo=0.0 if free_time else _tempo_of(beat_times),
        meter=MOMENTS_PER_BAR if free_time else meter,
        beat_times=beat_times,
        bar_positions=bar_positions,
        features=features,
        levels_db=np.column_stack([sync["onset_db"], sync["kick_db"]]),
        free_time=free_time,
    )


def _tempo_of(beat_times: np.ndarray) -> float:
    # A line through the beat grid: frame quantization of single intervals cancels out.
    inner = beat_times[1:]
    period = np.polyfit(np.arange(inner.shape[0]), inner, 1)[0]
    return float(60.0 / period)


def mono_for_analysis(audio: Audio, *, block: int = 1 << 16) -> np.ndarray:
    """Fold to mono and resample to the analysis rate, ``filters.SR``.

    Block by block through one resampling stream, so no full-length mono copy at the source rate
    is ever held (32 MB for three minutes at 44.1 kHz).
    """
    import soxr

    if audio.sr == SR:
        return audio.y.mean(axis=0, dtype=np.float32)
    stream = soxr.ResampleStream(audio.sr, SR, 1, dtype="float32")
    n = audio.y.shape[1]
    parts = [
        stream.resample_chunk(audio.y[:, i : i + block].mean(axis=0, dtype=np.float32), last=i + block >= n)
        for i in range(0, n, block)
    ]
    return np.concatenate(parts)


def _complete_grid(beat_times: np.ndarray, frames: FrameFeatures, duration: float) -> np.ndarray:
    """Extend the tracked beats over leading and trailing music the tracker trimmed as weak."""
    if beat_times.shape[0] < 2:
        return beat_times
    period = float(np.median(np.diff(beat_times)))
    loud = 0.1 * float(np.median(frames.rms[frames.rms > SILENCE_RMS]))

    def audible(t: float) -> bool:
        frame = round(t * SR / HOP_LENGTH)
        return frames.rms[max(frame, 0) : frame + 3].max(initial=0.0) >= loud

    before = []
    t = beat_times[0] - period
    while t > -0.25 * period and audible(max(t, 0.0)):
        before.append(max(t, 0.0))
        t -= period
    after = []
    t = beat_times[-1] + period
    while t + period <= duration and audible(t):
        after.append(t)
        t += period
    return np.concatenate([before[::-1], beat_times, after])


def _beat_sync(frames: FrameFeatures, beat_times: np.ndarray) -> dict[str, np.ndarray]:
    """Average frame features over each beat."""
    starts = np.clip(np.round(beat_times * SR / HOP_LENGTH).astype(int), 0, frames.n_frames - 1)
    starts = np.maximum.accumulate(starts)
    counts = np.diff(np.r_[starts, frames.n_frames]).clip(min=1)[:, None]

    def mean(x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(x, starts, axis=0) / counts

    attack = peak_near(_low_flux(frames), np.minimum(starts + LATENCY_FRAMES, frames.n_frames - 1), radius=2)
    # A seam is heard as the step from the tail of one beat to the opening of the next: the beat
    # replaced and the one put in its place are compared on their openings, not their averages
    # (a kick that fades over the beat hides a 12 dB jolt in a 5 dB difference of means).
    opening = np.minimum(starts[:, None] + np.arange(1, 1 + OPENING_FRAMES), frames.n_frames - 1)
    kick_power = (10 ** (frames.mel_db[:, _KICK_MEL_BANDS] / 10)).sum(axis=1)
    return {
        "chroma": mean(frames.chroma),
        "timbre": mean(frames.mfcc[:, 1:]),
        "loudness": 20 * np.log10(mean(frames.rms[:, None])[:, 0] + 1e-6),
        "onset_db": 10 * np.log10((frames.rms[opening] ** 2).mean(axis=1) + 1e-12),
        "kick_db": 10 * np.log10(kick_power[opening].mean(axis=1) + 1e-10),
        "low_accent": attack,
    }


def _low_flux(frames: FrameFeatures) -> np.ndarray:
    """Onset strength below about 250 Hz: kick drum and bass attacks."""
    return np.maximum(0.0, np.diff(frames.mel_db[:, _LOW_MEL_BANDS], axis=0, prepend=0.0)).mean(axis=1)


def _pool_features(raw: np.ndarray) -> tuple[np.ndarray, tuple[tuple[str, slice], ...]]:
    groups = (
        ("chroma", slice(0, 12)),
        ("timbre", slice(12, raw.shape[1] - 1)),
        ("loudness", slice(-1, None)),
    )
    z = (raw - raw.mean(axis=0)) / np.maximum(raw.std(axis=0), 1e-9)
    for name, columns in groups:
        width = z[:, columns].shape[1]
        z[:, columns] *= FEATURE_WEIGHTS[name] / np.sqrt(width)
    return z, groups
