"""The cheap refusals: each gives the very message the whole remix gives for the same input."""

from __future__ import annotations

import numpy as np
import pytest

from musicremixer import DecodeError, InputTooLongError, MusicRemixerError, NotRemixableError, plan_remix
from musicremixer.screen import screen_sources
from musicremixer.types import SourceFile
from tests.synth import silence, synthetic_song, wav_bytes


def refusal(call) -> MusicRemixerError:
    with pytest.raises(MusicRemixerError) as info:
        call()
    return info.value


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("quiet.wav", wav_bytes(silence(20), 22050), NotRemixableError),
        # Dither far under -80 dBFS is still silence to the analysis.
        (
            "hush.wav",
            wav_bytes(
                (np.random.default_rng(1).standard_normal(22050 * 20) * 1e-5).astype(np.float32),
                22050,
                subtype="FLOAT",
            ),
            NotRemixableError,
        ),
        (
            "clip.wav",
            synthetic_song(bpm=120, meter=4, bars=2, sr=22050, channels=1).to_bytes("wav"),
            NotRemixableError,
        ),
        ("junk.wav", b"RIFF" + b"x" * 100, DecodeError),
        ("empty.wav", b"", DecodeError),
    ],
)
def test_screening_refuses_as_the_remix_does(name: str, data: bytes, kind: type) -> None:
    sources = [SourceFile(name, data)]
    screened = refusal(lambda: screen_sources(sources))
    remixed = refusal(lambda: plan_remix(sources, seed=1))
    assert type(screened) is kind is type(remixed)
    assert str(screened) == str(remixed)


def test_a_long_input_is_refused_from_its_header(short_song_wav: bytes) -> None:
    sources = [SourceFile("long.wav", short_song_wav)]
    screened = refusal(lambda: screen_sources(sources, max_input_seconds=5))
    assert isinstance(screened, InputTooLongError)
    assert str(screened) == str(refusal(lambda: plan_remix(sources, max_input_seconds=5)))


def test_good_inputs_pass_and_the_first_bad_one_is_named(short_song_wav: bytes) -> None:
    good = SourceFile("song.wav", short_song_wav)
    screen_sources([good, good], max_input_seconds=60)  # no exception
    error = refusal(lambda: screen_sources([good, SourceFile("quiet.wav", wav_bytes(silence(10), 22050))]))
    assert "quiet.wav is silent" in str(error)


@pytest.fixture(scope="module")
def short_song_wav() -> bytes:
    return synthetic_song(bpm=120, meter=4, bars=6, sr=22050, channels=1).to_bytes("wav")
