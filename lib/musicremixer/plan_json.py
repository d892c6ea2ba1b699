"""The plan as JSON-ready data: what ``/analyze`` returns, ``--plan`` writes and the page draws."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from musicremixer.types import Analysis, Audio, JumpGraph, Plan

PLAN_VERSION = 1


def plan_to_dict(plan: Plan, analysis: Analysis, graph: JumpGraph, audios: Sequence[Audio]) -> dict[str, Any]:
    """Describe the plan with its analysis and graph (see docs/CONTRACTS.md, "The plan").

    Times are rounded to the millisecond and distances to three decimals: the plan of a ten-minute
    song stays well under a megabyte.
    """
    offsets = np.r_[0, np.cumsum([t.beat_times.shape[0] for t in analysis.tracks])]
    return {
        "version": PLAN_VERSION,
        "tempo": round(analysis.tracks[0].tempo, 2),
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
    }
