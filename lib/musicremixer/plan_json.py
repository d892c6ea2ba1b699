"""The plan as JSON-ready data: what ``/analyze`` returns, ``--plan`` writes and the page draws."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from musicremixer.types import Analysis, Audio, JumpGraph, Part, Plan, Transition

PLAN_VERSION = 1


def plan_to_dict(plan: Plan, analysis: Analysis, graph: JumpGraph, audios: Sequence[Audio]) -> dict[str, Any]:
    """Describe the plan with its analysis and graph (see docs/CONTRACTS.md, "The plan").

    Times are rounded to the millisecond and distances to three decimals: the plan of a ten-minute
    song stays well under a megabyte.
    """
    offsets = np.r_[0, np.cumsum([t.beat_times.shape[0] for t in analysis.tracks])]
    parts = plan.parts or (Part(track=0, steps=slice(0, plan.beats.shape[0]), start=0.0, end=plan.duration),)
    return {
        "version": PLAN_VERSION,
        "tempo": round(analysis.tracks[parts[0].track].tempo, 2),
        "sample_rate": audios[0].sr,
        "channels": audios[0].channels,
        "duration": round(plan.duration, 3),
        "seed": plan.seed,
        "jumpiness": plan.jumpiness,
        "ending": "fade" if plan.fade_out > 0 else "song",
        "fade_out": round(plan.fade_out, 3),
        "n_clusters": int(graph.clusters.max()) + 1 if graph.clusters.size else 0,
        "tracks": [
            {
                "name": track.name,
                "duration": round(track.duration, 3),
                "tempo": round(track.tempo, 2),
                "meter": track.meter,
                "free_time": track.free_time,
                "first_beat": int(offsets[i]),
                "n_beats": int(offsets[i + 1] - offsets[i]),
            }
            for i, track in enumerate(analysis.tracks)
        ],
        "beats": [
            {
                "track": int(t),
                "start": round(float(s), 3),
                "end": round(float(e), 3),
                "bar_position": int(p),
                "cluster": int(c),
            }
            for t, s, e, p, c in zip(
                analysis.track_of_beat,
                analysis.beat_starts,
                analysis.beat_ends,
                analysis.bar_positions,
                graph.clusters,
                strict=True,
            )
        ],
        "edges": [
            {"from": int(a), "to": int(b), "distance": round(float(d), 3)}
            for a, b, d in zip(graph.sources, graph.targets, graph.distances, strict=True)
        ],
        "sequence": [
            {"beat": int(b), "time": round(float(t), 3)} for b, t in zip(plan.beats, plan.times, strict=True)
        ],
        "order": [p.track for p in parts],
        "left_out": [analysis.tracks[t].name for t in plan.left_out],
        "parts": [{"track": p.track, "start": round(p.start, 3), "end": round(p.end, 3)} for p in parts],
        "transitions": [_transition_dict(t) for t in plan.transitions],
    }


def _transition_dict(t: Transition) -> dict[str, Any]:
    return {
        "from": t.from_track,
        "to": t.to_track,
        "at": round(t.at, 3),
        "length": round(t.length, 3),
        "kind": t.kind,
        "step": t.step,
        "from_beat": t.from_beat,
        "to_beat": t.to_beat,
        "tempo_multiple": t.tempo_multiple,
        "stretch": [round(t.stretch[0], 4), round(t.stretch[1], 4)],
        "outgoing_stretch": round(t.outgoing_stretch, 4),
    }
