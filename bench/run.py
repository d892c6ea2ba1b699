"""The performance benchmark of issue 2: our CLI against the original method and the floor.

Usage::

    python -m bench.run [--reps N | --quick] [--tools baseline,floor,ours,ours-mp3,ours-ogg] [--skip-ours]
                        [--inputs clip,30s,3min,10min] [--use-rebuild] [--compare-rebuild]

Makes its own inputs (synthetic 44.1 kHz stereo WAV songs of 10 s, 30 s, 3 min and 10 min, in a
temporary directory outside the repository), then runs every tool on every input as a separate
process, interleaved, ``N`` times, and reports medians:

- the whole process as a CLI user feels it (wall seconds, start-up and imports included);
- compute: the 3-minute song's run minus the 10-second clip's, so start-up cancels;
- peak memory (the child's own ``ru_maxrss``, from ``os.wait4``);
- cost per second of audio at 30 s, 3 min and 10 min (is time linear in duration?);
- compressed output (issue 12): our CLI writing MP3 and OGG of the 3-minute song, against our
  WAV path in the same run (tools ``ours-mp3``, ``ours-ogg``: the 3-minute song only).

The goals of issue 2 are checked and marked met or missed; missing one is not an error (this is a
report). The exit status is non-zero only when a run fails (a tool crashes, times out, or writes no
readable audio). A Markdown report and the raw figures go to ``bench/results/<timestamp>.md`` and
``.json``. See ``bench/README.md`` for what every figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from bench.inputs import BPM, CHANNELS, SR, write_inputs

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
SHARED_BASELINE = REPO.parent / "shared" / "baseline"
RESULTS = BENCH / "results"

INPUT_SECONDS = {"clip": 10.0, "30s": 30.0, "3min": 180.0, "10min": 600.0}
INPUT_LABELS = {"clip": "10 s clip", "30s": "30 s", "3min": "3 min", "10min": "10 min"}
SONG, CLIP = "3min", "clip"
SCALING = ("30s", "3min", "10min")


def json_default(value):
    """``json.dumps``'s ``default`` for numpy scalars and arrays in the raw figures."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))


