"""The library's exception family.

Every error the pipeline raises for bad input or bad options is a :class:`MusicRemixerError`
whose message names the bad value and what to do about it, and whose ``code`` is a stable,
machine-readable string. Callers (the CLI, the HTTP function) map these to their own world in one
place; nothing else escapes the pipeline for bad input.
"""

from __future__ import annotations


class MusicRemixerError(Exception):
    """Base class of every error the library raises on purpose."""

    code: str = "remix_error"


class ParameterError(MusicRemixerError, ValueError):
    """An option is out of range or of the wrong kind (duration, seed, jumpiness, format)."""

    code = "invalid_parameter"


class DecodeError(MusicRemixerError):
    """The bytes are empty, truncated, or not in a format soundfile can read."""

    code = "undecodable_audio"


class InputTooLongError(MusicRemixerError):
    """The decoded audio is longer than the limit in force."""

    code = "input_too_long"


class TooManySamplesError(MusicRemixerError):
    """The audio has more samples (seconds x rate x channels) than a remix may decode or keep.

    Memory and decoding time grow with samples, not with seconds or bytes: ten minutes of eight
    channels at 192 kHz fill 3.7 GB as float32, from a FLAC of a megabyte when it is near-silent.
    """

    code = "too_many_samples"


class NotRemixableError(MusicRemixerError):
    """The audio decodes but has too little to remix: silence, noise, too short, no steady beat."""

    code = "not_remixable"
