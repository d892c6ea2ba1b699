"""A several-song answer from ``POST /api/remix``, built here, for the page to be tested against
before the engine makes such mixes: the plan follows docs/CONTRACTS.md ("The plan": ``order``,
``left_out``, ``parts``, ``transitions``) and the audio is a real WAV of the plan's length.

Each song's part plays 8 beats of 0.5 s: its first four, a jump within the song, then four more.
Between parts is a transition, which in the sequence also looks like a jump (its beats are not
consecutive); only ``transitions[].step`` says it is one.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import soundfile as sf

BEAT_S = 0.5
BEATS_PER_TRACK = 16
PART_BEATS = 8  # played per part: beats 0-3, then a jump to 8-11
SAMPLE_RATE = 8000


def mix_plan(
    names: list[str],
    *,
    order: list[int],
    tempos: list[float] | None = None,
    kinds: list[str] | None = None,
) -> dict[str, Any]:
    """A plan of ``names`` playing in ``order``; the names not in it are ``left_out``.

    ``kinds`` gives each transition's kind ("blend" or "cut"), in order; all blend by default.
    """
    tempos = tempos or [120.0 + 8 * i for i in range(len(names))]
    tracks, beats, edges = [], [], []
    for t, (name, tempo) in enumerate(zip(names, tempos, strict=True)):
        first = len(beats)
        tracks.append(
            {
                "name": name,
                "duration": BEATS_PER_TRACK * 60 / tempo,
                "tempo": tempo,
                "meter": 4,
                "free_time": False,
                "first_beat": first,
                "n_beats": BEATS_PER_TRACK,
            }
        )
        for i in range(BEATS_PER_TRACK):
            start = i * 60 / tempo
            beats.append(
                {
                    "track": t,
                    "start": start,
                    "end": start + 60 / tempo,
                    "bar_position": i % 4,
                    "cluster": i % 3,
                }
            )
        edges += [
            {"from": first + 3, "to": first + 8, "distance": 0.2},
            {"from": first + 11, "to": first + 4, "distance": 0.3},
        ]

    sequence, parts, transitions = [], [], []
    for position, track in enumerate(order):
        first = tracks[track]["first_beat"]
        start = len(sequence) * BEAT_S
        if position > 0:
            previous = order[position - 1]
            kind = kinds[position - 1] if kinds else "blend"
            transitions.append(
                {
                    "from": previous,
                    "to": track,
                    "at": start,
                    "length": 1.0 if kind == "blend" else 0.1,
                    "kind": kind,
                    "step": len(sequence),
                    "from_beat": sequence[-1]["beat"],
                    "to_beat": first,
                    "tempo_multiple": 1,
                    "stretch": [tempos[previous] / tempos[track], 1.0],
                }
            )
        for beat in [*range(first, first + 4), *range(first + 8, first + 12)]:
            sequence.append({"beat": beat, "time": len(sequence) * BEAT_S})
        parts.append({"track": track, "start": start, "end": len(sequence) * BEAT_S})

    return {
        "version": 1,
        "tempo": tempos[order[0]],
        "sample_rate": SAMPLE_RATE,
        "channels": 1,
        "duration": len(sequence) * BEAT_S,
        "seed": 7,
        "jumpiness": 0.5,
        "ending": "song",
        "fade_out": 0.0,
        "n_clusters": 3,
        "tracks": tracks,
        "beats": beats,
        "edges": edges,
        "sequence": sequence,
        "order": order,
        "left_out": [name for t, name in enumerate(names) if t not in order],
        "parts": parts,
        "transitions": transitions,
    }


def click_wav(seconds: float) -> bytes:
    """A quiet click on every beat, mono 8 kHz 16-bit WAV: real audio the browser can play."""
    y = np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)
    click = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(200) / SAMPLE_RATE) * np.hanning(200)
    for start in range(0, len(y) - len(click), round(BEAT_S * SAMPLE_RATE)):
        y[start : start + len(click)] += click
    out = io.BytesIO()
    sf.write(out, y, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return out.getvalue()


def mix_answer(plan: dict[str, Any]) -> dict[str, Any]:
    """The JSON body the API sends with ``Accept: application/json``."""
    return {
        "plan": plan,
        "audio": {
            "media_type": "audio/wav",
            "filename": "mix-remix-7.wav",
            "base64": base64.b64encode(click_wav(plan["duration"])).decode("ascii"),
        },
    }
