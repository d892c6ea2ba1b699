"""Group beats that sound alike: KMeans over the standardized beat features."""

from __future__ import annotations

import numpy as np

MIN_BEATS_PER_CLUSTER = 8
SILHOUETTE_SAMPLE = 600


def cluster_beats(features: np.ndarray, *, max_clusters: int = 12, random_state: int = 0) -> np.ndarray:
    """Cluster beats, choosing the number of clusters by the silhouette score.

    Parameters
    ----------
    features : np.ndarray [shape=(n_beats, n_features)]
        Standardized beat features.
    max_clusters : int
        Largest number of clusters tried; fewer are tried when there are fewer than
        ``MIN_BEATS_PER_CLUSTER`` beats per cluster.
    random_state : int
        Seed of KMeans' initialization, so the same song always gets the same clusters.

    Returns
    -------
    labels : np.ndarray [shape=(n_beats,), dtype=int]
        Cluster of each beat, numbered in order of first appearance.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    n = features.shape[0]
    k_max = min(max_clusters, n // MIN_BEATS_PER_CLUSTER)
    best_labels, best_score = np.zeros(n, dtype=int), -np.inf
    # A few hundred beats are too few to share among OpenMP threads: with BLAS threads spinning
    # beside them, one fit took 0.4 s instead of 5 ms on two cores.
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in range(2, k_max + 1):
            labels = KMeans(n_clusters=k, n_init=1, random_state=random_state).fit_predict(features)
            if np.unique(labels).shape[0] < 2:
                continue
            # The score costs n² distances: a fixed sample keeps long songs linear, and the same.
            sample = SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None
            score = silhouette_score(features, labels, sample_size=sample, random_state=random_state)
            if score > best_score:
                best_labels, best_score = labels, score
    return _number_by_appearance(best_labels)


def _number_by_appearance(labels: np.ndarray) -> np.ndarray:
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))
    return order[np.searchsorted(np.unique(labels), labels)]
