"""The whole remix: each stage called once, in order."""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from musicremixer.errors import ParameterError
from musicremixer.memory import release_free_memory
from musicremixer.types import Analysis, Audio, JumpGraph, Plan, SourceFile

FORMATS = ("wav", "flac", "ogg", "mp3")
MAX_DURATION = 3600.0  # seconds of output; longer asks are refused, not truncated
MIN_DURATION = 1.0  # seconds of output: a beat at 60 BPM; shorter holds no beat and only a fade
STAGES = ("decode", "analyze", "graph", "walk", "render", "encode")  # as on_stage reports them

StageCallback = Callable[[str], None]


@dataclass(frozen=True)
class RemixResult:
    """An encoded remix and the plan that made it.

    data : bytes
        The encoded audio.
    media_type : str
        Its MIME type, e.g. ``audio/wav``.
    format : str
        One of :data:`FORMATS`.
    plan : dict
        The plan as JSON-ready data (see README, "The plan").
    seed : int
        The seed used; pass it again to get the same bytes.
    duration : float
        Length of the remix in seconds.
    """

    data: bytes
    media_type: str
    format: str
    plan: dict[str, Any]
    seed: int
    duration: float


def remix(
    sources: Sequence[SourceFile],
    *,
    duration: float | None = None,
    seed: int | None = None,
    jumpiness: float = 0.5,
    keep_order: bool = False,
    format: str = "wav",
    mp3_kbps: int | None = None,
    max_input_seconds: float | None = None,
    on_stage: StageCallback | None = None,
) -> RemixResult:
    """Remix one or more songs into one new arrangement.

    Parameters
    ----------
    sources : sequence of SourceFile
        Encoded audio (WAV, FLAC, OGG Vorbis/Opus, MP3) with display names. Several sources make
        one mix: each song remixed in its part, handed over to the next on a downbeat
        (:mod:`musicremixer.mix`); the output takes the first source's sample rate and channels.
    duration : float in [MIN_DURATION, MAX_DURATION] or None
        Length of the remix in seconds (1 to 3600); ``None`` means the sources' own length (for
        several, each song once through).
    seed : int >= 0 or None
        Seed of the walk; ``None`` draws one (returned in the result).
    jumpiness : float in [0, 1]
        How often the walk jumps; 0 plays the song as it is (jumping only to meet ``duration``).
    keep_order : bool
        Play several songs in the given order rather than the one with the smoothest transitions.
    format : {'wav', 'flac', 'ogg', 'mp3'}
        Output encoding.
    mp3_kbps : int in encode.MP3_BITRATES_KBPS or None
        MP3's stereo bitrate (mono gets half); ``None`` means 128 kb/s. A caller with a size limit,
        such as a hosted response, picks a lower one before the work starts.
    max_input_seconds : float or None
        Refuse any source longer than this.
    on_stage : callable or None
        Called with each stage's name (one of :data:`STAGES`, in that order) as it starts.

    Returns
    -------
    RemixResult

    Raises
    ------
    MusicRemixerError
        For bad options or input; the message says what to change.
    """
    stage = on_stage or _ignore
    _check_options(sources, duration, seed, jumpiness, format)
    from musicremixer.encode import MP3_KBPS, check_mp3_kbps

    mp3_kbps = MP3_KBPS if mp3_kbps is None else mp3_kbps
    check_mp3_kbps(mp3_kbps)  # before the work, not after the render
    names, audios = _decode(sources, max_input_seconds, stage)
    # Memory: three minutes of stereo are 32 MB as WAV bytes and 63 MB decoded (the render is made
    # a block at a time as the encoder reads it).
    # Let a caller's temporary input bytes go once decoded, and the decoded tracks before encoding.
    del sources
    release_free_memory()
    work = _analyze_and_walk(audios, names, duration, seed, jumpiness, keep_order, stage)
    from musicremixer.encode import MEDIA_TYPES, encode_audio
    from musicremixer.mixdown import render_mix

    plan = work.plan_dict()
    release_free_memory()
    stage("render")
    # Lazily: the encoder reads the remix a block at a time, so an hour of it is never whole.
    audio = render_mix(work.plan, work.analysis, work.audios, lazy=True)
    seed, duration = work.plan.seed, work.plan.duration
    del work, audios
    release_free_memory()
    stage("encode")
    data = encode_audio(audio, format=format, mp3_kbps=mp3_kbps)
    return RemixResult(
        data=data,
        media_type=MEDIA_TYPES[format],
        format=format,
        plan=plan,
        seed=seed,
        duration=duration,
    )


