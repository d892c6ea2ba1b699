"""Quality report: our remixes against the original method's, on songs whose beat grid is known.

Usage::

    python -m bench.quality [--seeds 1,2,3] [--skip-ours]

For each synthetic song (``tests/synth.py``: drums and chords on a known grid) it remixes with our
CLI (``musicremixer remix IN -o OUT.wav --plan PLAN.json --seed S``) and with the original method
(run in this process through ``bench/original_method.py``, which writes the same file as the reference
copy, so the pieces and the walk are known), and measures:

- **beat F-measure**: detected beats against the known grid, a hit within 70 ms (one-to-one),
  ignoring the first 5 s as the usual beat-tracking evaluation does; precision and recall too.
  For ours also the downbeat F-measure (beats the plan marks as bar position 0).
- **jumps on the bar**: of the jumps in the output (the next beat played is not the one that follows
  in the source), the fraction whose cut-out point and landing point are both within 70 ms of a known
  beat and at the same position in the bar. A jump that keeps the bar keeps the groove.
- **spectral cosine across each jump**: the cosine similarity of the mel magnitude spectra (40 bands,
  Hann window) of the 50 ms of output before the jump and the 50 ms after. docs/ARCHITECTURE.md §7: seams
  listeners rejected measured about 0.6, accepted ones 0.75 or more. For scale, "natural" is the same
  figure measured in the source at the same cut-out points (what was there before the cut: a boundary
  on a drum hit is never a perfect match), and "drop" the median of natural minus seam, jump by jump.
  This figure depends on where the cut falls against the drum hit (a cut just before the attack scores
  low even in the untouched song; one just after it scores high), so compare each tool's seams with
  its own "natural", not the two tools' raw figures.
- **continuation cosine**: the 50 ms of output after each jump against the 50 ms of source that would
  have played without the jump (after the cut-out point): does the landing beat sound like the beat it
  replaces? 1.0 is a perfect stand-in; it does not depend on where in the beat the cut falls.

Writes ``bench/results/quality-<timestamp>.md`` and ``.json``. The exit status is non-zero only when
a run fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.inputs import CHANNELS, SR, make_song
from bench.run import RESULTS, find_ours

TOLERANCE_S = 0.070
SKIP_S = 5.0
WINDOW_S = 0.050
N_MELS = 40
ACCEPTED = 0.75
REJECTED = 0.6

# (label, bpm, meter, seconds, seed): a 4/4 song at an unround tempo and a slower waltz.
SONGS = (
    ("118 BPM 4/4, 3 min", 118.0, 4, 180.0, 0),
    ("92 BPM 3/4, 2 min", 92.0, 3, 120.0, 1),
)


# --- measures ---------------------------------------------------------------------------------------


def beat_f_measure(
    estimated: np.ndarray, reference: np.ndarray, *, tolerance: float = TOLERANCE_S
) -> dict[str, float]:
    """F-measure, precision and recall of ``estimated`` beat times against ``reference``.

    Each reference beat matches at most one estimated beat within ``tolerance`` seconds (greedy in
    time order, which is exact when beats are further apart than twice the tolerance). Beats before
    :data:`SKIP_S` are ignored in both.
    """
    est = np.sort(np.asarray(estimated, dtype=float))
    ref = np.sort(np.asarray(reference, dtype=float))
    est, ref = est[est >= SKIP_S], ref[ref >= SKIP_S]
    if not len(est) or not len(ref):
        return {"f": 0.0, "precision": 0.0, "recall": 0.0}
    hits, used = 0, np.zeros(len(est), bool)
    for t in ref:
        k = int(np.searchsorted(est, t))
        best = None
        for j in (k - 1, k):
            near = 0 <= j < len(est) and not used[j] and abs(est[j] - t) <= tolerance
            if near and (best is None or abs(est[j] - t) < abs(est[best] - t)):
                best = j
        if best is not None:
            used[best] = True
            hits += 1
    precision, recall = hits / len(est), hits / len(ref)
    f = 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
    return {"f": f, "precision": precision, "recall": recall}


def grid_position(t: float, beat_times: np.ndarray, meter: int) -> int | None:
    """Bar position of the known beat within :data:`TOLERANCE_S` of ``t``, or ``None`` (off the grid)."""
    k = int(np.argmin(np.abs(beat_times - t)))
    return k % meter if abs(beat_times[k] - t) <= TOLERANCE_S else None


def jumps_on_bar(jumps: list[tuple[float, float]], beat_times: np.ndarray, meter: int) -> float | None:
    """Fraction of jumps ``(cut_out_s, land_s)`` (source times) on the grid at the same bar position."""
    if not jumps:
        return None
    kept = 0
    for cut, land in jumps:
        a, b = grid_position(cut, beat_times, meter), grid_position(land, beat_times, meter)
        kept += a is not None and a == b
    return kept / len(jumps)


class MelCosine:
    """Spectral cosine across a point: mel magnitudes of :data:`WINDOW_S` before and after it."""

    def __init__(self, sr: int):
        import librosa

        self.n = round(WINDOW_S * sr)
        self.window = np.hanning(self.n)
        self.mel = librosa.filters.mel(sr=sr, n_fft=self.n, n_mels=N_MELS)

    def _spectrum(self, y: np.ndarray) -> np.ndarray:
        return np.sqrt(self.mel @ (np.abs(np.fft.rfft(y * self.window)) ** 2))

    def __call__(self, y: np.ndarray, at: int) -> float | None:
        """Across the point ``at`` of ``y``: the window before it against the window after it."""
        if at - self.n < 0 or at + self.n > len(y):
            return None
        return self._cosine(y[at - self.n : at], y[at : at + self.n])

    def after(self, y: np.ndarray, at: int, source: np.ndarray, source_at: int) -> float | None:
        """The window after ``y[at]`` against the window after ``source[source_at]``."""
        if at + self.n > len(y) or source_at + self.n > len(source) or min(at, source_at) < 0:
            return None
        return self._cosine(y[at : at + self.n], source[source_at : source_at + self.n])

    def _cosine(self, first: np.ndarray, second: np.ndarray) -> float | None:
        a, b = self._spectrum(first), self._spectrum(second)
        norm = np.linalg.norm(a) * np.linalg.norm(b)
        return None if norm == 0 else float(a @ b / norm)


def cosine_summary(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0, "median": None, "accepted": None, "rejected": None}
    arr = np.array(values)
    return {
        "n": len(values),
        "median": float(np.median(arr)),
        "accepted": float(np.mean(arr >= ACCEPTED)),  # share of seams >= 0.75
        "rejected": float(np.mean(arr <= REJECTED)),  # share of seams <= 0.6
    }


# --- the two remixers -------------------------------------------------------------------------------


def original_remix(path: Path, *, seed: int) -> dict:
    """The original method in process (same steps and parameters as ``bench/original_method.py``)."""
    import librosa

    from bench import original_method as om

    y, sr = librosa.load(str(path), sr=48000)
    _, beat_times = librosa.beat.beat_track(y=y, sr=sr, tightness=10, start_bpm=30, units="time")
    cut = om.cut_beats_with_spans(y, beat_times * sr)
    pieces = [piece for piece, _ in cut]
    spans = [span for _, span in cut]
    labels = om.cluster_pieces(om.chroma_means(pieces, sr=sr, n_chroma=50), n_clusters=5)
    sequence = om.walk_clusters(labels, n_steps=len(pieces), temperature=3, rng=random.Random(seed))
    out = np.concatenate([pieces[i] for i in sequence])
    lengths = np.array([len(pieces[i]) for i in sequence])
    out_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    jumps, seams, cuts = [], [], []
    for k in range(1, len(sequence)):
        a, b = sequence[k - 1], sequence[k]
        if b != a + 1:
            jumps.append((spans[a][1] / sr, spans[b][0] / sr))
            seams.append(int(out_starts[k]))
            cuts.append(spans[a][1])
    return {
        "source_y": y,
        "cut_samples": cuts,
        "beat_times": beat_times,
        "downbeat_times": None,
        "jumps": jumps,
        "seam_samples": seams,
        "y": out,
        "sr": sr,
        "steps": len(sequence),
        "out_seconds": len(out) / sr,
    }


def our_remix(command: list[str], path: Path, workdir: Path, *, seed: int) -> dict:
    """Our CLI with ``--plan``; the plan says where every beat came from and went."""
    out, plan_path = workdir / f"ours-{seed}.wav", workdir / f"ours-{seed}.json"
    argv = [*command, "remix", str(path), "-o", str(out), "--seed", str(seed), "--plan", str(plan_path)]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    plan = json.loads(plan_path.read_text())
    y, sr = sf.read(str(out), dtype="float32", always_2d=True)
    beats, sequence = plan["beats"], plan["sequence"]
    starts = np.array([b["start"] for b in beats])
    source, source_sr = sf.read(str(path), dtype="float32", always_2d=True)
    if source_sr != sr:
        raise RuntimeError(
            f"ours wrote {sr} Hz from a {source_sr} Hz source; the seam measure needs one rate"
        )
    jumps, seams, cuts = [], [], []
    for prev, step in itertools.pairwise(sequence):
        if step["beat"] != prev["beat"] + 1 or beats[step["beat"]]["track"] != beats[prev["beat"]]["track"]:
            jumps.append((beats[prev["beat"]]["end"], beats[step["beat"]]["start"]))
            seams.append(round(step["time"] * sr))
            cuts.append(round(beats[prev["beat"]]["end"] * sr))
    downbeats = starts[[b["bar_position"] == 0 for b in beats]]
    return {
        "source_y": source.mean(axis=1),
        "cut_samples": cuts,
        "beat_times": starts[starts > 0],  # beat 0 starts at 0 by contract (the pickup joins it)
        "downbeat_times": downbeats[downbeats > 0],
        "jumps": jumps,
        "seam_samples": seams,
        "y": y.mean(axis=1),
        "sr": sr,
        "steps": len(sequence),
        "out_seconds": len(y) / sr,
        "tempo": plan.get("tempo"),
    }


def score(result: dict, song) -> dict:
    beats = beat_f_measure(result["beat_times"], song.beat_times)
    downbeats = (
        None
        if result["downbeat_times"] is None
        else beat_f_measure(result["downbeat_times"], song.downbeat_times)["f"]
    )
    cosine = MelCosine(result["sr"])
    seam_values = [cosine(result["y"], at) for at in result["seam_samples"]]
    natural_values = [cosine(result["source_y"], at) for at in result["cut_samples"]]
    seams = cosine_summary(seam_values)
    continuation = cosine_summary(
        [
            cosine.after(result["y"], at, result["source_y"], cut)
            for at, cut in zip(result["seam_samples"], result["cut_samples"], strict=True)
        ]
    )
    drops = [
        n - c for c, n in zip(seam_values, natural_values, strict=True) if c is not None and n is not None
    ]
    return {
        "beat_f": beats["f"],
        "beat_precision": beats["precision"],
        "beat_recall": beats["recall"],
        "n_beats_found": len(result["beat_times"]),
        "downbeat_f": downbeats,
        "steps": result["steps"],
        "jumps": len(result["jumps"]),
        "jumps_on_bar": jumps_on_bar(result["jumps"], song.beat_times, song.meter),
        "seam_cosine": seams,
        "natural_cosine": cosine_summary(natural_values)["median"],
        "cosine_drop": float(np.median(drops)) if drops else None,
        "continuation_cosine": continuation,
        "out_seconds": result["out_seconds"],
    }


# --- report -----------------------------------------------------------------------------------------


def render_markdown(meta: dict, rows: list[dict]) -> str:
    lines = [
        f"# MusicRemixer quality report, {meta['started']}",
        "",
        f"- songs: synthetic drum-and-chords from tests/synth.py, {SR} Hz, {CHANNELS} channels; "
        f"walk seeds {meta['seeds']}",
        f"- original method: {meta['original']}",
        f"- ours: {meta['ours'] or 'skipped'}",
        f"- beats: hit within {TOLERANCE_S * 1000:.0f} ms, first {SKIP_S:g} s ignored; seams: mel cosine of "
        f"{WINDOW_S * 1000:.0f} ms either side (accepted >= {ACCEPTED}, rejected <= {REJECTED})",
        "",
        "| song | tool | seed | beat F (P/R) | downbeat F | jumps | on the bar | seam cosine median "
        "| seams >= 0.75 | seams <= 0.6 | natural | drop | continuation median (>= 0.75) | output s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['song']} | {r['tool']} | {r['seed']} | failed: {r['error']} |")
            continue
        c = r["seam_cosine"]
        lines.append(
            f"| {r['song']} | {r['tool']} | {r['seed']} | {r['beat_f']:.2f} ({r['beat_precision']:.2f}/"
            f"{r['beat_recall']:.2f}) | {_pct(r['downbeat_f'], plain=True)} | {r['jumps']} | "
            f"{_pct(r['jumps_on_bar'])} | {_pct(c['median'], plain=True)} | {_pct(c['accepted'])} | "
            f"{_pct(c['rejected'])} | {_pct(r['natural_cosine'], plain=True)} | "
            f"{_pct(r['cosine_drop'], plain=True)} | {_pct(r['continuation_cosine']['median'], plain=True)} "
            f"({_pct(r['continuation_cosine']['accepted'])}) | {r['out_seconds']:.1f} |"
        )
    lines += ["", "## Over all songs and seeds", "", "| figure | original | ours |", "|---|---|---|"]
    for name, key in (
        ("beat F-measure (median)", "beat_f"),
        ("jumps on the bar (median)", "jumps_on_bar"),
        ("seam cosine, median of medians", ("seam_cosine", "median")),
        ("seams >= 0.75 (median share)", ("seam_cosine", "accepted")),
        ("seams <= 0.6 (median share)", ("seam_cosine", "rejected")),
        ("natural cosine at the same cuts (median)", "natural_cosine"),
        ("drop, natural - seam (median)", "cosine_drop"),
        ("continuation cosine, median of medians", ("continuation_cosine", "median")),
        ("continuations >= 0.75 (median share)", ("continuation_cosine", "accepted")),
    ):
        plain = isinstance(key, str) or key[1] == "median"
        plain = plain and key != "jumps_on_bar"
        cells = [_pct(_median(rows, tool, key), plain=plain) for tool in ("original", "ours")]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "The raw seam cosine depends on where a cut falls against the drum attack: a cut on the onset "
        "scores low even in the untouched song (its 'natural'), a cut just after the attack scores high. "
        "Judge seams by the drop from natural and by the continuation cosine.",
    ]
    return "\n".join(lines) + "\n"


def _median(rows: list[dict], tool: str, key) -> float | None:
    values = []
    for r in rows:
        if r["tool"] != tool or "error" in r:
            continue
        v = r[key] if isinstance(key, str) else r[key[0]][key[1]]
        if v is not None:
            values.append(v)
    return statistics.median(values) if values else None


def _pct(value: float | None, *, plain: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if plain else f"{100 * value:.0f}%"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1,2,3", help="comma-separated walk seeds, for both remixers")
    p.add_argument("--skip-ours", action="store_true")
    p.add_argument("--results-dir", default=str(RESULTS))
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    ours = None if args.skip_ours else find_ours()
    started = dt.datetime.now(dt.UTC)
    meta = {
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "seeds": seeds,
        "original": "bench/original_method.py in process (writes the same file as the reference copy)",
        "ours": None if ours is None else " ".join(ours),
    }
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="musicremixer-quality-") as tmp:
        workdir = Path(tmp)
        for label, bpm, meter, seconds, song_seed in SONGS:
            song = make_song(seconds, seed=song_seed, bpm=bpm, meter=meter)
            path = workdir / "song.wav"
            path.write_bytes(song.to_bytes("wav"))
            for seed in seeds:
                for tool in ("original", "ours") if ours else ("original",):
                    print(f"quality: {label}, {tool}, seed {seed}", file=sys.stderr, flush=True)
                    try:
                        if tool == "original":
                            result = original_remix(path, seed=seed)
                        else:
                            result = our_remix(ours, path, workdir, seed=seed)
                        row = score(result, song)
                    except Exception as exc:  # a failed remix is reported, then the exit status says so
                        row = {"error": str(exc)}
                    rows.append({"song": label, "tool": tool, "seed": seed, **row})
    report = render_markdown(meta, rows)
    print(report)
    results = Path(args.results_dir)
    results.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (results / f"quality-{stamp}.md").write_text(report)
    (results / f"quality-{stamp}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(f"quality: wrote {results / ('quality-' + stamp)}.md and .json", file=sys.stderr)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