def write_report(directory: Path, name: str, report: str, raw: dict, log) -> None:
    """Write ``<name>-<UTC timestamp>.md`` (the report) and ``.json`` (the raw figures) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{name}-{dt.datetime.now(dt.UTC).strftime('%Y%m%d-%H%M%S')}"
    stem.with_suffix(".md").write_text(report)
    stem.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=json_default))
    log(f"{name}: wrote {stem}.md and .json")


# Issue 2's goals.
GOAL_COMPUTE_VS_BASELINE = 3.0  # baseline compute / ours >= this
GOAL_COMPUTE_VS_FLOOR = 1.5  # ours compute / floor <= this
GOAL_WHOLE_VS_BASELINE = 3.5  # baseline whole process / ours (3-minute song) >= this
GOAL_PEAK_MB = 300.0  # our peak RSS (3-minute song) < this, in MB of 10**6 bytes
# Issue 12's: a 3-minute remix to MP3 or OGG takes at most this many times the WAV path's whole process.
GOAL_COMPRESSED_VS_WAV = 1.3
COMPRESSED = ("mp3", "ogg")
GOAL_LINEAR = 1.25  # per-second cost at 10 min / at 3 min <= this (1.0 = perfectly linear)

MB = 1e6
MIN_DIVISOR_S = 0.05  # a compute time (or cost) below this is too small to divide by

# Three ways to read the repetitions: the median wall time (the headline, and what goals are judged
# on), the fastest wall time (least disturbed by other work on a busy machine), and the median CPU
# time of the process (user + sys; insensitive to waiting for a core, but counts every thread).
ESTIMATORS = {"median": "wall_s", "min": "wall_min_s", "cpu": "cpu_s"}


@dataclass(frozen=True)
class Tool:
    """A program under test: ``command`` with ``{in}`` and ``{out}`` placeholders."""

    key: str
    label: str
    command: tuple[str, ...]
    origin: str
    suffix: str = ".wav"  # of the output file
    only: tuple[str, ...] | None = None  # the inputs it runs on; None: all

    def argv(self, inp: Path, out: Path) -> list[str]:
        return [part.replace("{in}", str(inp)).replace("{out}", str(out)) for part in self.command]


# --- which programs ---------------------------------------------------------------------------------


def find_ours() -> list[str] | None:
    """The command that runs our CLI, or ``None`` when ``musicremixer.cli`` is not installed."""
    try:
        spec = importlib.util.find_spec("musicremixer.cli")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    script = Path(sys.executable).parent / "musicremixer"
    if script.exists():
        return [str(script)]  # the console script, as a user runs it
    found = shutil.which("musicremixer")
    if found:
        return [found]
    return [sys.executable, "-m", "musicremixer.cli"]


def resolve_tools(args: argparse.Namespace) -> tuple[list[Tool], list[str]]:
    """The tools to run, in order, and notes on where each comes from."""
    notes: list[str] = []
    shared = Path(args.baseline_dir)
    shared_baseline = shared / "original_pipeline.py"
    shared_floor = shared / "floor.py"
    rebuild = BENCH / "original_method.py"
    own_floor = BENCH / "floor.py"

    if shared_baseline.exists() and not args.use_rebuild:
        baseline_script, baseline_origin = shared_baseline, _rel(shared_baseline)
    else:
        baseline_script, baseline_origin = rebuild, f"{_rel(rebuild)} (the project's rebuild)"
    floor_script = own_floor if (args.use_rebuild or not shared_floor.exists()) else shared_floor

    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    tools: list[Tool] = []
    for key in wanted:
        if key == "baseline":
            tools.append(
                Tool(
                    "baseline",
                    "baseline",
                    (sys.executable, str(baseline_script), "{in}", "{out}", "--beats", "0"),
                    baseline_origin,
                )
            )
        elif key == "floor":
            tools.append(
                Tool(
                    "floor", "floor", (sys.executable, str(floor_script), "{in}", "{out}"), _rel(floor_script)
                )
            )
        elif key == "ours" or key.removeprefix("ours-") in COMPRESSED:
            if args.skip_ours:
                notes.append(f"{key}: skipped (--skip-ours)")
                continue
            command = find_ours()
            if command is None:
                notes.append(f"{key}: skipped (musicremixer.cli is not installed yet)")
                continue
            fmt = "wav" if key == "ours" else key.removeprefix("ours-")
            tools.append(
                Tool(
                    key,
                    key,
                    (*command, "remix", "{in}", "-o", "{out}", "--seed", "1"),
                    " ".join(command) + ("" if fmt == "wav" else f" (-o OUT.{fmt})"),
                    suffix=f".{fmt}",
                    only=None if fmt == "wav" else (CLIP, SONG),  # the clip for the warm-up
                )
            )
        else:
            raise SystemExit(f"bench: unknown tool {key!r}: use baseline, floor, ours, ours-mp3, ours-ogg")
    if args.compare_rebuild and baseline_script != rebuild:
        tools.append(
            Tool(
                "rebuild",
                "rebuild",
                (sys.executable, str(rebuild), "{in}", "{out}", "--beats", "0"),
                _rel(rebuild),
            )
        )
    return tools, notes


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path, REPO)
    except ValueError:
        return str(path)


# --- one measured process ---------------------------------------------------------------------------


def measure(argv: list[str], *, cwd: Path, out: Path, timeout: float) -> dict:
    """Run ``argv`` once; its wall time, CPU time, peak RSS, exit code and the audio it wrote.

    The command runs under ``bench/_spawn.py``, a launcher that imports nothing heavy, so that the
    peak RSS reported is the command's own and not this process's (see that module).
    """
    log_out, log_err, usage_file = cwd / "last.stdout", cwd / "last.stderr", cwd / "last.usage.json"
    for stale in (out, usage_file):
        if stale.exists():
            stale.unlink()
    launcher = [sys.executable, str(BENCH / "_spawn.py"), str(usage_file), str(timeout), "--"]
    with open(log_out, "wb") as stdout, open(log_err, "wb") as stderr:
        subprocess.run(
            launcher + argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, check=True
        )
    usage = json.loads(usage_file.read_text())
    text_out = log_out.read_text(errors="replace")
    text_err = log_err.read_text(errors="replace")
    run = {
        "wall_s": usage["wall_s"],
        "cpu_s": usage["user_s"] + usage["sys_s"],
        "user_s": usage["user_s"],
        "sys_s": usage["sys_s"],
        "peak_rss_mb": usage["peak_rss_bytes"] / MB,
        "exit_code": usage["exit_code"],
        "reported": _reported(text_out),
        "stdout_tail": text_out[-400:],
        "stderr_tail": text_err[-800:],
        "error": None,
    }
    if usage["timed_out"]:
        run["error"] = f"timed out after {timeout:g} s"
    elif usage["exit_code"] != 0:
        last = text_err.strip().splitlines()[-1:] or ["(no stderr)"]
        run["error"] = f"exit code {usage['exit_code']}: {last[0]}"
    else:
        run.update(_check_output(out))
    return run


def _reported(stdout: str) -> dict[str, float]:
    """``key=number`` pairs from the last line a tool printed (the baselines print stage timings)."""
    lines = [line for line in stdout.splitlines() if "=" in line]
    if not lines:
        return {}
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-+0-9.eE]+)\b", lines[-1])}


def _check_output(out: Path) -> dict:
    import soundfile as sf

    if not out.exists() or out.stat().st_size == 0:
        return {"error": f"no output written to {out.name}"}
    try:
        info = sf.info(str(out))
    except Exception as exc:  # any unreadable output is a failed run
        return {"error": f"output is not readable audio: {exc}"}
    if info.frames == 0:
        return {"error": "output has no samples"}
    return {
        "out_seconds": info.frames / info.samplerate,
        "out_sr": info.samplerate,
        "out_channels": info.channels,
    }


# --- the schedule -----------------------------------------------------------------------------------


def run_all(
    tools: list[Tool],
    inputs: dict,
    *,
    reps: int,
    warmup: bool,
    workdir: Path,
    timeout: float,
    quiet_load: float | None = None,
    quiet_wait: float = 120.0,
) -> list[dict]:
    """Warm up each tool once on the clip, then ``reps`` rounds of every input x every tool.

    Within a round the tools take turns in an order that rotates with the round and the input, so
    no tool always runs right after the same neighbour on a noisy machine.
    """
    runs: list[dict] = []
    schedule: list[tuple[int, str, Tool]] = []
    if warmup:
        first = CLIP if CLIP in inputs else next(iter(inputs))
        schedule += [(-1, first, tool) for tool in tools if tool.only is None or first in tool.only]
    for rep in range(reps):
        for i, key in enumerate(inputs):
            shift = (rep + i) % len(tools)
            turn = tools[shift:] + tools[:shift]
            # The compressed-output tools count on the 3-minute song only (their goal's figure).
            schedule += [(rep, key, tool) for tool in turn if tool.only is None or key == SONG]
    for n, (rep, key, tool) in enumerate(schedule, 1):
        inp = inputs[key]
        out = workdir / f"out-{tool.key}-{key}{tool.suffix}"
        if quiet_load is not None:
            _wait_for_quiet(quiet_load, max_wait=quiet_wait)
        load = _loadavg_1m()
        run = measure(tool.argv(inp.path, out), cwd=workdir, out=out, timeout=timeout)
        run["load_1m"] = load
        run.update(tool=tool.key, input=key, rep=rep, warmup=rep < 0)
        for leftover in (out, Path(str(out) + ".beats")):
            if leftover.exists():
                leftover.unlink()
        runs.append(run)
        what = "warm-up" if rep < 0 else f"rep {rep + 1}/{reps}"
        mem = "" if run["peak_rss_mb"] is None else f" {run['peak_rss_mb']:7.0f} MB"
        status = "ok" if run["error"] is None else f"FAILED: {run['error']}"
        print(
            f"[{n:3d}/{len(schedule)}] {what:9s} {tool.key:8s} {INPUT_LABELS[key]:9s} "
            f"{run['wall_s']:7.2f} s{mem}  {status}",
            file=sys.stderr,
            flush=True,
        )
    return runs


# --- figures ----------------------------------------------------------------------------------------


def summarize(runs: list[dict], tools: list[Tool], inputs: dict) -> dict:
    """Medians per tool and input, compute times, scaling, and the goals met or missed."""
    stats: dict[str, dict[str, dict]] = {}
    for tool in tools:
        stats[tool.key] = {}
        for key in inputs:
            ok = [r for r in runs if r["tool"] == tool.key and r["input"] == key and not r["warmup"]]
            good = [r for r in ok if r["error"] is None]
            if not good:
                stats[tool.key][key] = {"n": 0, "failed": len(ok), "ran": bool(ok)}
                continue
            walls = [r["wall_s"] for r in good]
            rss = [r["peak_rss_mb"] for r in good if r["peak_rss_mb"] is not None]
            cpus = [r["cpu_s"] for r in good if r["cpu_s"] is not None]
            totals = [r["reported"]["total"] for r in good if "total" in r["reported"]]
            stats[tool.key][key] = {
                "n": len(good),
                "failed": len(ok) - len(good),
                "wall_s": statistics.median(walls),
                "wall_min_s": min(walls),
                "wall_max_s": max(walls),
                "cpu_s": statistics.median(cpus) if cpus else None,
                "peak_rss_mb": statistics.median(rss) if rss else None,
                "peak_rss_max_mb": max(rss) if rss else None,
                "in_process_s": statistics.median(totals) if totals else None,
                "out_seconds": good[-1].get("out_seconds"),
            }

    def fig(tool: str, key: str, name: str = "wall_s"):
        return stats.get(tool, {}).get(key, {}).get(name)

    compute: dict[str, dict] = {}
    per_second: dict[str, dict] = {}
    linearity: dict[str, dict] = {}
    for estimator, name in ESTIMATORS.items():
        compute[estimator], per_second[estimator], linearity[estimator] = {}, {}, {}
        for tool in stats:
            song, clip = fig(tool, SONG, name), fig(tool, CLIP, name)
            compute[estimator][tool] = None if song is None or clip is None else song - clip
            costs = {}
            for key in SCALING:
                value = fig(tool, key, name)
                if value is not None and clip is not None and key in inputs:
                    costs[key] = (value - clip) / (inputs[key].seconds - inputs[CLIP].seconds)
            per_second[estimator][tool] = costs
            # Per second of audio: the 3-min run's extra time must itself be above the noise floor.
            span = inputs[SONG].seconds - inputs[CLIP].seconds if SONG in inputs and CLIP in inputs else 0
            linearity[estimator][tool] = _ratio(
                costs.get("10min"), costs.get("3min"), min_b=MIN_DIVISOR_S / span if span else float("inf")
            )

    base, floor, ours = "baseline", "floor", "ours"
    figures = {
        "compute: baseline / ours": (
            lambda e: _ratio(compute[e].get(base), compute[e].get(ours)),
            f">= {GOAL_COMPUTE_VS_BASELINE:g}x",
            lambda v: v >= GOAL_COMPUTE_VS_BASELINE,
            "x",
        ),
        "compute: ours / floor": (
            lambda e: _ratio(compute[e].get(ours), compute[e].get(floor)),
            f"<= {GOAL_COMPUTE_VS_FLOOR:g}x",
            lambda v: v <= GOAL_COMPUTE_VS_FLOOR,
            "x",
        ),
        "whole process, 3 min: baseline / ours": (
            lambda e: _ratio(fig(base, SONG, ESTIMATORS[e]), fig(ours, SONG, ESTIMATORS[e])),
            f">= {GOAL_WHOLE_VS_BASELINE:g}x",
            lambda v: v >= GOAL_WHOLE_VS_BASELINE,
            "x",
        ),
        "peak memory, 3 min: ours": (
            lambda e: fig(ours, SONG, "peak_rss_max_mb") if e == "median" else None,
            f"< {GOAL_PEAK_MB:g} MB",
            lambda v: v < GOAL_PEAK_MB,
            " MB",
        ),
        "linear in duration: ours, cost per s at 10 min / at 3 min": (
            lambda e: linearity[e].get(ours),
            f"<= {GOAL_LINEAR:g}",
            lambda v: v <= GOAL_LINEAR,
            "",
        ),
    }
    for fmt in COMPRESSED:
        if f"ours-{fmt}" in stats:
            figures[f"whole process, 3 min: ours to {fmt.upper()} / ours to WAV (issue 12)"] = (
                lambda e, fmt=fmt: _ratio(
                    fig(f"ours-{fmt}", SONG, ESTIMATORS[e]), fig(ours, SONG, ESTIMATORS[e])
                ),
                f"<= {GOAL_COMPRESSED_VS_WAV:g}x",
                lambda v: v <= GOAL_COMPRESSED_VS_WAV,
                "x",
            )
    goals = []
    for goal, (value_of, target, test, unit) in figures.items():
        value = value_of("median")
        goals.append(
            {
                "goal": goal,
                "value": value,
                "by_min": value_of("min"),
                "by_cpu": value_of("cpu"),
                "unit": unit,
                "target": target,
                "met": None if value is None else bool(test(value)),
            }
        )
    loads = [r["load_1m"] for r in runs if not r["warmup"] and r.get("load_1m") is not None]
    return {
        "stats": stats,
        "compute_s": compute,
        "per_second_cost_s": per_second,
        "linearity": linearity,
        "goals": goals,
        "load_1m": {"median": statistics.median(loads), "max": max(loads)} if loads else None,
    }


def _ratio(a: float | None, b: float | None, *, min_b: float = MIN_DIVISOR_S) -> float | None:
    """``a / b``, or ``None`` when either is missing or ``b`` is too small to divide by.

    Differences of noisy wall times can come out near zero or negative; a ratio of those is noise.
    """
    if a is None or b is None or b < min_b:
        return None
    return a / b


# --- the report -------------------------------------------------------------------------------------


def render_markdown(meta: dict, summary: dict, tools: list[Tool], inputs: dict) -> str:
    stats = summary["stats"]
    keys = [t.key for t in tools]
    load = summary["load_1m"]
    lines = [
        f"# MusicRemixer benchmark, {meta['started']}",
        "",
        f"- machine: {meta['machine']}; Python {meta['python']}; repository {meta['git']}",
        f"- {meta['reps']} repetition(s), interleaved, medians shown"
        + ("; one warm-up run per tool first (not counted)" if meta["warmup"] else ""),
        f"- inputs: synthetic drum-and-chords songs from tests/synth.py, {SR} Hz, {CHANNELS} channels, "
        f"16-bit WAV, {BPM:g} BPM; the clip is the 3-minute song's first 10 s",
    ]
    if load:
        busy = load["max"] > (os.cpu_count() or 1)
        lines.append(
            f"- 1-minute load average before each run: median {load['median']:.1f}, max {load['max']:.1f}"
            + (" (above the CPU count: other work was running; wall times are inflated)" if busy else "")
        )
    lines += [f"- {t.key}: `{t.origin}`" for t in tools]
    lines += [f"- {note}" for note in meta["notes"]]

    lines += ["", "## Whole process (wall seconds, median [min-max]; peak RSS)", ""]
    lines += ["| input | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for key in inputs:
        cells = []
        for tool in keys:
            s = stats[tool][key]
            if not s["n"]:
                cells.append(f"failed ({s['failed']})" if s.get("ran", True) else "-")
                continue
            cell = f"{s['wall_s']:.2f} s [{s['wall_min_s']:.2f}-{s['wall_max_s']:.2f}]"
            if s["peak_rss_max_mb"] is not None:
                cell += f", {s['peak_rss_max_mb']:.0f} MB"
            cells.append(cell)
        lines.append(f"| {INPUT_LABELS[key]} | " + " | ".join(cells) + " |")

    compute = summary["compute_s"]
    if CLIP in inputs and SONG in inputs:
        lines += ["", "## Compute: the 3-min song's run minus the 10-s clip's (start-up cancels)", ""]
        lines += ["| tool | wall, median | wall, fastest | CPU (user+sys), median |", "|---|---|---|---|"]
        for tool in keys:
            cells = [_fmt(compute[e][tool], " s") for e in ESTIMATORS]
            lines.append(f"| {tool} | " + " | ".join(cells) + " |")

    scaling = [k for k in SCALING if k in inputs]
    if CLIP in inputs and scaling:
        lines += ["", "## Cost per second of audio: (run - clip's run) / (length - 10 s), median wall", ""]
        header = " | ".join(INPUT_LABELS[k] for k in scaling)
        lines += [f"| tool | {header} | 10 min / 3 min |", "|---|" + "---|" * (len(scaling) + 1)]
        for tool in keys:
            costs = summary["per_second_cost_s"]["median"][tool]
            cells = [_fmt(None if costs.get(k) is None else 1000 * costs[k], " ms/s", 1) for k in scaling]
            ratio = _fmt(summary["linearity"]["median"][tool], "", 2)
            lines.append(f"| {tool} | " + " | ".join(cells) + f" | {ratio} |")
        lines += [
            "",
            "The 30 s figure divides a difference of a fraction of a second by 20 s: read it loosely.",
        ]

    lines += ["", "## Goals (issues 2 and 12), judged on median wall times", ""]
    if load and load["max"] > (os.cpu_count() or 1):
        lines += [
            "The machine was busy during this run (see the load average above): wall-time verdicts are "
            "unreliable. The fastest-run and CPU-time columns are the better guide; rerun on a quiet "
            "machine, or with `--quiet-load`, before trusting a verdict.",
            "",
        ]
    lines += [
        "A '-' means the figure is missing or a difference was too small (or negative) to divide by.",
        "",
        "| goal | measured | target | verdict | by fastest runs | by CPU time |",
        "|---|---|---|---|---|---|",
    ]
    for g in summary["goals"]:
        verdict = {True: "met", False: "**missed**", None: "n/a"}[g["met"]]
        digits = 0 if g["unit"] == " MB" else 2
        lines.append(
            f"| {g['goal']} | {_fmt(g['value'], g['unit'], digits)} | {g['target']} | {verdict} | "
            f"{_fmt(g['by_min'], g['unit'])} | {_fmt(g['by_cpu'], g['unit'])} |"
        )
    base = stats.get("baseline", {}).get(SONG, {})
    if base.get("peak_rss_max_mb") is not None:
        peak = f"{base['peak_rss_max_mb']:.0f} MB"
        lines.append(f"| peak memory, 3 min: baseline (reference) | {peak} | | | | |")
    if meta["failures"]:
        lines += ["", "## Failed runs", ""]
        for r in meta["failures"]:
            when = "warm-up" if r["warmup"] else f"rep {r['rep'] + 1}"
            lines.append(f"- {r['tool']} on {INPUT_LABELS[r['input']]} ({when}): {r['error']}")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None, unit: str, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _wait_for_quiet(threshold: float, *, max_wait: float) -> None:
    """Sleep until the 1-minute load average is at most ``threshold``, or ``max_wait`` seconds pass."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        load = _loadavg_1m()
        if load is None or load <= threshold:
            return
        time.sleep(2.0)


