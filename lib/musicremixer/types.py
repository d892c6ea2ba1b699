"""The data that flows between the pipeline's stages, in one place.

``decode`` makes :class:`Audio`; ``analyze`` makes :class:`Analysis`; ``graph`` makes
:class:`JumpGraph`; ``walk`` makes :class:`Plan`; ``render`` makes :class:`Audio` again.
Arrays are numpy arrays; times are in seconds, sample positions in samples of the rate named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class SourceFile(NamedTuple):
    """One input as it arrives: a display name (file name or URL) and its encoded bytes."""

    name: str
    data: bytes


class LazySamples:
    """Samples that are made only as they are read: ``y[:, a:b]`` makes samples ``a`` to ``b``.

    Reads like a ``(channels, n)`` float32 array for what the encoder needs: ``shape``, ``ndim``,
    ``dtype`` and windows of every channel (``np.asarray`` makes it all). A render returns one when
    asked to be lazy, so an hour of output is never whole in memory. Subclasses set ``shape`` and
    implement :meth:`draw`; it must give the same samples for a window however it is read (in any
    order, in any pieces, from several threads).
    """

    ndim = 2
    dtype = np.dtype(np.float32)
    shape: tuple[int, int]

    def draw(self, out: np.ndarray, at: int) -> None:
        """Write samples ``at`` to ``at + out.shape[1]`` into ``out``, a buffer of zeros."""
        raise NotImplementedError

    def __getitem__(self, key) -> np.ndarray:
        rows, columns = key if isinstance(key, tuple) and len(key) == 2 else (None, None)
        if rows != slice(None) or not isinstance(columns, slice) or columns.step not in (None, 1):
            raise TypeError(f"{type(self).__name__} is read in windows of every channel: y[:, start:stop]")
        start, stop, _ = columns.indices(self.shape[1])
        out = np.zeros((self.shape[0], max(stop - start, 0)), dtype=np.float32)
        self.draw(out, start)
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        y = self[:, :]
        return y if dtype is None else y.astype(dtype, copy=False)


@dataclass(frozen=True)
class Audio:
    """Decoded audio.

    y : np.ndarray [shape=(channels, n), dtype=float32] or LazySamples
        Samples in [-1, 1], at the source's own rate and channel count. A render may return
        :class:`LazySamples` instead, read by the encoder a block at a time.
    sr : int
        Sample rate in Hz.
    """

    y: np.ndarray
    sr: int

    @property
    def channels(self) -> int:
        return int(self.y.shape[0])

    @property
    def duration(self) -> float:
        return self.y.shape[1] / self.sr


@dataclass(frozen=True)
class TrackAnalysis:
    """What the analysis found in one track.

    beat_times : np.ndarray [shape=(n_beats,)]
        Start of each beat in seconds. The first beat starts at 0 (any pickup before the first
        detected beat belongs to it) and the last one ends at the track's end.
    bar_positions : np.ndarray [shape=(n_beats,), dtype=int]
        Position of each beat in its bar, 0 for the downbeat.
    features : np.ndarray [shape=(n_beats, n_features)]
        Beat-synchronous chroma, MFCC and loudness, before standardization.
    levels_db : np.ndarray [shape=(n_beats, 2)]
        The level of each beat's opening (100 ms from 20 ms after its cut; a free-time moment's
        whole half second) in dB, ``openings.opening_levels``: column 0 broadband mean square
        (dBFS), column 1 the Hann-weighted power below 150 Hz (only differences between beats
        mean anything). What the seams are judged by (InfiniPlay's vetoes: level within 4 dB, kick
        within 6 dB).
    free_time : bool
        True when the track has no steady pulse: its "beats" are then equal moments of about half a
        second, and seams get long crossfades instead of cuts before an attack.
    """

    name: str
    duration: float
    tempo: float  # BPM; 0 for a free-time track
    meter: int
    beat_times: np.ndarray
    bar_positions: np.ndarray
    features: np.ndarray
    levels_db: np.ndarray
    free_time: bool = False


@dataclass(frozen=True)
class Analysis:
    """All tracks' beats as one pool; beat ``k`` of the pool is beat ``k - offsets[t]`` of track ``t``."""

    tracks: tuple[TrackAnalysis, ...]
    track_of_beat: np.ndarray  # (n_beats,) int
    beat_starts: np.ndarray  # (n_beats,) seconds, within the beat's track
    beat_ends: np.ndarray  # (n_beats,) seconds, within the beat's track
    bar_positions: np.ndarray  # (n_beats,) int
    features: np.ndarray  # (n_beats, n_features), standardized over the pool
    levels_db: np.ndarray  # (n_beats, 2) dB: broadband RMS, kick band (TrackAnalysis.levels_db)
    feature_groups: tuple[tuple[str, slice], ...]  # ("chroma", slice(0, 12)), ...

    @property
    def n_beats(self) -> int:
        return int(self.track_of_beat.shape[0])


