"""The jukebox's stand-in on real music: does a song's compact copy get the song's own analysis?

Usage::

    python -m bench.standin [--only KEY,...] [--cache DIR] [--results-dir DIR]

The page sends a stand-in for a file too large to upload (``frontend/js/standin.js``): the channels'
mean at 48 kHz, Opus at about 32 kb/s in Ogg. Here the same fold and rate go through libsndfile's
Opus encoder at about that bitrate (what ``tests/lib/test_standin.py`` does on synthetic songs; the
browser's own encoder is checked there in Chromium). For every track of the real set
(``bench/realset.py``) the original and its stand-in are planned by ``musicremixer.plan_remix``
with the same seed, and compared: beat and downbeat F (mir_eval, 70 ms), tempo, meter, the share
of jumps in common, and the stand-in's size. Writes ``bench/results/standin-<timestamp>.md`` and
``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import time
from pathlib import Path

import numpy as np

from bench.run import RESULTS, write_report

OPUS_RATE = 48_000
OPUS_32_KBPS = 0.9  # libsndfile's compression level that gives about 32 kb/s
GOAL_BEAT_F = 0.98


def standin(y: np.ndarray, sr: int) -> bytes:
    """The page's stand-in for audio ``y`` (channels, n) at ``sr``: mono, 48 kHz, Opus in Ogg."""
    import soundfile as sf
    import soxr

    mono = y.mean(axis=0, dtype=np.float32)
    if sr != OPUS_RATE:
        mono = soxr.resample(mono, sr, OPUS_RATE).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, mono, OPUS_RATE, format="OGG", subtype="OPUS", compression_level=OPUS_32_KBPS)
    return buffer.getvalue()


def compare(original: dict, stand_in: dict) -> dict[str, float]:
    """Beat and downbeat F (mir_eval, 70 ms; beat 0 is forced to 0 and left out), and edge overlap."""
    import mir_eval

    def starts(plan: dict, downbeats: bool = False) -> np.ndarray:
        beats = [b["start"] for b in plan["beats"] if not downbeats or b["bar_position"] == 0]
        return np.asarray(beats[1:])

    edges = [{(e["from"], e["to"]) for e in plan["edges"]} for plan in (original, stand_in)]
    return {
        "beat_f": float(mir_eval.beat.f_measure(starts(original), starts(stand_in))),
        "downbeat_f": float(mir_eval.beat.f_measure(starts(original, True), starts(stand_in, True))),
        "edge_jaccard": len(edges[0] & edges[1]) / max(1, len(edges[0] | edges[1])),
    }


def run_track(track) -> dict:
    """One track: its plan and its stand-in's, compared."""
    import soundfile as sf

    import musicremixer

    row: dict = {"key": track.key, "genre": track.genre, "kind": track.kind}
    data = track.path.read_bytes()
    y, sr = sf.read(str(track.path), dtype="float32", always_2d=True)
    copy = standin(y.T, sr)
    seconds = y.shape[0] / sr
    row.update(seconds=seconds, bytes=len(data), standin_bytes=len(copy), kbps=len(copy) * 8 / seconds / 1000)
    try:
        plans = [
            musicremixer.plan_remix([musicremixer.SourceFile(name, blob)], seed=1)
            for name, blob in ((track.path.name, data), ("standin.opus", copy))
        ]
    except musicremixer.MusicRemixerError as error:
        row["refused"] = str(error)
        return row
    row.update(compare(*plans))
    (a,), (b,) = plans[0]["tracks"], plans[1]["tracks"]
    row.update(
        tempo=a["tempo"],
        standin_tempo=b["tempo"],
        meter=a["meter"],
        standin_meter=b["meter"],
        free_time=a.get("free_time", False),
        standin_free_time=b.get("free_time", False),
    )
    return row


def render_markdown(meta: dict, rows: list[dict]) -> str:
    lines = [
        f"# The jukebox's stand-in on real music: {meta['when']}",
        "",
        f"{meta['n_tracks']} tracks; {meta['wall_s']:.0f} s. Stand-in: mono 48 kHz Opus in Ogg by libsndfile "
        f"(compression {OPUS_32_KBPS}); plans by `plan_remix(seed=1)`.",
        "",
        "| track | genre | stand-in | beat F | downbeat F | tempo (stand-in) | meter (stand-in) "
        "| jumps in common |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["bytes"] / r["standin_bytes"]
        size = f"{r['standin_bytes'] / 1e6:.2f} MB, {r['kbps']:.0f} kb/s (1/{ratio:.0f} of the file)"
        if "refused" in r:
            lines.append(f"| {r['key']} | {r['genre']} | {size} | refused: {r['refused']} | | | | |")
            continue
        tempo = "free time" if r["free_time"] else f"{r['tempo']:.1f}"
        other = "free time" if r["standin_free_time"] else f"{r['standin_tempo']:.1f}"
        lines.append(
            f"| {r['key']} | {r['genre']} | {size} | {r['beat_f']:.3f} | {r['downbeat_f']:.3f} | "
            f"{tempo} ({other}) | {r['meter']} ({r['standin_meter']}) | {r['edge_jaccard']:.0%} |"
        )
    lines += ["", *summary_lines(rows)]
    return "\n".join(lines) + "\n"


def summary_lines(rows: list[dict]) -> list[str]:
    planned = [r for r in rows if "refused" not in r]
    if not planned:
        return ["- no track planned"]
    beat_f = np.array([r["beat_f"] for r in planned])
    low = [f"{r['key']} {r['beat_f']:.3f}" for r in planned if r["beat_f"] < GOAL_BEAT_F]
    meters = sum(r["meter"] == r["standin_meter"] for r in planned)
    return [
        f"- beat F ≥ {GOAL_BEAT_F}: {int((beat_f >= GOAL_BEAT_F).sum())} of {len(planned)} "
        f"(mean {beat_f.mean():.3f}, min {beat_f.min():.3f}){'; under: ' + ', '.join(low) if low else ''}",
        f"- downbeat F mean {np.mean([r['downbeat_f'] for r in planned]):.3f}; meter the same on {meters} of "
        f"{len(planned)}; jumps in common median {np.median([r['edge_jaccard'] for r in planned]):.0%}",
        f"- stand-in median {np.median([r['kbps'] for r in rows]):.0f} kb/s, "
        f"1/{np.median([r['bytes'] / r['standin_bytes'] for r in rows]):.0f} of the file's size",
        f"- refused: {len(rows) - len(planned)}",
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.standin", description=__doc__.split("\n")[0])
    p.add_argument("--only", default="", help="comma-separated track keys")
    p.add_argument("--cache", type=Path, help="the set's cache (default: realset.default_cache())")
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from bench import realset

    args = parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    tracks = realset.build_set(args.cache or realset.default_cache(), log=log)
    only = {k for k in args.only.split(",") if k}
    tracks = [t for t in tracks if not only or t.key in only]
    start = time.perf_counter()
    rows = []
    for track in tracks:
        rows.append(run_track(track))
        log(f"  {track.key}: {rows[-1].get('beat_f', rows[-1].get('refused'))}")
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "n_tracks": len(tracks),
        "wall_s": time.perf_counter() - start,
    }
    report = render_markdown(meta, rows)
    print(report)
    write_report(args.results_dir, "standin", report, {"meta": meta, "rows": rows}, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