def plan_remix(
    sources: Sequence[SourceFile],
    *,
    duration: float | None = None,
    seed: int | None = None,
    jumpiness: float = 0.5,
    keep_order: bool = False,
    max_input_seconds: float | None = None,
    on_stage: StageCallback | None = None,
) -> dict[str, Any]:
    """Analyze the sources and plan the remix without rendering audio.

    Takes the same options as :func:`remix` (but ``format``) and returns the plan it would render:
    the same sources, options and seed give the same plan as ``remix(...).plan``.
    """
    stage = on_stage or _ignore
    _check_options(sources, duration, seed, jumpiness, "wav")
    names, audios = _decode(sources, max_input_seconds, stage)
    return _analyze_and_walk(audios, names, duration, seed, jumpiness, keep_order, stage).plan_dict()


@dataclass(frozen=True)
class _Work:
    audios: tuple[Audio, ...]
    analysis: Analysis
    graph: JumpGraph
    plan: Plan

    def plan_dict(self) -> dict[str, Any]:
        from musicremixer.plan_json import plan_to_dict

        return plan_to_dict(self.plan, self.analysis, self.graph, self.audios)


def _decode(sources, max_input_seconds, stage) -> tuple[list[str], tuple[Audio, ...]]:
    from musicremixer.decode import decode_audio
    from musicremixer.render import conform_samples

    stage("decode")
    audios: list[Audio] = []
    for s in sources:
        # All inputs together are bounded in samples (decode.MAX_KEPT_SAMPLES): memory is.
        before = sum(audio.y.size for audio in audios)
        audio = decode_audio(s.data, name=s.name, max_seconds=max_input_seconds, samples_before=before)
        if audios and (audio.sr, audio.channels) != (audios[0].sr, audios[0].channels):
            # The render plays every track at the first one's rate and channels. Converting now,
            # while only this track is in memory twice, spares the render a copy of it beside the
            # output (110 MB for five minutes of stereo at 48 kHz).
            audio = Audio(
                y=conform_samples(audio, sr=audios[0].sr, channels=audios[0].channels), sr=audios[0].sr
            )
        audios.append(audio)
    return [s.name for s in sources], tuple(audios)


def _analyze_and_walk(audios, names, duration, seed, jumpiness, keep_order, stage) -> _Work:
    stage("analyze")
    import_engine()
    from threadpoolctl import threadpool_limits

    from musicremixer.analyze import analyze_tracks
    from musicremixer.graph import build_jump_graph
    from musicremixer.mix import plan_mix

    # The analysis multiplies many small matrices: BLAS threads would spin more than they help
    # (three times the CPU on two cores), and one thread also fixes the order of every sum.
    with threadpool_limits(limits=1, user_api="blas"):
        analysis = analyze_tracks(audios, names=names)
        stage("graph")
        graph = build_jump_graph(analysis)
    stage("walk")
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little") >> 1
    plan = plan_mix(graph, analysis, duration=duration, seed=seed, jumpiness=jumpiness, keep_order=keep_order)
    return _Work(audios=audios, analysis=analysis, graph=graph, plan=plan)


def _check_options(sources, duration, seed, jumpiness, format) -> None:
    if not sources:
        raise ParameterError("No input given: pass at least one audio file or URL.")
    if duration is not None and not (MIN_DURATION <= duration <= MAX_DURATION):
        raise ParameterError(
            f"duration={duration!r} is out of range: ask for {MIN_DURATION:g} to {MAX_DURATION:g} seconds."
        )
    if seed is not None and not (0 <= seed < 2**63):
        raise ParameterError(f"seed={seed!r} is out of range: use a whole number from 0 to 2**63 - 1.")
    if not (0.0 <= jumpiness <= 1.0):
        raise ParameterError(f"jumpiness={jumpiness!r} is out of range: use a number from 0 to 1.")
    if format not in FORMATS:
        raise ParameterError(f"format={format!r} is not supported: use one of {', '.join(FORMATS)}.")


def import_engine() -> None:
    """Import every module a remix needs: once per process, one thread at a time.

    A fresh process spends a second or two here, scikit-learn's import (``scipy.stats``) above all.
    :func:`remix` and :func:`plan_remix` call this when their analysis starts; after the first call
    it returns at once. Concurrent first calls take turns: two threads importing scipy at once can
    each find the other's half-initialized modules and fail.
    """
    if all(name in sys.modules for name in _ENGINE_MODULES):
        return
    with _IMPORT_LOCK:
        for name in _ENGINE_MODULES:
            importlib.import_module(name)


_IMPORT_LOCK = threading.Lock()
_ENGINE_MODULES = (
    "sklearn.cluster",
    "sklearn.metrics",
    "threadpoolctl",
    "lameenc",
    "musicremixer.decode",
    "musicremixer.analyze",
    "musicremixer.graph",
    "musicremixer.walk",
    "musicremixer.mix",
    "musicremixer.render",
    "musicremixer.mixdown",
    "musicremixer.encode",
    "musicremixer.plan_json",
)


def _ignore(stage: str) -> None:
    pass
