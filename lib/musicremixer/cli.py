"""The command line: ``musicremixer remix``, and the commands other packages add.

``musicremixer serve`` comes from the function package (``functions.command``), registered under
the ``musicremixer.commands`` entry point group: the engine never imports the web layer.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from musicremixer import __version__
from musicremixer.errors import MusicRemixerError
from musicremixer.pipeline import FORMATS, MAX_DURATION, STAGES
from musicremixer.types import SourceFile

_STAGE_WORDS = {
    "decode": "decoding",
    "analyze": "finding beats and bars",
    "graph": "finding jumps",
    "walk": "planning the walk",
    "render": "rendering",
    "encode": "encoding",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "remix":
        return _remix(args, parser)
    run = getattr(args, "run", None)  # a command a plug-in added (see _add_plugin_commands)
    if run is not None:
        return int(run(args) or 0)
    parser.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="musicremixer",
        description="Re-sequence songs beat by beat into a new arrangement that keeps the groove.",
    )
    parser.add_argument("--version", action="version", version=f"musicremixer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    remix = commands.add_parser(
        "remix",
        help="remix audio files into one new arrangement",
        description="Remix one or more songs. Several inputs form one pool of beats; the remix keeps "
        "the first one's sample rate and channels.",
        epilog="example: musicremixer remix song.mp3 -o remix.wav --duration 180 --seed 7",
    )
    remix.add_argument("inputs", nargs="+", metavar="IN", type=Path, help="audio file (wav, flac, ogg, mp3)")
    remix.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUT", help="where to write the remix"
    )
    remix.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help=f"length of the remix in seconds, up to {MAX_DURATION:g} (default: the inputs' total length)",
    )
    remix.add_argument(
        "--seed", type=int, metavar="N", help="seed of the walk; the same seed gives the same remix"
    )
    remix.add_argument(
        "--jumpiness",
        type=float,
        default=0.5,
        metavar="X",
        help="how often to jump: 0 plays the song as it is, 1 jumps a phrase after each jump; default 0.5",
    )
    remix.add_argument(
        "--keep-order",
        action="store_true",
        help="with several inputs, play them in the order given (default: the smoothest order)",
    )
    remix.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: from OUT's extension, else wav)",
    )
    remix.add_argument("--plan", type=Path, metavar="PLAN", help="also write the plan as JSON to this file")
    remix.add_argument("-v", "--verbose", action="store_true", help="print each stage's time")
    remix.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    _add_plugin_commands(commands)
    return parser


#: Entry point group of commands other packages add: each is ``register(commands)``, adding a
#: subparser whose defaults set ``run`` (a function of the parsed args returning the exit code).
COMMANDS_GROUP = "musicremixer.commands"


def _add_plugin_commands(commands: argparse._SubParsersAction) -> None:
    for entry in sorted(importlib.metadata.entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        entry.load()(commands)


def _remix(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from musicremixer.pipeline import remix

    fmt = args.format or _format_from_suffix(args.output)
    progress = _Progress(verbose=args.verbose, quiet=args.quiet)
    try:
        result = remix(
            # A temporary list: the pipeline can free the input bytes once they are decoded.
            [SourceFile(name=path.name, data=_read(path, parser)) for path in args.inputs],
            duration=args.duration,
            seed=args.seed,
            jumpiness=args.jumpiness,
            keep_order=args.keep_order,
            format=fmt,
            on_stage=progress.stage,
        )
    except MusicRemixerError as error:
        progress.done()
        print(f"musicremixer: error: {error}", file=sys.stderr)
        return 1
    progress.done()
    try:
        args.output.write_bytes(result.data)
        if args.plan:
            args.plan.write_text(json.dumps(result.plan, indent=1))
    except OSError as error:
        print(f"musicremixer: error: can't write: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        ending = "the song's ending" if result.plan["ending"] == "song" else "a fade"
        jumps = _count_jumps(result.plan)
        mixed = _describe_mix(result.plan)
        print(
            f"wrote {args.output} ({result.duration:.1f} s, {jumps} jumps, {mixed}ends on {ending}, "
            f"seed {result.seed})",
            file=sys.stderr,
        )
        for name in result.plan["left_out"]:
            print(
                f"musicremixer: note: {name} did not fit in {result.duration:.0f} s; ask for more",
                file=sys.stderr,
            )
    return 0


def _read(path: Path, parser: argparse.ArgumentParser) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        parser.error(f"can't read {path}: {error.strerror or error}")


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "wav"


def _count_jumps(plan: dict) -> int:
    """Jumps within a song: a transition to the next song is not one."""
    beats = [step["beat"] for step in plan["sequence"]]
    handovers = {t["step"] for t in plan["transitions"]}
    return sum(
        1 for i, (a, b) in enumerate(itertools.pairwise(beats), 1) if b != a + 1 and i not in handovers
    )


def _describe_mix(plan: dict) -> str:
    """``3 songs in the order b, a, c, 2 transitions, `` for a mix; nothing for one song."""
    if len(plan["order"]) < 2:
        return ""
    names = ", ".join(plan["tracks"][t]["name"] for t in plan["order"])
    count = len(plan["transitions"])
    return f"{len(plan['order'])} songs in the order {names}, {count} transition{'s' * (count != 1)}, "


class _Progress:
    """Stage-by-stage progress on stderr; with ``verbose``, each stage's time."""

    def __init__(self, *, verbose: bool, quiet: bool) -> None:
        self.verbose = verbose
        self.quiet = quiet
        self.current: str | None = None
        self.started = time.perf_counter()

    def stage(self, name: str) -> None:
        self._finish_current()
        self.current = name
        self.started = time.perf_counter()
        if not self.quiet and not self.verbose:
            step = STAGES.index(name) + 1 if name in STAGES else 0
            print(f"[{step}/{len(STAGES)}] {_STAGE_WORDS.get(name, name)}…", file=sys.stderr, flush=True)

    def done(self) -> None:
        self._finish_current()
        self.current = None

    def _finish_current(self) -> None:
        if self.current and self.verbose and not self.quiet:
            elapsed = time.perf_counter() - self.started
            print(f"{self.current:>8}: {elapsed:6.3f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
