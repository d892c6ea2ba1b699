"""The original MusicRemixer service's method, rebuilt for the benchmark.

The benchmark compares our pipeline against the method of the service this project replaces. When the
team's reference copy (``../shared/baseline/original_pipeline.py``) is next to the repository,
``bench.run`` calls that; on any other machine it calls this module, which does the same work with the
same parameters, so the benchmark runs anywhere the dev requirements are installed.

The method (docs/ARCHITECTURE.md §7 and the original backend's parameters):

1. ``librosa.load`` at 48 kHz, folded to mono.
2. ``librosa.beat.beat_track`` with ``tightness=10, start_bpm=30`` (loose: beats drift).
3. The track is cut at the beats and ``librosa.effects.trim`` takes the silence off every piece
   (which shortens beats and breaks the rhythm).
4. Per piece, ``librosa.feature.chroma_stft`` with 50 chroma bins, averaged over the piece's frames.
5. ``KMeans`` with k=5 (``random_state=0``) on those averages.
6. The walk: with probability 1/(temperature+1) play the next piece, otherwise jump to a random piece of
   the current cluster. The "current cluster" is only updated on a jump, to the cluster of a piece drawn
   from that very cluster, so the walk never leaves the first piece's cluster (the original's slip).
7. The pieces are concatenated and written as 16-bit WAV at 48 kHz mono.

``--beats 0`` renders as many pieces as the source has (the original rendered 20). The quirks that
change how much work is done or what is written are kept on purpose: the cut points (one sample short
of each beat), the pure-Python averaging of the chroma, and the walk are bit-for-bit the original's, so
with the same seed this module writes the same file as the reference copy.

Usage: python bench/original_method.py IN OUT.wav [--groups N] [--beats N] [--temperature T]
[--seed S] [--sr SR]

Prints one line of stage timings (``load=… beats=… features=… cluster=… render=… total=…``) and
writes the beat times, one per line in seconds, to ``OUT.wav.beats``.
"""

from __future__ import annotations

import argparse
import random
import time

import librosa
import numpy as np
import soundfile as sf
from sklearn.cluster import KMeans


def cut_beats(y: np.ndarray, beat_samples: np.ndarray) -> list[np.ndarray]:
    """Cut ``y`` at the beats and trim the silence off every piece.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono signal.
    beat_samples : np.ndarray [shape=(n_beats,)]
        Beat positions in samples (floats, as the original computed them from beat times).

    Returns
    -------
    list of np.ndarray
        ``n_beats + 1`` pieces: before the first beat, between each pair of beats (each ending one
        sample short of the next beat), and after the last beat; each trimmed by ``effects.trim``.
    """
    return [piece for piece, _ in cut_beats_with_spans(y, beat_samples)]


def cut_beats_with_spans(y: np.ndarray, beat_samples: np.ndarray) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """:func:`cut_beats`, with each piece's ``(start, stop)`` sample span in ``y`` after trimming."""
    bounds = []
    for i, position in enumerate(beat_samples):
        start = 0 if i == 0 else int(beat_samples[i - 1])
        # The original's slice: a beat at sample 0 gives y[:-1], not an empty piece.
        bounds.append((start, int(position - 1)))
    if len(beat_samples):
        bounds.append((int(beat_samples[-1]), len(y)))
    pieces = []
    for start, stop in bounds:
        segment = y[start:stop]
        piece, (first, last) = librosa.effects.trim(segment)
        pieces.append((piece, (start + int(first), start + int(last))))
    return pieces


def chroma_means(pieces: list[np.ndarray], *, sr: int, n_chroma: int = 50) -> np.ndarray:
    """Mean chroma of every piece, shape ``(n_pieces, n_chroma)``.

    Averaged with Python's ``sum`` as the original did (float32, element by element): slower than
    ``np.mean`` and part of the original's cost, and the same rounding keeps the clusters identical.
    """
    rows = []
    for piece in pieces:
        chroma = librosa.feature.chroma_stft(y=piece, sr=sr, n_chroma=n_chroma)
        rows.append([sum(band) / len(band) for band in chroma])
    return np.array(rows)


def cluster_pieces(features: np.ndarray, *, n_clusters: int = 5) -> np.ndarray:
    """KMeans labels of every piece (k-means++, ``random_state=0``)."""
    model = KMeans(n_clusters=min(n_clusters, len(features)), init="k-means++", random_state=0)
    return model.fit_predict(features)


def walk_clusters(labels: np.ndarray, *, n_steps: int, temperature: int, rng: random.Random) -> list[int]:
    """The original's walk over the pieces; see the module docstring, step 6."""
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    piece, cluster, sequence = 0, int(labels[0]), []
    for _ in range(n_steps):
        if rng.randint(0, temperature) == 0 and piece < len(labels) - 1:
            piece += 1
        else:
            piece = rng.choice(members[cluster])
            cluster = int(labels[piece])  # always the same cluster again: the original's slip
        sequence.append(piece)
    return sequence


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inp")
    parser.add_argument("out")
    parser.add_argument("--groups", type=int, default=5, help="KMeans clusters (default 5)")
    parser.add_argument(
        "--beats", type=int, default=20, help="pieces to render; 0: as many as the source has"
    )
    parser.add_argument("--temperature", type=int, default=3, help="1 in T+1 steps plays the next piece")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sr", type=int, default=48000, help="load rate (the original: 48 kHz mono)")
    args = parser.parse_args(argv)

    timings = {}
    t0 = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    y, sr = librosa.load(args.inp, sr=args.sr)
    lap("load")
    _, beat_times = librosa.beat.beat_track(y=y, sr=sr, tightness=10, start_bpm=30, units="time")
    pieces = cut_beats(y, beat_times * sr)
    lap("beats")
    features = chroma_means(pieces, sr=sr, n_chroma=50)
    lap("features")
    labels = cluster_pieces(features, n_clusters=args.groups)
    lap("cluster")
    sequence = walk_clusters(
        labels, n_steps=args.beats or len(pieces), temperature=args.temperature, rng=random.Random(args.seed)
    )
    out = np.concatenate([pieces[i] for i in sequence])
    sf.write(args.out, out, sr)
    lap("render")
    timings["total"] = time.perf_counter() - t0
    print(
        " ".join(f"{k}={v:.3f}" for k, v in timings.items()),
        f"n_beats={len(pieces)}",
        f"out_s={len(out) / sr:.1f}",
    )
    np.savetxt(args.out + ".beats", beat_times, fmt="%.4f")


if __name__ == "__main__":
    main()
