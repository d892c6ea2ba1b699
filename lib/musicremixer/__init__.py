"""MusicRemixer: re-sequence a song beat by beat into a new arrangement that keeps the groove.

The pipeline is a chain of small stages, each one module with one public function::

    decode_audio ─▶ analyze_tracks ─▶ build_jump_graph ─▶ plan_walk ─▶ render_plan ─▶ encode_audio

:func:`remix` runs them all; :func:`plan_remix` stops before rendering.
"""

from musicremixer.errors import (
    DecodeError,
    InputTooLongError,
    MusicRemixerError,
    NotRemixableError,
    ParameterError,
    TooManySamplesError,
)
from musicremixer.pipeline import (
    FORMATS,
    MAX_DURATION,
    MIN_DURATION,
    RemixResult,
    import_engine,
    plan_remix,
    remix,
)
from musicremixer.types import SourceFile

__version__ = "0.1.0"

__all__ = [
    "FORMATS",
    "MAX_DURATION",
    "MIN_DURATION",
    "DecodeError",
    "InputTooLongError",
    "MusicRemixerError",
    "NotRemixableError",
    "ParameterError",
    "RemixResult",
    "SourceFile",
    "TooManySamplesError",
    "__version__",
    "import_engine",
    "plan_remix",
    "remix",
]
