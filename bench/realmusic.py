"""The real-music table: our analysis against the truth, and our remixes judged from their audio.

Usage::

    python -m bench.realmusic [--seeds 1] [--only KEY,...] [--kind recording|score] [--cache DIR]
                              [--duration S] [--jobs N] [--engine-src DIR] [--baseline]

For every track of the real set (``bench/realset.py``):

- **analysis** (scores only have a truth): ``analyze_tracks`` in process (or, with ``--engine-src``,
  in a child process running that checkout's library), scored by :func:`bench.judge.ground_truth_scores`;
- **remixes**: our CLI run as a user runs it, ``musicremixer remix IN -o OUT.wav --seed S``, in a
  temporary directory, each output judged by :func:`bench.judge.judge_remix` from the audio alone.
  ``--baseline`` also remixes with the original service's method and judges it the same way.

Prints one table (a row per track and tool) and summary lines, and writes
``bench/results/realmusic-<timestamp>.md`` and ``.json``. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.judge import ground_truth_scores, judge_remix
from bench.run import RESULTS, SHARED_BASELINE, find_ours, resolve_tools, write_report

LOUD_SHARE = 0.05  # a track whose remix has more loud seams than this is listed
TIMEOUT_S = 900.0

_ANALYSIS_SNIPPET = """
import json, sys
from pathlib import Path
from bench.realmusic import analyze_file
print(json.dumps(analyze_file(Path(sys.argv[1]))))
"""


# --- our analysis -----------------------------------------------------------------------------------


def analyze_file(path: Path) -> dict:
    """Our analysis of one file as JSON-ready data, or ``{"refused": message}``.

    The beat is ``beat_times + CUT_LEAD_SECONDS`` (a cut sits that far before its beat), except that
    beat 0 is forced to 0.0, so it is dropped.
    """
    from musicremixer import analyze
    from musicremixer.decode import decode_audio
    from musicremixer.errors import NotRemixableError

    # Older checkouts (--engine-src) lack the constant; their cut lead was the same two frames.
    cut_lead = getattr(analyze, "CUT_LEAD_SECONDS", 2 * 512 / 22050)

    audio = decode_audio(path.read_bytes(), name=path.name)
    try:
        track = analyze.analyze_tracks([audio], names=[path.name]).tracks[0]
    except NotRemixableError as exc:
        return {"refused": str(exc)}
    beats = np.asarray(track.beat_times, dtype=float)[1:] + cut_lead
    bars = np.asarray(track.bar_positions)[1:]
    return {
        "beats": beats.tolist(),
        "downbeats": beats[bars == 0].tolist(),
        "tempo": float(track.tempo),
        "meter": int(track.meter),
        "free_time": bool(getattr(track, "free_time", False)),
    }


def run_analysis(path: Path, engine_src: Path | None) -> dict:
    """:func:`analyze_file` here, or in a child process whose library is ``engine_src/lib``."""
    if engine_src is None:
        return analyze_file(path)
    env = _engine_env(engine_src)
    env["PYTHONPATH"] += os.pathsep + str(Path(__file__).resolve().parents[1])  # bench, after their lib
    done = subprocess.run(
        [sys.executable, "-c", _ANALYSIS_SNIPPET, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "analysis failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def score_analysis(analysis: dict, track) -> dict:
    """The row's analysis columns: our tempo and meter, and the scores where the truth is known."""
    if "refused" in analysis or "error" in analysis:
        return {"status": "refused" if "refused" in analysis else "error", **analysis}
    row = {
        "status": "ok",
        "tempo": analysis["tempo"],
        "meter": analysis["meter"],
        "free": analysis["free_time"],
    }
    if track.beats is not None:
        row.update(
            ground_truth_scores(
                np.asarray(analysis["beats"]),
                np.asarray(analysis["downbeats"]),
                analysis["tempo"],
                analysis["meter"],
                track,
            )
        )
        if analysis["free_time"]:
            row["beat_f"] = row["downbeat_f"] = "free"  # no grid to score
    return row


# --- remixes ----------------------------------------------------------------------------------------


def _engine_env(engine_src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(engine_src).resolve() / "lib")
    return env