@dataclass(frozen=True)
class JumpGraph:
    """Where the walk may jump.

    sources, targets : np.ndarray [shape=(n_edges,), dtype=int]
        After playing beat ``sources[e]`` the walk may play ``targets[e]`` instead of the next beat.
    distances : np.ndarray [shape=(n_edges,)]
        How unlike the destination (with its context) is to what would have come next; lower is better.
    clusters : np.ndarray [shape=(n_beats,), dtype=int]
        KMeans cluster of every beat.
    """

    sources: np.ndarray
    targets: np.ndarray
    distances: np.ndarray
    clusters: np.ndarray

    @property
    def n_edges(self) -> int:
        return int(self.sources.shape[0])


@dataclass(frozen=True)
class Part:
    """The stretch of the output in which one song plays (a mix of several songs has one per song).

    steps : slice
        The part's entries in :attr:`Plan.beats`.
    start, end : float
        Output seconds: from the song's entry (0, or its transition's ``at``) to the next entry.
    """

    track: int
    steps: slice
    start: float
    end: float


@dataclass(frozen=True)
class Transition:
    """How one song hands over to the next, on the incoming song's downbeat.

    at : float
        Output second of the incoming song's first beat: the crossfade starts there.
    length : float
        Seconds of the crossfade (``kind="blend"``) or of the outgoing song's fade (``"cut"``).
    kind : {'blend', 'cut'}
        ``blend``: beat-matched crossfade, the incoming song stretched to the outgoing one's beat.
        ``cut``: the tempi are too far apart; the outgoing song fades and the incoming one cuts in.
    from_beat, to_beat : int
        Pool index of the outgoing song's last beat before the transition, and the incoming's first.
    tempo_multiple : float
        1, 2 or 0.5: the incoming beat is matched to the outgoing beat times this.
    stretch : tuple of float
        Output length over source length of the incoming song's beats at its entry and after
        easing back (1.0).
    eased_steps : int
        Entries of the incoming part, from its first, whose stretch differs from 1.
    outgoing_stretch : float
        Output length over source length of the outgoing song under the crossfade: the two songs
        meet between their tempi.
    outgoing_steps : int
        Entries of the outgoing part, up to its last, eased from 1 towards ``outgoing_stretch``.
    """

    from_track: int
    to_track: int
    step: int
    at: float
    length: float
    kind: str
    from_beat: int
    to_beat: int
    tempo_multiple: float
    stretch: tuple[float, float]
    eased_steps: int
    outgoing_stretch: float = 1.0
    outgoing_steps: int = 0


@dataclass(frozen=True)
class Plan:
    """The remix as a sequence of source beats.

    beats : np.ndarray [shape=(n_steps,), dtype=int]
        Pool index of each beat played, in order.
    times : np.ndarray [shape=(n_steps,)]
        Output start time of each, in seconds.
    duration : float
        Output length in seconds.
    fade_out : float
        Length of the closing fade in seconds; 0 when the remix ends on the song's own ending.
    parts : tuple of Part
        Which song plays when, in playing order; empty means one part of the first track.
    transitions : tuple of Transition
        Between consecutive parts.
    stretch : np.ndarray [shape=(n_steps,)] or None
        Output length over source length of each entry (the head of a song that enters stretched
        to the tempo of the one before); None when nothing is stretched.
    left_out : tuple of int
        Tracks that did not fit in the asked length.
    """

    beats: np.ndarray
    times: np.ndarray
    duration: float
    fade_out: float
    seed: int
    jumpiness: float
    parts: tuple[Part, ...] = ()
    transitions: tuple[Transition, ...] = ()
    stretch: np.ndarray | None = None
    left_out: tuple[int, ...] = ()
