"""Test audio made by code: click tracks and small drum-and-chords songs with a known beat grid.

Everything here is numpy only and deterministic from a ``seed``: the same call gives the same
samples on every machine, so tests can assert exact properties (where the beats are, how long the
song is) instead of comparing against recordings.

The songs are built from one precomputed hit per instrument, added at the grid's sample offsets
with a little seeded gain variation, so a 3-minute stereo song at 44.1 kHz synthesizes in well
under a second.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

__all__ = [
    "SynthSong",
    "ambient_pad",
    "click_track",
    "kick_hit",
    "noise",
    "rubato_piece",
    "shuffle_song",
    "silence",
    "stride_piano",
    "synthetic_song",
    "wav_bytes",
]

PEAK = 0.8  # every generated song is normalized to this peak: loud, never clipping

# soundfile's format names and the subtype written when none is asked for.
_FORMATS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


@dataclass(frozen=True)
class SynthSong:
    """A generated song and the truth about it.

    Attributes
    ----------
    y : np.ndarray [shape=(channels, n), dtype=float32]
        Samples, peak about 0.8.
    sr : int
        Sample rate in Hz.
    beat_times : np.ndarray [shape=(n_beats,)]
        Onset of every beat in seconds (the grid the drums were placed on).
    downbeat_times : np.ndarray [shape=(n_bars,)]
        Onset of every bar's first beat in seconds.
    bpm : float
        Tempo in beats per minute.
    meter : int
        Beats per bar.
    """

    y: np.ndarray
    sr: int
    beat_times: np.ndarray
    downbeat_times: np.ndarray
    bpm: float
    meter: int

    @property
    def channels(self) -> int:
        return int(self.y.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.y.shape[1] / self.sr

    def to_bytes(self, format: str = "wav", subtype: str | None = None) -> bytes:
        """Encode the song as a file in memory.

        Parameters
        ----------
        format : {'wav', 'flac', 'ogg', 'mp3'}
            Container.
        subtype : str or None
            soundfile subtype (``'PCM_24'``, ``'FLOAT'``, ``'OPUS'``, ...); ``None`` means PCM_16
            for WAV and FLAC, Vorbis for OGG, MPEG layer III for MP3.

        Returns
        -------
        bytes
        """
        return _encode(self.y, self.sr, format=format, subtype=subtype)


def click_track(
    *,
    bpm: float,
    seconds: float,
    sr: int = 22050,
    meter: int = 4,
    channels: int = 1,
    seed: int = 0,
) -> SynthSong:
    """A metronome: a short tone burst on every beat, higher and louder on each downbeat.

    Parameters
    ----------
    bpm : float > 0
        Tempo in beats per minute.
    seconds : float > 0
        Length of the track in seconds; beats start at 0 and continue while they fit.
    sr : int > 0
        Sample rate in Hz.
    meter : int > 0
        Beats per bar; beat 0 of each bar is the accented one.
    channels : int > 0
        Every channel carries the same clicks.
    seed : int
        Seeds the small gain variation between clicks.

    Returns
    -------
    SynthSong
    """
    _check_positive(bpm=bpm, seconds=seconds, sr=sr, meter=meter, channels=channels)
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    period = 60.0 / bpm
    beat_times = np.arange(0.0, seconds, period)
    bar_positions = np.arange(beat_times.size) % meter

    t = np.arange(int(0.03 * sr)) / sr
    env = np.exp(-t / 0.006)
    clicks = {
        True: np.sin(2 * np.pi * 1600.0 * t) * env,  # downbeat
        False: 0.6 * np.sin(2 * np.pi * 1000.0 * t) * env,
    }
    mono = np.zeros(n, dtype=np.float32)
    gains = 1.0 + 0.05 * rng.standard_normal(beat_times.size)
    for time, pos, gain in zip(beat_times, bar_positions, gains, strict=True):
        _add_at(mono, clicks[bool(pos == 0)], round(time * sr), gain)
    y = np.repeat(mono[np.newaxis], channels, axis=0)
    return _song(y, sr, beat_times, bar_positions, bpm, meter)


def synthetic_song(
    *,
    bpm: float,
    meter: int = 4,
    bars: int = 32,
    sr: int = 44100,
    channels: int = 2,
    seed: int = 0,
    pickup: float = 0.0,
    outro: float = 0.0,
    hats: float = 0.35,
    offbeat_hats: float = 0.7,
) -> SynthSong:
    """A drum-and-chords loop with a known beat and bar grid.

    Drums: a kick on each downbeat (and, in 4/4, a softer one on beat 3), a snare on the backbeats
    (2 and 4 in 4/4, 2 and 3 in 3/4, every beat but the first otherwise), closed hi-hats on eighth
    notes. Harmony: a bass note and a sustained chord on each downbeat following I-V-vi-IV in a key
    chosen by ``seed``, so every bar has four look-alikes (jump candidates) while the chord change and
    the louder kick mark where bars start.

    Parameters
    ----------
    bpm : float > 0
        Tempo in beats per minute.
    meter : int > 0
        Beats per bar.
    bars : int > 0
        Number of bars.
    sr : int > 0
        Sample rate in Hz.
    channels : int > 0
        Output channels; instruments are panned a little differently in each.
    seed : int
        Chooses the key and the per-hit gain variation.
    pickup : float >= 0
        Seconds of near-silence (a faint noise floor) before the first beat.
    outro : float >= 0
        Seconds after the last bar: the tonic chord held and fading out.
    hats : float >= 0
        Level of the eighth-note hi-hats against the drums (real mixes often have them loud).
    offbeat_hats : float >= 0
        Gain of the off-beat hats against the on-beat ones.

    Returns
    -------
    SynthSong
        Its ``beat_times`` start at ``pickup`` and are spaced ``60 / bpm`` apart; it lasts
        ``pickup + bars * meter * 60 / bpm + outro`` seconds.
    """
    _check_positive(bpm=bpm, meter=meter, bars=bars, sr=sr, channels=channels)
    if pickup < 0 or outro < 0:
        raise ValueError(f"pickup={pickup!r} and outro={outro!r} must be >= 0")
    rng = np.random.default_rng(seed)
    period = 60.0 / bpm
    n_beats = bars * meter
    n = round((pickup + n_beats * period + outro) * sr)
    beat_times = pickup + period * np.arange(n_beats)
    beat_samples = np.round(beat_times * sr).astype(int)
    bar_positions = np.arange(n_beats) % meter
    bar_samples = beat_samples[bar_positions == 0]
    bar_length = round(meter * period * sr)

    kick, snare, hat = (h.astype(np.float32) for h in (_kick(sr), _snare(sr, rng), _hat(sr, rng)))
    # float32 buses: half the memory traffic of float64, and plenty of precision for test audio.
    drums = np.zeros(n, dtype=np.float32)
    hat_bus = np.zeros(n, dtype=np.float32)
    for start, pos in zip(beat_samples, bar_positions, strict=True):
        if pos == 0:
            _add_at(drums, kick, start, 1.0 + 0.05 * rng.standard_normal())
        elif meter == 4 and pos == 2:
            _add_at(drums, kick, start, 0.6 + 0.05 * rng.standard_normal())
        if _is_backbeat(pos, meter):
            _add_at(drums, snare, start, 0.7 + 0.05 * rng.standard_normal())
    eighth_times = pickup + (period / 2) * np.arange(2 * n_beats)
    for k, time in enumerate(eighth_times):
        accent = 1.0 if k % 2 == 0 else offbeat_hats  # on-beat hats a little louder, as drummers play them
        _add_at(hat_bus, hat, round(time * sr), accent * (1.0 + 0.1 * rng.standard_normal()))

    # I-V-vi-IV in a key from the seed; roots as MIDI notes around C3.
    tonic = 48 + int(rng.integers(0, 12))
    progression = [(tonic, (0, 4, 7)), (tonic + 7, (0, 4, 7)), (tonic + 9, (0, 3, 7)), (tonic + 5, (0, 4, 7))]
    chord_hits = [_chord(root + 12, iv, bar_length, sr).astype(np.float32) for root, iv in progression]
    bass_hits = [_bass(root - 12, bar_length, sr).astype(np.float32) for root, _ in progression]
    chords = np.zeros(n, dtype=np.float32)
    bass = np.zeros(n, dtype=np.float32)
    for bar, start in enumerate(bar_samples):
        chord = bar % len(progression)
        _add_at(chords, chord_hits[chord], start, 1.0 + 0.03 * rng.standard_normal())
        _add_at(bass, bass_hits[chord], start, 1.0 + 0.03 * rng.standard_normal())
    end = round((pickup + n_beats * period) * sr)
    if n > end:
        # The outro: the tonic chord held from the end of the last bar, fading to silence.
        tail = _chord(tonic + 12, (0, 4, 7), n - end, sr, release=False)
        tail *= np.exp(-np.arange(n - end) / (0.25 * (n - end) + 1))
        _add_at(chords, tail, end, 1.0)

    # A faint noise floor everywhere, so the pickup is near-silence rather than digital zero.
    drums += rng.standard_normal(n, dtype=np.float32) * np.float32(1e-4)
    drums += np.float32(0.9) * bass
    # Pan: kick, snare and bass in the middle; hats a little right, chords a little left.
    stems = [(drums, 1.0, 0.0), (hat_bus, hats, 0.4), (chords, 0.45, -0.3)]
    pans = np.linspace(-1.0, 1.0, channels) if channels > 1 else np.zeros(1)
    y = np.zeros((channels, n), dtype=np.float32)
    scratch = np.empty(n, dtype=np.float32)
    for stem, level, pan in stems:
        for ch, position in enumerate(pans):
            np.multiply(stem, np.float32(level * (1.0 - 0.25 * abs(position - pan))), out=scratch)
            y[ch] += scratch
    return _song(y, sr, beat_times, bar_positions, bpm, meter)


def shuffle_song(*, bpm: float, bars: int = 24, sr: int = 22050, seed: int = 0) -> SynthSong:
    """A 4/4 shuffle whose swung off-beat is played louder than the beat, mono.

    Kick on 1 and 3, snare on 2 and 4, a hi-hat on every beat; two thirds of the way to each next
    beat a hi-hat half again as loud and a ghost snare, as shuffles accent the off-beat; a walking
    bass on every beat. The spectral flux (and at some tempos the beat network) locks on the
    off-beat.
    """
    rng, period, y, beat_times = _bars_of_four(bpm, bars, sr, seed)
    n_beats = beat_times.shape[0]
    positions = np.arange(n_beats) % 4
    kick, snare, hat = (h.astype(np.float32) for h in (_kick(sr), _snare(sr, rng), _hat(sr, rng)))
    tonic = 45 + int(rng.integers(0, 12))
    roots = (tonic, tonic + 5, tonic + 7, tonic + 5)
    beat_length = round(period * sr)
    for k, (time, position) in enumerate(zip(beat_times, positions, strict=True)):
        start, swung = round(time * sr), round((time + 2 / 3 * period) * sr)
        _add_at(y, kick if position in (0, 2) else snare, start, 0.8 if position in (0, 2) else 0.5)
        _add_at(y, hat, start, 0.5)
        _add_at(y, hat, swung, 1.5)
        _add_at(y, snare, swung, 0.6)
        walk = roots[(k // 4) % 4] - 12 + (0, 4, 7, 9)[position]
        _add_at(y, _bass(walk, beat_length, sr).astype(np.float32), start, 0.5)
    return _song(y[None], sr, beat_times, positions, bpm, 4)


def stride_piano(*, bpm: float, bars: int = 24, sr: int = 22050, seed: int = 0) -> SynthSong:
    """Stride piano without drums, mono: a bass note on every beat, a chord as loud on every off-beat.

    Every eighth note has an onset of the same strength, so the spectral flux cannot tell the beat
    from the off-beat; only the register can (low notes on the beat). A melody note falls on a
    random eighth of most beats. Chords follow I-IV-V7-I, one a bar.
    """
    rng, period, y, beat_times = _bars_of_four(bpm, bars, sr, seed)
    n_beats = beat_times.shape[0]
    tonic = 48 + int(rng.integers(0, 12))
    progression = ((tonic, (0, 4, 7)), (tonic + 5, (0, 4, 9)), (tonic + 7, (0, 4, 7, 10)), (tonic, (0, 4, 7)))
    half = round(period * sr / 2)
    for k, time in enumerate(beat_times):
        root, intervals = progression[(k // 4) % 4]
        start = round(time * sr)
        _add_at(y, _pluck(root - 12 + (0, 7)[k % 2], 2 * half, sr).astype(np.float32), start, 1.0)
        for interval in intervals:
            _add_at(y, _pluck(root + 12 + interval, half, sr).astype(np.float32), start + half, 0.45)
        if rng.random() < 0.6:
            note = root + 24 + int(rng.choice(intervals))
            _add_at(y, _pluck(note, half, sr).astype(np.float32), start + half * int(rng.integers(0, 2)), 0.5)
    return _song(y[None], sr, beat_times, np.arange(n_beats) % 4, bpm, 4)


def rubato_piece(*, seconds: float = 40.0, sr: int = 22050, seed: int = 0, bpm: float = 84.0) -> SynthSong:
    """A solo keyboard line with no drums whose tempo breathes: rubato, as a pianist plays a slow piece.

    Plucked harmonic tones (a melody note on every beat, a bass note on every downbeat of 3/4) on a
    grid whose tempo swings by about a third, slowly and irregularly, so no single beat period fits
    the whole piece.

    Returns
    -------
    SynthSong
        ``beat_times`` are the warped beats; ``bpm`` is the nominal tempo.
    """
    _check_positive(seconds=seconds, sr=sr, bpm=bpm)
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    # Local tempo: two slow incommensurate swings plus a random walk, between about 0.6 and 1.4 x bpm.
    grid = np.arange(0.0, seconds, 0.01)
    drift = np.cumsum(rng.standard_normal(grid.size)) * 0.004
    factor = 1.0 + 0.25 * np.sin(2 * np.pi * grid / 11.0) + 0.12 * np.sin(2 * np.pi * grid / 4.3 + 1.0)
    factor = np.clip(factor + drift - drift.mean(), 0.6, 1.4)
    beats_done = np.cumsum(factor * bpm / 60.0 * 0.01)
    beat_times = np.interp(np.arange(1, int(beats_done[-1])), beats_done, grid)
    beat_times = beat_times[beat_times < seconds - 1.5]
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
    tonic = 60 + int(rng.integers(0, 12))
    y = np.zeros(n, dtype=np.float32)
    for k, time in enumerate(beat_times):
        note = tonic + int(scale[rng.integers(0, scale.size)])
        _add_at(y, _pluck(note, int(1.2 * sr), sr), round(time * sr), 0.5 + 0.2 * rng.random())
        if k % 3 == 0:
            _add_at(
                y,
                _pluck(tonic - 12 + int(scale[rng.integers(0, 5)]), int(2.0 * sr), sr),
                round(time * sr),
                0.6,
            )
    bar_positions = np.arange(beat_times.size) % 3
    return _song(y[None, :], sr, beat_times, bar_positions, bpm, 3)


def ambient_pad(*, seconds: float = 40.0, sr: int = 22050, seed: int = 0, channels: int = 1) -> SynthSong:
    """Sustained chords that swell and melt into each other: no attack, no pulse (an ambient track).

    Each chord lasts 5 to 9 seconds and crossfades over two seconds into the next; its loudness
    swells slowly. ``beat_times`` are the chord changes; ``bpm`` and ``meter`` carry no meaning here.

    Returns
    -------
    SynthSong
    """
    _check_positive(seconds=seconds, sr=sr, channels=channels)
    rng = np.random.default_rng(seed)
    n = round(seconds * sr)
    tonic = 48 + int(rng.integers(0, 12))
    shapes = [(0, 4, 7, 11), (5, 9, 12, 16), (-3, 0, 4, 7), (2, 5, 9, 12)]
    y = np.zeros(n, dtype=np.float32)
    changes, start = [], 0.0
    while start < seconds:
        length = 5.0 + 4.0 * rng.random()
        changes.append(start)
        count = min(n - round(start * sr), round((length + 2.0) * sr))
        t = np.arange(count) / sr
        chord = _chord(tonic, shapes[len(changes) % len(shapes)], count, sr, release=False)
        chord /= np.exp(-t / 2.0)  # undo _chord's decay: a pad holds its notes
        envelope = np.sin(np.pi * np.clip(t / (length + 2.0), 0, 1)) ** 0.5
        swell = 1.0 + 0.3 * np.sin(2 * np.pi * t / (3.0 + rng.random()))
        _add_at(y, chord * envelope * swell, round(start * sr), 1.0)
        start += length
    y = np.repeat(y[None, :], channels, axis=0)
    changes = np.array(changes)
    return _song(y, sr, changes, np.zeros(changes.size, dtype=int), 60.0 / 7.0, 1)


def noise(seconds: float, sr: int = 22050, seed: int = 0, *, channels: int = 1) -> np.ndarray:
    """White noise at about -10 dBFS RMS.

    Returns
    -------
    np.ndarray [shape=(channels, round(seconds * sr)), dtype=float32]
    """
    rng = np.random.default_rng(seed)
    y = 0.3 * rng.standard_normal((channels, round(seconds * sr)))
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def silence(seconds: float, sr: int = 22050, *, channels: int = 1) -> np.ndarray:
    """Digital silence.

    Returns
    -------
    np.ndarray [shape=(channels, round(seconds * sr)), dtype=float32]
    """
    return np.zeros((channels, round(seconds * sr)), dtype=np.float32)


def wav_bytes(y: np.ndarray, sr: int, subtype: str = "PCM_16") -> bytes:
    """Encode samples as a WAV file in memory.

    Parameters
    ----------
    y : np.ndarray [shape=(channels, n) or (n,)]
        Samples in [-1, 1].
    sr : int
        Sample rate in Hz.
    subtype : str
        soundfile subtype: ``'PCM_U8'``, ``'PCM_16'``, ``'PCM_24'``, ``'PCM_32'``, ``'FLOAT'``,
        ``'DOUBLE'``.

    Returns
    -------
    bytes
    """
    return _encode(np.atleast_2d(y), sr, format="wav", subtype=subtype)


# --- instruments: one hit each, computed once per song ---------------------------------------------


def _bars_of_four(bpm: float, bars: int, sr: int, seed: int):
    """A 4/4 piece's start: its generator, beat period, a silent mono bus a second longer than its
    bars, and its beat times."""
    _check_positive(bpm=bpm, bars=bars, sr=sr)
    period = 60.0 / bpm
    n_beats = bars * 4
    y = np.zeros(round((n_beats * period + 1.0) * sr), dtype=np.float32)
    return np.random.default_rng(seed), period, y, period * np.arange(n_beats)


def _song(
    y: np.ndarray, sr: int, beat_times: np.ndarray, bar_positions: np.ndarray, bpm: float, meter: int
) -> SynthSong:
    return SynthSong(
        y=_normalize(y),
        sr=int(sr),
        beat_times=beat_times,
        downbeat_times=beat_times[bar_positions == 0],
        bpm=float(bpm),
        meter=int(meter),
    )


def kick_hit(sr: int) -> np.ndarray:
    """The kick drum the songs use, one hit: for tests that find the kicks in a remix by matched filter."""
    return _kick(sr).astype(np.float32)


def _kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.35 * sr)) / sr
    # A sine whose pitch falls from 150 Hz to 50 Hz: the phase is the integral of the frequency.
    freq = 50.0 + 100.0 * np.exp(-t / 0.04)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return np.sin(phase) * np.exp(-t / 0.12) * _attack(t.size, sr)


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.2 * sr)) / sr
    rattle = rng.standard_normal(t.size)
    rattle = np.diff(rattle, prepend=0.0) / 2  # first difference: tilt the noise towards the highs
    body = np.sin(2 * np.pi * 190.0 * t) * np.exp(-t / 0.03)
    return (0.8 * rattle * np.exp(-t / 0.05) + 0.6 * body) * _attack(t.size, sr)


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.06 * sr)) / sr
    hiss = rng.standard_normal(t.size)
    hiss = np.diff(hiss, n=2, prepend=[0.0, 0.0]) / 4  # second difference: mostly above 5 kHz
    return hiss * np.exp(-t / 0.012) * _attack(t.size, sr)


def _chord(
    root: int, intervals: tuple[int, ...], length: int, sr: int, *, release: bool = True
) -> np.ndarray:
    """A bar-long chord: each note a few saw-like partials, with a soft attack and release."""
    t = np.arange(length) / sr
    out = np.zeros(length)
    for interval in intervals:
        f0 = _hz(root + interval)
        for k in range(1, 5):
            if k * f0 < sr / 2:
                out += np.sin(2 * np.pi * k * f0 * t) / k
    env = np.exp(-t / 2.0) * _attack(length, sr, seconds=0.01)
    if release:
        # Fade the last 30 ms so one chord ends just as the next begins, without a click.
        n_release = min(length, int(0.03 * sr))
        env[length - n_release :] *= np.linspace(1.0, 0.0, n_release)
    return out * env / len(intervals)


def _bass(root: int, length: int, sr: int) -> np.ndarray:
    t = np.arange(length) / sr
    f0 = _hz(root)
    tone = np.sin(2 * np.pi * f0 * t) + 0.3 * np.sin(2 * np.pi * 2 * f0 * t)
    env = np.exp(-t / 0.5) * _attack(length, sr, seconds=0.005)
    n_release = min(length, int(0.03 * sr))
    env[length - n_release :] *= np.linspace(1.0, 0.0, n_release)
    return 0.5 * tone * env


def _attack(length: int, sr: int, *, seconds: float = 0.002) -> np.ndarray:
    """A linear fade-in of a few milliseconds, so no hit starts with a step."""
    ramp = np.ones(length)
    n = min(length, max(1, int(seconds * sr)))
    ramp[:n] = np.linspace(0.0, 1.0, n, endpoint=False)
    return ramp


def _pluck(note: int, length: int, sr: int) -> np.ndarray:
    """A plucked keyboard tone: a few harmonics with a sharp attack and an exponential decay."""
    t = np.arange(length) / sr
    f0 = _hz(note)
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k**1.5 for k in range(1, 6) if k * f0 < sr / 2)
    return tone * np.exp(-t / 0.4) * _attack(length, sr, seconds=0.003)


def _hz(midi: int) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def _is_backbeat(position: int, meter: int) -> bool:
    if meter == 4:
        return position in (1, 3)
    if meter == 3:
        return position in (1, 2)
    return position != 0


# --- helpers ---------------------------------------------------------------------------------------


def _add_at(out: np.ndarray, hit: np.ndarray, start: int, gain: float) -> None:
    """Mix ``gain * hit`` into ``out`` from sample ``start``, dropping whatever falls past the end."""
    stop = min(out.size, start + hit.size)
    if stop > start:
        out[start:stop] += np.float32(gain) * hit[: stop - start].astype(np.float32, copy=False)


def _normalize(y: np.ndarray) -> np.ndarray:
    """Scale ``y`` (float32, in place) to a peak of :data:`PEAK`."""
    peak = max(float(y.max(initial=0.0)), -float(y.min(initial=0.0)))
    if peak > 0:
        y *= np.float32(PEAK / peak)
    return y


def _check_positive(**values: float) -> None:
    for key, value in values.items():
        if not value > 0:
            raise ValueError(f"{key}={value!r} must be > 0")


def _encode(y: np.ndarray, sr: int, *, format: str, subtype: str | None) -> bytes:
    if format not in _FORMATS:
        raise ValueError(f"format={format!r}: use one of {', '.join(_FORMATS)}")
    container, default_subtype = _FORMATS[format]
    frames = np.ascontiguousarray(y.T)  # soundfile wants (n, channels)
    buffer = io.BytesIO()
    with sf.SoundFile(
        buffer,
        "w",
        samplerate=int(sr),
        channels=frames.shape[1],
        format=container,
        subtype=subtype or default_subtype,
    ) as f:
        if format in ("ogg", "mp3"):
            # One large write of OGG/MP3 into a BytesIO segfaults libsndfile 1.2.2; one second at a
            # time does not.
            for start in range(0, frames.shape[0], int(sr)):
                f.write(frames[start : start + int(sr)])
        else:
            f.write(frames)
    return buffer.getvalue()
