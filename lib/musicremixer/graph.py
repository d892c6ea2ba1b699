"""Where the walk may jump: from beat i to beat j when j sounds like what would have come next.

A jump from ``i`` to ``j`` replaces beat ``i + 1`` with ``j``. It is judged on context, not one
beat: the beats leading in (``i - 1``, ``i`` against ``j - 2``, ``j - 1``) and going on
(``i + 1``, ``i + 2`` against ``j``, ``j + 1``). Jumps cross bar lines only, from the last beat of
a bar (``i + 1`` is a downbeat) to a downbeat ``j``; the destination must be in the same cluster as
``i + 1``, and the context distance, measured against the typical distance between two unrelated
beats of the pool, must be small.

The seam itself is vetoed as InfiniPlay measured it: a jump is dropped when the destination's level
(``Analysis.levels_db``) differs from that of the beat it replaces by more than
``MAX_LEVEL_JUMP_DB`` broadband or ``MAX_KICK_JUMP_DB`` in the kick band, or when either beat
touching the join (``i`` against ``j - 1``, ``i + 1`` against ``j``) alone is further than
``MAX_SEAM_DISTANCE`` from its counterpart, a poor spectral continuity the averaged context can
hide. The render matches the smaller level differences that remain.
"""

from __future__ import annotations

import numpy as np

from musicremixer.cluster import cluster_beats
from musicremixer.types import Analysis, JumpGraph

# Offsets k of the context: beat i + 1 + k is compared with beat j + k.
CONTEXT = np.array([-2, -1, 0, 1])
CONTEXT_WEIGHTS = np.array([0.15, 0.25, 0.4, 0.2])
MAX_DISTANCE = 0.5  # context distance / median beat distance; repeats of a bar measure 0.05-0.3
MAX_EDGES_PER_BEAT = 4
MAX_LEVEL_JUMP_DB = 4.0  # InfiniPlay's seam veto: a louder jolt is heard as a jump
MAX_KICK_JUMP_DB = 6.0  # the kick band (below 150 Hz) may differ more: it is sparser
MAX_SEAM_DISTANCE = 1.0  # one beat at the join: at most the median distance between two beats
_SEAM_OFFSETS = (-1, 0)  # the context offsets of the beats either side of the join
_BLOCK = 512


def build_jump_graph(
    analysis: Analysis,
    *,
    max_distance: float = MAX_DISTANCE,
    max_edges_per_beat: int = MAX_EDGES_PER_BEAT,
    max_level_jump_db: float = MAX_LEVEL_JUMP_DB,
    max_kick_jump_db: float = MAX_KICK_JUMP_DB,
    max_seam_distance: float = MAX_SEAM_DISTANCE,
) -> JumpGraph:
    """Find every good jump in the pool of beats.

    Parameters
    ----------
    analysis : Analysis
    max_distance : float > 0
        Largest accepted context distance, relative to the median distance between two beats.
    max_edges_per_beat : int > 0
        Keep at most this many jumps (the closest) from each beat.
    max_level_jump_db : float >= 0
        Largest broadband level difference (dB) between the destination and the beat it replaces
        (``MAX_LEVEL_JUMP_DB``).
    max_kick_jump_db : float >= 0
        Largest level difference (dB) in the kick band (``MAX_KICK_JUMP_DB``).
    max_seam_distance : float > 0
        Largest distance, relative to the median distance between two beats, of either beat at the
        join from its counterpart (``MAX_SEAM_DISTANCE``). ``np.inf`` turns the check off.

    Returns
    -------
    JumpGraph
        Edges sorted by source beat, then distance.
    """
    features = analysis.features.astype(np.float32)
    n = analysis.n_beats
    clusters = cluster_beats(features)
    track = analysis.track_of_beat
    index = np.arange(n)
    first_of_track = np.r_[True, track[1:] != track[:-1]]
    has_next = np.r_[track[1:] == track[:-1], False]
    typical = _median_distance(features)

    sources, targets, distances = [], [], []
    for start in range(0, n, _BLOCK):
        rows = index[start : start + _BLOCK]
        context, seam = _context_distance(features, track, rows, fill=typical)
        context, seam = context / typical, seam / typical
        replaced = np.minimum(rows + 1, n - 1)
        allowed = (
            has_next[rows, None]
            # Bar lines only: the walk jumps from a bar's last beat to a downbeat, so every edge
            # kept (at most max_edges_per_beat) is one it can take.
            & (analysis.bar_positions[None, :] == 0)
            & (analysis.bar_positions[replaced, None] == 0)
            & (clusters[None, :] == clusters[replaced, None])
            & ~first_of_track[None, :]
            & _far_enough(rows, index, track)
            & (context <= max_distance)
            & (seam <= max_seam_distance)
            & _levels_close(analysis.levels_db, replaced, max_level_jump_db, max_kick_jump_db)
        )
        context = np.where(allowed, context, np.inf)
        k = min(max_edges_per_beat, n)
        best = np.argpartition(context, k - 1, axis=1)[:, :k]
        best_distance = np.take_along_axis(context, best, axis=1)
        order = np.lexsort((best, best_distance), axis=1)
        best = np.take_along_axis(best, order, axis=1)
        best_distance = np.take_along_axis(best_distance, order, axis=1)
        keep = np.isfinite(best_distance)
        sources.append(np.broadcast_to(rows[:, None], best.shape)[keep])
        targets.append(best[keep])
        distances.append(best_distance[keep])
    return JumpGraph(
        sources=np.concatenate(sources).astype(int),
        targets=np.concatenate(targets).astype(int),
        distances=np.concatenate(distances).astype(float),
        clusters=clusters,
    )