def _loadavg_1m() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _versions() -> dict[str, str]:
    out = {}
    for name in ("numpy", "scipy", "librosa", "numba", "scikit-learn", "soundfile", "soxr", "musicremixer"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=3, help="repetitions per tool and input; the median is used")
    p.add_argument("--quick", action="store_true", help="one repetition (same as --reps 1)")
    p.add_argument(
        "--tools",
        default="baseline,floor,ours,ours-mp3,ours-ogg",
        help="comma-separated: baseline, floor, ours, ours-mp3, ours-ogg",
    )
    p.add_argument("--skip-ours", action="store_true", help="run only the baselines")
    p.add_argument(
        "--inputs",
        default=",".join(INPUT_SECONDS),
        help=f"comma-separated subset of {', '.join(INPUT_SECONDS)}",
    )
    p.add_argument(
        "--baseline-dir",
        default=str(SHARED_BASELINE),
        help="where original_pipeline.py and floor.py are looked for (default ../shared/baseline)",
    )
    p.add_argument(
        "--use-rebuild", action="store_true", help="run bench/original_method.py and bench/floor.py"
    )
    p.add_argument(
        "--compare-rebuild", action="store_true", help="also run bench/original_method.py as tool 'rebuild'"
    )
    p.add_argument("--no-warmup", dest="warmup", action="store_false", help="count the very first runs too")
    p.add_argument(
        "--quiet-load",
        type=float,
        metavar="LOAD",
        help="before each run, wait until the 1-minute load average is at most LOAD (busy machines)",
    )
    p.add_argument("--quiet-wait", type=float, default=120.0, help="longest wait for --quiet-load, seconds")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds before a run is killed")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic inputs")
    p.add_argument("--results-dir", default=str(RESULTS))
    p.add_argument("--rerender", metavar="RESULT.json", help="print the report of an earlier run again")
    p.add_argument("--keep-temp", action="store_true", help="keep the temporary directory with the inputs")
    args = p.parse_args(argv)
    if args.quick:
        args.reps = 1
    if args.reps < 1:
        p.error("--reps must be at least 1")
    args.input_keys = [k.strip() for k in args.inputs.split(",") if k.strip()]
    unknown = [k for k in args.input_keys if k not in INPUT_SECONDS]
    if unknown:
        p.error(f"unknown input(s) {unknown}: use {', '.join(INPUT_SECONDS)}")
    return args