def remix_command(
    inp: Path, out: Path, seed: int, duration: float | None, engine_src: Path | None
) -> list[str]:
    """Our CLI as a user runs it (or another checkout's, with ``engine_src``)."""
    if engine_src is not None:
        base = [sys.executable, "-m", "musicremixer.cli"]
    else:
        base = find_ours() or [sys.executable, "-m", "musicremixer.cli"]
    argv = [*base, "remix", str(inp), "-o", str(out), "--seed", str(seed), "-q"]
    return argv + (["--duration", f"{duration:g}"] if duration else [])


def baseline_command(baseline_dir: Path) -> tuple[tuple[str, ...], str]:
    """The original method's command (``{in}``/``{out}`` placeholders) as ``bench.run`` finds it."""
    ns = argparse.Namespace(
        tools="baseline",
        baseline_dir=str(baseline_dir),
        use_rebuild=False,
        skip_ours=True,
        compare_rebuild=False,
    )
    tools, _ = resolve_tools(ns)
    return tools[0].command, tools[0].origin


def run_remix(argv: list[str], out: Path, env: dict[str, str] | None, workdir: Path) -> dict:
    """Run one remix; its wall time, or the error."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT_S:.0f} s"}
    wall = time.perf_counter() - start
    if done.returncode != 0 or not out.exists():
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}", "wall_s": wall}
    return {"wall_s": wall}


def judged(source: np.ndarray, sr: int, out: Path, beats: np.ndarray | None) -> dict:
    """:func:`judge_remix` of the file ``out`` against ``source``, as the row's figures."""
    remix, remix_sr = sf.read(out, dtype="float32", always_2d=True)
    if remix_sr != sr:
        # The original method writes its own rate (48 kHz); the judge compares at the source's.
        import soxr

        remix = soxr.resample(remix, remix_sr, sr).astype(np.float32)
    v = judge_remix(source, remix.T, sr, source_beats=beats)
    return {
        "rhythm_match": v.rhythm_match,
        "rhythm_chance": v.rhythm_chance,
        "rhythm_beats_chance": v.rhythm_beats_chance,
        "n_loud": v.n_loud,
        "loud_share": v.loud_share,
        "longest_repeat": v.longest_repeat,
        "most_taken": v.most_taken,
        "ending": "song" if v.ends_on_song else ("fade" if v.fade else "cut"),
        "clipped_added": v.clipped_added,
        "coverage": v.coverage,
        "n_seams": v.n_seams,
        "median_gap_s": v.median_gap_s,
        "duration": v.duration,
        "natural": v.natural,
        "seams": [[s.out_time, s.src_from, s.src_to] for s in v.seams],
    }


def combine_seeds(runs: list[dict]) -> dict:
    """One row from several seeds: the worst of the faults, the mean of the rest."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"] if runs else "no runs"}

    def mean(key: str) -> float | None:
        vals = [r[key] for r in ok if r.get(key) is not None]
        return float(np.mean(vals)) if vals else None

    endings = [r["ending"] for r in ok]
    return {
        "seeds": len(ok),
        "failed": len(runs) - len(ok),
        "rhythm_match": mean("rhythm_match"),
        "rhythm_chance": mean("rhythm_chance"),
        "rhythm_beats_chance": mean("rhythm_beats_chance"),
        "n_loud": max(r["n_loud"] for r in ok),
        "loud_share": max((r["loud_share"] or 0.0) for r in ok),
        "longest_repeat": max(r["longest_repeat"] for r in ok),
        "most_taken": max(r["most_taken"] for r in ok),
        "ending": endings[0] if len(set(endings)) == 1 else "/".join(endings),
        "clipped_added": max(r["clipped_added"] for r in ok),
        "coverage": mean("coverage"),
        "n_seams": mean("n_seams"),
        "median_gap_s": mean("median_gap_s"),
        "wall_s": mean("wall_s"),
        "runs": runs,
    }


def run_track(track, args: argparse.Namespace, log) -> list[dict]:
    """The rows of one track: ours, and the original method's with ``--baseline``."""
    from musicremixer.decode import decode_audio

    started = time.perf_counter()
    audio = decode_audio(track.path.read_bytes(), name=track.path.name)  # the very samples the CLI remixes
    analysis = score_analysis(run_analysis(track.path, args.engine_src), track)
    beats = None if track.beats is None else np.asarray(track.beats)
    base = {"key": track.key, "kind": track.kind, "genre": track.genre, "truth_tempo": track.tempo}
    base["truth_meter"], base["drums"], base["steady"] = track.meter, track.drums, track.steady
    rows: list[dict] = []
    tools = [("ours", args.engine_src)] + ([("baseline", None)] if args.baseline else [])
    if analysis["status"] == "refused":
        # The CLI refuses the same song with the same message: no remix to judge, and no failure.
        tools = [t for t in tools if t[0] != "ours"]
        rows.append({**base, "tool": "ours", "refused": True, "analysis": analysis})
    with tempfile.TemporaryDirectory(prefix="realmusic-") as tmp:
        work = Path(tmp)
        for tool, engine in tools:
            runs = []
            for seed in args.seeds:
                out = work / f"{track.key}-{tool}-{seed}.wav"
                if tool == "ours":
                    argv = remix_command(track.path, out, seed, args.duration, engine)
                    env = _engine_env(engine) if engine else None
                else:
                    command, _ = baseline_command(Path(args.baseline_dir))
                    argv = [p.replace("{in}", str(track.path)).replace("{out}", str(out)) for p in command]
                    env = None
                done = run_remix(argv, out, env, work)
                if "error" not in done:
                    done.update(judged(audio.y, audio.sr, out, beats))
                runs.append(done)
                out.unlink(missing_ok=True)
            row = {**base, "tool": tool, **combine_seeds(runs)}
            row["analysis"] = analysis if tool == "ours" else {"status": "n/a"}
            rows.append(row)
    log(f"  {track.key}: {time.perf_counter() - started:.0f} s")
    return rows