def _levels_close(levels: np.ndarray, replaced: np.ndarray, broadband: float, kick: float) -> np.ndarray:
    """Whether every beat j is within the level limits (dB) of each replaced beat ``i + 1``."""
    difference = np.abs(levels[None, :, :] - levels[replaced, None, :])
    # A level the analysis couldn't measure (NaN) vetoes nothing.
    return ~(difference[..., 0] > broadband) & ~(difference[..., 1] > kick)


def _context_distance(
    features: np.ndarray, track: np.ndarray, rows: np.ndarray, *, fill: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance between the context of ``i + 1`` (i in rows) and that of every beat j.

    Returns the weighted context distance and the larger of the distances of the two beats at the
    join (``_SEAM_OFFSETS``), each of shape ``(len(rows), n_beats)``.
    """
    n = features.shape[0]
    # Every context beat i + 1 + k lies in rows - 1 .. rows + 2: their distances to all beats, once.
    lo, hi = max(int(rows[0]) - 1, 0), min(int(rows[-1]) + 3, n)
    distance = _distances(features[lo:hi], features)
    columns = np.arange(n)
    total = np.zeros((rows.shape[0], n), dtype=np.float32)
    seam = np.zeros((rows.shape[0], n), dtype=np.float32)
    for k, weight in zip(CONTEXT, CONTEXT_WEIGHTS, strict=True):
        a = rows + 1 + k
        a_ok = (a >= 0) & (a < n) & (track[np.clip(a, 0, n - 1)] == track[np.minimum(rows + 1, n - 1)])
        b = columns + k
        b_ok = (b >= 0) & (b < n) & (track[np.clip(b, 0, n - 1)] == track)
        shifted = distance[np.clip(a, lo, hi - 1)[:, None] - lo, np.clip(b, 0, n - 1)[None, :]]
        term = np.where(a_ok[:, None] & b_ok[None, :], shifted, fill)
        total += weight * term
        if k in _SEAM_OFFSETS:
            np.maximum(seam, term, out=seam)
    return total, seam


def _far_enough(rows: np.ndarray, index: np.ndarray, track: np.ndarray) -> np.ndarray:
    """A jump must land at least two beats away from where the song would have gone."""
    same_track = track[None, :] == track[rows, None]
    return ~same_track | (np.abs(index[None, :] - (rows[:, None] + 1)) >= 2)


def _median_distance(features: np.ndarray, *, sample: int = 512) -> float:
    # A strided sample of beats is plenty for a median, and keeps long pools cheap.
    picked = features[:: max(1, features.shape[0] // sample)]
    d = _distances(picked, picked)
    median = float(np.median(d[np.triu_indices(d.shape[0], 1)]))
    return median if median > 0 else 1.0


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between every row of ``a`` and every row of ``b``, shape (len(a), len(b))."""
    squared = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.maximum(squared, 0.0))