def rerender(path: Path) -> int:
    """Print the report of an earlier run again from its raw JSON (after a change to the report)."""
    raw = json.loads(path.read_text())
    meta, runs = raw["meta"], raw["runs"]
    tools = [
        Tool(t["key"], t["key"], tuple(t["command"]), t["origin"], t.get("suffix", ".wav"), t.get("only"))
        for t in meta["tools"]
    ]
    inputs = {k: SimpleNamespace(seconds=v["seconds"]) for k, v in meta["inputs"].items()}
    print(render_markdown(meta, summarize(runs, tools, inputs), tools, inputs))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.rerender:
        return rerender(Path(args.rerender))
    tools, notes = resolve_tools(args)
    if not tools:
        print("bench: nothing to run", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    meta = {
        "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "versions": _versions(),
        "git": _git(),
        "loadavg_start": _loadavg(),
        "reps": args.reps,
        "quiet_load": args.quiet_load,
        "warmup": args.warmup,
        "notes": notes,
        "tools": [
            {"key": t.key, "command": list(t.command), "origin": t.origin, "suffix": t.suffix, "only": t.only}
            for t in tools
        ],
    }
    for note in notes:
        print(f"bench: {note}", file=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="musicremixer-bench-"))
    try:
        t0 = time.perf_counter()
        inputs = write_inputs(workdir, args.input_keys, seconds_of=INPUT_SECONDS, seed=args.seed)
        print(
            f"bench: wrote {len(inputs)} input(s) to {workdir} in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
        runs = run_all(
            tools,
            inputs,
            reps=args.reps,
            warmup=args.warmup,
            workdir=workdir,
            timeout=args.timeout,
            quiet_load=args.quiet_load,
            quiet_wait=args.quiet_wait,
        )
    finally:
        if args.keep_temp:
            print(f"bench: kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["loadavg_end"] = _loadavg()
    meta["failures"] = [r for r in runs if r["error"] is not None]
    meta["inputs"] = {k: {"seconds": v.seconds, "n_beats": len(v.beat_times)} for k, v in inputs.items()}
    summary = summarize(runs, tools, inputs)
    report = render_markdown(meta, summary, tools, inputs)
    print(report)

    results = Path(args.results_dir)
    results.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (results / f"{stamp}.md").write_text(report)
    raw = {"meta": meta, "summary": summary, "runs": runs}
    (results / f"{stamp}.json").write_text(json.dumps(raw, indent=1, default=str))
    print(f"bench: wrote {_rel(results / stamp)}.md and .json", file=sys.stderr)
    return 1 if meta["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