# --- the report -------------------------------------------------------------------------------------


COLUMNS = (
    "track",
    "kind",
    "genre",
    "tempo truth/ours",
    "beat F",
    "downbeat F",
    "meter truth/ours",
    "rhythm match/chance (>p75)",
    "loud seams",
    "max repeats",
    "ending",
    "clips added",
    "coverage",
    "seams",
    "median gap",
)


def _f(value, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}{suffix}"


def table_row(row: dict) -> list[str]:
    """The cells of one row of the table."""
    a = row["analysis"]
    name = row["key"] if row["tool"] == "ours" else f"{row['key']} (baseline)"
    if a.get("status") in ("refused", "error"):
        tempo = beat_f = down_f = meter = a["status"]
    elif a.get("status") == "n/a":
        tempo = beat_f = down_f = meter = ""
    else:
        tempo = f"{_f(row['truth_tempo'], 1)}/{'free' if a.get('free') else _f(a['tempo'], 1)}"
        beat_f, down_f = _f(a.get("beat_f")), _f(a.get("downbeat_f"))
        if a.get("free"):
            beat_f = "free"
        meter = f"{_f(row['truth_meter'], 0) if row['truth_meter'] else '-'}/{a['meter']}"
    head = [name, row["kind"], row["genre"], tempo, beat_f, down_f, meter]
    if row.get("refused"):
        return [*head, "refused"] + [""] * 7
    if "error" in row:
        return [*head, f"remix failed: {row['error']}"] + [""] * 7
    above = row["rhythm_beats_chance"]
    above_txt = "-" if above is None else f"{100 * above:.0f}%"
    rhythm = f"{_f(row['rhythm_match'])}/{_f(row['rhythm_chance'])} ({above_txt})"
    return [
        *head,
        rhythm,
        f"{row['n_loud']} ({100 * row['loud_share']:.0f}%)",
        str(row["longest_repeat"]) + ("" if row["most_taken"] <= 1 else f" ({row['most_taken']}x)"),
        row["ending"],
        str(row["clipped_added"]),
        _f(row["coverage"] and 100 * row["coverage"], 0, "%"),
        _f(row["n_seams"], 0),
        _f(row["median_gap_s"], 1, " s"),
    ]


