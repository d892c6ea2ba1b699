"""The benchmark's input songs, made by code (``tests/synth.py``) so no recording has to be shipped.

Every input is a drum-and-chords song at 44.1 kHz stereo written as 16-bit WAV: a short near-silent
pickup, whole bars at a tempo that is not a round number, and a held chord fading out to fill the
requested length exactly. The 10-second clip is the first 10 seconds of the 3-minute song, so the
"song minus clip" difference measures the extra work on the same material.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

BPM = 118.0
METER = 4
SR = 44100
CHANNELS = 2
PICKUP_S = 0.25
MIN_OUTRO_S = 2.0


@dataclass(frozen=True)
class BenchInput:
    """One input file and the truth about it.

    key : str
        Short name (``clip``, ``30s``, ``3min``, ``10min``).
    path : Path
        The WAV file.
    seconds : float
        Its length.
    beat_times : np.ndarray [shape=(n_beats,)]
        The known beat grid in seconds.
    meter : int
        Beats per bar (beat ``k`` is at bar position ``k % meter``).
    """

    key: str
    path: Path
    seconds: float
    beat_times: np.ndarray
    meter: int


def load_synth():
    """``tests.synth``, imported from the repository (it is not part of the installed package)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    try:
        from tests import synth
    except ImportError as exc:  # pragma: no cover - only on a broken checkout
        raise SystemExit(
            f"bench: cannot import tests/synth.py from {REPO} ({exc}); use a full checkout."
        ) from exc
    return synth


def make_song(seconds: float, *, seed: int = 0, bpm: float = BPM, meter: int = METER):
    """A synthetic song of exactly ``seconds`` (a ``tests.synth.SynthSong``)."""
    synth = load_synth()
    bar_s = meter * 60.0 / bpm
    bars = max(1, math.floor((seconds - PICKUP_S - MIN_OUTRO_S) / bar_s))
    outro = max(0.0, seconds - PICKUP_S - bars * bar_s)
    return synth.synthetic_song(
        bpm=bpm, meter=meter, bars=bars, sr=SR, channels=CHANNELS, seed=seed, pickup=PICKUP_S, outro=outro
    )


def write_inputs(
    directory: Path, keys: list[str], *, seconds_of: dict[str, float], seed: int = 0
) -> dict[str, BenchInput]:
    """Write the inputs named by ``keys`` into ``directory``.

    ``clip`` is cut from the 3-minute song; any other key is a whole song of ``seconds_of[key]``.
    """
    synth = load_synth()
    made: dict[str, BenchInput] = {}
    songs = {}
    for key in keys:
        if key == "clip":
            continue
        songs[key] = make_song(seconds_of[key], seed=seed)
    if "clip" in keys:
        full = songs["3min"] if "3min" in songs else make_song(seconds_of["3min"], seed=seed)
        n = round(seconds_of["clip"] * full.sr)
        path = directory / "clip.wav"
        path.write_bytes(synth.wav_bytes(full.y[:, :n], full.sr))
        beats = full.beat_times[full.beat_times < seconds_of["clip"]]
        made["clip"] = BenchInput("clip", path, n / full.sr, beats, full.meter)
    for key, song in songs.items():
        path = directory / f"{key}.wav"
        path.write_bytes(song.to_bytes("wav"))
        made[key] = BenchInput(key, path, song.duration, song.beat_times, song.meter)
    return {key: made[key] for key in keys}
