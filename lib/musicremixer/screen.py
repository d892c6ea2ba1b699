"""The refusals of an input that need no analysis: unreadable, too long, too short, silent.

:func:`screen_sources` decodes each source and refuses what :func:`musicremixer.remix` would
refuse before its analysis gets going, with the same messages. A caller about to turn a request
down for another reason (the HTTP function, when the remix could not fit its response) runs it
first, so that a silent or a six-hour file is told what is wrong with it, not to ask for MP3.
It only decodes: it costs a fraction of a remix, and it holds one decoded track at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from musicremixer.analyze import MIN_SECONDS, SILENCE_RMS
from musicremixer.decode import decode_audio
from musicremixer.errors import NotRemixableError
from musicremixer.types import Audio, SourceFile


def screen_sources(sources: Sequence[SourceFile], *, max_input_seconds: float | None = None) -> None:
    """Refuse the first source that :func:`musicremixer.remix` would refuse without analyzing it.

    Parameters
    ----------
    sources : sequence of SourceFile
        The inputs, in order.
    max_input_seconds : float > 0 or None
        Refuse any source longer than this (checked from the header where the format records it).

    Raises
    ------
    DecodeError
        A source is empty, cut off, damaged or not audio.
    InputTooLongError
        A source is longer than ``max_input_seconds``.
    NotRemixableError
        A source is shorter than the analysis needs, or silent.
    """
    for source in sources:
        audio = decode_audio(source.data, name=source.name, max_seconds=max_input_seconds)
        screen_audio(audio, name=source.name)


def screen_audio(audio: Audio, *, name: str) -> None:
    """Refuse decoded audio too short to remix, or silent (see :func:`screen_sources`).

    Silence is judged by the peak: under ``SILENCE_RMS`` no analysis frame can reach that RMS, so
    the analysis would call the track silent too. (Quiet noise above it is left to the analysis.)
    """
    if audio.duration < MIN_SECONDS:
        raise NotRemixableError(
            f"{name} is only {audio.duration:.1f} s long; a remix needs at least {MIN_SECONDS:g} s "
            "with a steady beat. Send a longer excerpt of the song."
        )
    if audio.y.size == 0 or float(np.max(np.abs(audio.y))) < SILENCE_RMS:
        raise NotRemixableError(f"{name} is silent; send a song with audible music.")