def summary_lines(rows: list[dict]) -> list[str]:
    """Means and counts over the table."""
    ours = [r for r in rows if r["tool"] == "ours"]
    scored = [r for r in ours if r["analysis"].get("status") == "ok" and r["kind"] == "score"]
    gridded = [r for r in scored if not r["analysis"].get("free")]

    def mean_of(items: list[dict], key: str) -> str:
        vals = [r["analysis"][key] for r in items if isinstance(r["analysis"].get(key), float)]
        return f"{np.mean(vals):.3f} (n={len(vals)})" if vals else "-"

    meters = [r["analysis"]["meter_ok"] for r in scored if r["analysis"].get("meter_ok") is not None]
    octave = [r["key"] for r in gridded if r["analysis"].get("tempo_ok") is False]
    lines = [
        f"- mean beat F: {mean_of(gridded, 'beat_f')} over scores; drum pieces "
        f"{mean_of([r for r in gridded if r['drums']], 'beat_f')}; free-time (not scored): "
        f"{sum(1 for r in scored if r['analysis'].get('free'))}",
        f"- mean downbeat F: {mean_of(gridded, 'downbeat_f')}",
        f"- meter right: {100 * np.mean(meters):.0f}% of {len(meters)}" if meters else "- meter right: -",
        f"- tempo octave errors (off 1x by > 4%): {len(octave)}"
        + (f" ({', '.join(octave)})" if octave else ""),
    ]
    for tool in sorted({r["tool"] for r in rows}):
        mine = [r for r in rows if r["tool"] == tool and "error" not in r and not r.get("refused")]
        loud = [r["key"] for r in mine if r["loud_share"] > LOUD_SHARE]
        failed = [r["key"] for r in rows if r["tool"] == tool and "error" in r]
        lines.append(
            f"- {tool}: tracks with loud seams > {100 * LOUD_SHARE:.0f}%: {len(loud)} of {len(mine)}"
            + (f" ({', '.join(loud)})" if loud else "")
            + (f"; remix failed: {', '.join(failed)}" if failed else "")
        )
    refused = [r["key"] for r in ours if r["analysis"].get("status") in ("refused", "error")]
    lines.append(f"- tracks refused: {len(refused)}" + (f" ({', '.join(refused)})" if refused else ""))
    return lines


def render_markdown(meta: dict, rows: list[dict]) -> str:
    """The table and the summary as Markdown."""
    lines = [
        f"# Real music: {meta['when']}",
        "",
        f"engine: {meta['engine']}; seeds {meta['seeds']}; duration {meta['duration'] or 'own length'}; "
        f"{meta['n_tracks']} tracks; {meta['wall_s']:.0f} s",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(table_row(r)) + " |" for r in rows]
    lines += ["", *summary_lines(rows), ""]
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.realmusic", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", default="1", help="comma-separated walk seeds (default 1)")
    p.add_argument("--only", default="", help="comma-separated track keys")
    p.add_argument("--kind", choices=("recording", "score"), help="only recordings or only scores")
    p.add_argument("--cache", type=Path, help="the set's cache (default: realset.default_cache())")
    p.add_argument("--duration", type=float, help="remix length in seconds (default: the song's own)")
    p.add_argument("--jobs", type=int, default=1, help="tracks in parallel")
    p.add_argument("--engine-src", type=Path, help="run the engine of this checkout (its lib/) instead")
    p.add_argument("--baseline", action="store_true", help="also remix with the original method")
    p.add_argument("--baseline-dir", default=str(SHARED_BASELINE))
    p.add_argument("--results-dir", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    return args


def select(tracks: list, only: str, kind: str | None) -> list:
    """The tracks asked for, in the set's order."""
    keys = {k.strip() for k in only.split(",") if k.strip()}
    unknown = keys - {t.key for t in tracks}
    if unknown:
        raise SystemExit(f"realmusic: unknown track(s) {', '.join(sorted(unknown))}")
    return [t for t in tracks if (not keys or t.key in keys) and (kind is None or t.kind == kind)]


def main(argv: list[str] | None = None) -> int:
    """Run the table; the exit status is non-zero only when a remix fails."""
    from bench import realset

    args = parse_args(argv)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    cache = args.cache or realset.default_cache()
    tracks = select(realset.build_set(cache, log=log), args.only, args.kind)
    log(f"realmusic: {len(tracks)} tracks, seeds {args.seeds}")
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = [row for rows in pool.map(lambda t: run_track(t, args, log), tracks) for row in rows]
    meta = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "engine": str(args.engine_src) if args.engine_src else "this checkout",
        "seeds": args.seeds,
        "duration": args.duration,
        "n_tracks": len(tracks),
        "wall_s": time.perf_counter() - start,
        "cache": str(cache),
    }
    if args.baseline:
        meta["baseline"] = baseline_command(Path(args.baseline_dir))[1]
    report = render_markdown(meta, rows)
    print(report)
    write_report(args.results_dir, "realmusic", report, {"meta": meta, "rows": rows}, log)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
