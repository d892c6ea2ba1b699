"""encode_audio: every format reads back right, limits are met, and the bytes are deterministic."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicremixer.decode import decode_audio
from musicremixer.encode import MEDIA_TYPES, encode_audio
from musicremixer.errors import ParameterError
from musicremixer.pipeline import FORMATS
from musicremixer.types import Audio
from tests.synth import synthetic_song

ROOT = Path(__file__).resolve().parents[2]


def _audio(sr: int, channels: int) -> Audio:
    """Half a second of drums and chords."""
    song = synthetic_song(bpm=480, bars=1, sr=sr, channels=channels, seed=channels)
    return Audio(y=song.y, sr=song.sr)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def _tones(sr: int, seconds: float, freqs: list[float], level: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return np.stack([level * np.sin(2 * np.pi * f * t) for f in freqs]).astype(np.float32)


def _dominant_hz(x: np.ndarray, sr: int) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x))) * sr / x.size)


def test_media_types_cover_the_pipeline_formats():
    assert set(MEDIA_TYPES) == set(FORMATS)
    assert MEDIA_TYPES["mp3"] == "audio/mpeg"


# --- round trips -----------------------------------------------------------------------------------

# (format, sr written, sr expected back): MP3 takes 8-48 kHz only.
RATES = [
    *[("wav", sr, sr) for sr in (8000, 22050, 44100, 48000, 96000, 192000)],
    *[("flac", sr, sr) for sr in (8000, 22050, 44100, 48000, 96000, 192000)],
    *[("ogg", sr, sr) for sr in (8000, 22050, 44100, 48000, 96000, 192000)],
    *[("mp3", sr, sr) for sr in (8000, 22050, 44100, 48000)],
    ("mp3", 96000, 48000),
    ("mp3", 192000, 48000),
]


# Every format decodes to exactly the samples encoded: the MP3's LAME info tag tells the decoder to
# drop the encoder's delay (576 + 529 samples) and the last frame's padding.


def assert_length(decoded: int, expected: int, format: str) -> None:
    assert decoded == expected, format


@pytest.mark.parametrize(("format", "sr", "sr_out"), RATES)
def test_rates_round_trip(format, sr, sr_out):
    audio = _audio(sr, 2)
    data = encode_audio(audio, format=format)
    info = sf.info(io.BytesIO(data))
    assert info.format == {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "mp3": "MP3"}[format]
    back = decode_audio(data, name="out", max_sr=None, max_channels=None)
    assert back.sr == sr_out
    assert back.channels == 2
    assert_length(back.y.shape[1], round(audio.y.shape[1] * sr_out / sr), format)
    if format in ("wav", "flac"):
        assert np.abs(back.y - audio.y).max() <= 2.0**-15
    elif sr_out == sr:
        assert _corr(back.y, audio.y) > 0.9
    else:
        # Resampled: compare at the lower rate through the spectrum's strongest bin.
        assert _dominant_hz(back.y[0], sr_out) == pytest.approx(_dominant_hz(audio.y[0], sr), abs=2.0)


@pytest.mark.parametrize("format", ["wav", "flac", "ogg", "mp3"])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_channels_round_trip(format, channels):
    audio = _audio(44100, channels)
    back = decode_audio(encode_audio(audio, format=format), name="out", max_sr=None, max_channels=None)
    expected = 2 if (format == "mp3" and channels > 2) else channels
    assert back.channels == expected
    assert_length(back.y.shape[1], audio.y.shape[1], format)
    if expected == channels:
        assert _corr(back.y, audio.y) > 0.9


def test_ogg_multichannel_is_written_in_vorbis_order():
    # Audio holds WAV order (L R C LFE Ls Rs); a Vorbis player expects L C R Ls Rs LFE.
    wav_order_hz = [300.0, 500.0, 700.0, 60.0, 900.0, 1100.0]
    audio = Audio(y=_tones(48000, 1.0, wav_order_hz), sr=48000)
    data = encode_audio(audio, format="ogg")
    raw, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    assert [round(_dominant_hz(raw[:, k], 48000)) for k in range(6)] == [300, 700, 500, 900, 1100, 60]
    # and decode_audio puts it back
    back = decode_audio(data, name="out", max_sr=None, max_channels=None)
    assert [round(_dominant_hz(ch, 48000)) for ch in back.y] == [300, 500, 700, 60, 900, 1100]


# --- limits ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sr", "expected"),
    [(7000, 8000), (11025, 11025), (37000, 32000), (40000, 44100), (88200, 48000), (96000, 48000)],
)
def test_mp3_rate_goes_to_the_nearest_allowed(sr, expected):
    audio = Audio(y=_tones(sr, 0.5, [440.0]), sr=sr)
    back = decode_audio(encode_audio(audio, format="mp3"), name="out", max_sr=None, max_channels=None)
    assert back.sr == expected
    assert _dominant_hz(back.y[0], expected) == pytest.approx(440.0, abs=3.0)


def test_ogg_above_200_khz_is_resampled_not_crashed():
    # libvorbis segfaults above 200 kHz: this test would kill the interpreter, not fail.
    audio = Audio(y=_tones(250_000, 0.2, [1000.0, 2000.0]), sr=250_000)
    back = decode_audio(encode_audio(audio, format="ogg"), name="out", max_sr=None, max_channels=None)
    assert back.sr == 192_000
    assert [round(_dominant_hz(ch, 192_000) / 10) * 10 for ch in back.y] == [1000, 2000]


def test_flac_above_its_ceiling_is_resampled():
    audio = Audio(y=_tones(700_000, 0.05, [1000.0]), sr=700_000)
    back = decode_audio(encode_audio(audio, format="flac"), name="out", max_sr=None, max_channels=None)
    assert back.sr == 384_000


def test_flac_more_than_8_channels_is_mixed_to_stereo():
    audio = Audio(y=_tones(22050, 0.5, [200.0 * (k + 1) for k in range(10)], level=0.2), sr=22050)
    back = decode_audio(encode_audio(audio, format="flac"), name="out", max_sr=None, max_channels=None)
    assert back.channels == 2


def test_downmix_5_1_keeps_the_centre_in_both_and_drops_the_lfe():
    y = np.zeros((6, 22050), dtype=np.float32)
    y[2] = _tones(22050, 1.0, [440.0])[0]  # centre
    y[3] = _tones(22050, 1.0, [50.0])[0]  # LFE
    back = decode_audio(
        encode_audio(Audio(y=y, sr=22050), format="mp3"), name="out", max_sr=None, max_channels=None
    )
    assert back.channels == 2
    assert _corr(back.y[0], back.y[1]) > 0.99  # centre: the same in both
    for ch in back.y:
        assert _dominant_hz(ch, 22050) == pytest.approx(440.0, abs=2.0)
        assert 0.25 < np.abs(ch).max() < 0.45  # 0.5 at -3 dB


def test_downmix_never_clips():
    y = np.full((6, 22050), 0.9, dtype=np.float32) * _tones(22050, 1.0, [220.0], level=1.0)
    back = decode_audio(
        encode_audio(Audio(y=y, sr=22050), format="mp3"), name="out", max_sr=None, max_channels=None
    )
    assert np.abs(back.y).max() <= 1.0
    assert np.abs(back.y).max() > 0.8  # scaled to fit, not crushed


# --- sample hygiene --------------------------------------------------------------------------------


def test_clips_and_cleans_without_touching_the_input():
    y = np.array([[0.0, 0.5, 1.5, -3.0, np.nan, -0.25]], dtype=np.float32)
    before = y.copy()
    back = decode_audio(
        encode_audio(Audio(y=y, sr=8000), format="wav"), name="out", max_sr=None, max_channels=None
    )
    np.testing.assert_allclose(back.y[0], [0.0, 0.5, 1.0, -1.0, 0.0, -0.25], atol=1 / 32768)
    np.testing.assert_array_equal(y, before)


def test_nan_does_not_spread_through_the_resampler():
    audio = Audio(y=_tones(96000, 0.5, [440.0, 660.0]), sr=96000)
    y = audio.y.copy()
    y[:, 20000] = np.nan
    clean = decode_audio(encode_audio(audio, format="mp3"), name="out", max_sr=None, max_channels=None)
    dirty = decode_audio(
        encode_audio(Audio(y=y, sr=96000), format="mp3"), name="out", max_sr=None, max_channels=None
    )
    assert dirty.sr == 48000
    # One zeroed sample among 48,000 leaves the waveform as it was, not a hole.
    assert _corr(dirty.y, clean.y) > 0.999


def test_float64_input_is_fine():
    audio = _audio(22050, 2)
    as_float64 = Audio(y=audio.y.astype(np.float64), sr=audio.sr)
    assert encode_audio(as_float64, format="flac") == encode_audio(audio, format="flac")


# --- determinism -----------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["wav", "flac", "ogg", "mp3"])
def test_same_audio_same_bytes(format):
    audio = _audio(44100, 2)
    assert encode_audio(audio, format=format) == encode_audio(audio, format=format)


def test_same_bytes_in_another_process():
    """libsndfile seeds the OGG serial number from the clock once per process: compare two."""
    script = textwrap.dedent(
        """
        import hashlib
        from musicremixer.encode import encode_audio
        from musicremixer.types import Audio
        from tests.synth import synthetic_song
        song = synthetic_song(bpm=240, bars=1, sr=44100, channels=2, seed=2)
        for fmt in ("wav", "flac", "ogg", "mp3"):
            print(fmt, hashlib.sha256(encode_audio(Audio(y=song.y, sr=song.sr), format=fmt)).hexdigest())
        """
    )
    env = {"PYTHONPATH": f"{ROOT / 'lib'}:{ROOT}", "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len(runs[0].splitlines()) == 4


def _ogg_pages(data: bytes) -> list[bytes]:
    pages, pos = [], 0
    while pos < len(data):
        assert data[pos : pos + 4] == b"OggS"
        n_segments = data[pos + 26]
        end = pos + 27 + n_segments + sum(data[pos + 27 : pos + 27 + n_segments])
        pages.append(data[pos:end])
        pos = end
    return pages


def _ogg_crc_reference(page: bytes) -> int:
    """Ogg's CRC-32 the slow, obvious way (polynomial 0x04C11DB7, MSB first, no reflection)."""
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def test_ogg_serial_is_rewritten_with_valid_checksums():
    audio = Audio(y=_tones(8000, 0.5, [440.0]), sr=8000)
    data = encode_audio(audio, format="ogg")
    pages = _ogg_pages(data)
    assert len(pages) >= 3
    serials = {page[14:18] for page in pages}
    assert len(serials) == 1
    for page in pages:
        zeroed = page[:22] + b"\0\0\0\0" + page[26:]
        assert int.from_bytes(page[22:26], "little") == _ogg_crc_reference(zeroed)
    assert pages[-1][5] & 0x04  # end of stream
    other = encode_audio(Audio(y=_tones(8000, 0.5, [550.0]), sr=8000), format="ogg")
    assert _ogg_pages(other)[0][14:18] != pages[0][14:18]  # different audio, different serial


# --- bad arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["aac", "WAV", "", "mp4"])
def test_unknown_format(format):
    with pytest.raises(ParameterError) as info:
        encode_audio(_audio(8000, 1), format=format)
    assert info.value.code == "invalid_parameter"
    assert repr(format) in str(info.value) and "wav, flac, ogg, mp3" in str(info.value)


@pytest.mark.parametrize(
    "y",
    [
        np.zeros(100, dtype=np.float32),
        np.zeros((2, 0), dtype=np.float32),
        np.zeros((0, 10), dtype=np.float32),
    ],
)
def test_bad_shapes(y):
    with pytest.raises(ParameterError, match="channels, n"):
        encode_audio(Audio(y=y, sr=8000), format="wav")


@pytest.mark.parametrize("sr", [0, -44100, 44100.5])
def test_bad_rate(sr):
    with pytest.raises(ParameterError, match="sample rate"):
        encode_audio(Audio(y=np.zeros((1, 10), dtype=np.float32), sr=sr), format="wav")


# --- MP3: gapless ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sr", "channels"), [(44100, 2), (48000, 1), (32000, 2), (22050, 1), (8000, 2)])
def test_mp3_decodes_to_exactly_the_samples_encoded(sr, channels):
    # Clicks 1000 samples from each end: they come back at the same sample, and nothing is added.
    n = 3 * sr + 123
    y = np.zeros((channels, n), dtype=np.float32)
    y[:, 1000] = y[:, n - 1000] = 0.8
    back = decode_audio(encode_audio(Audio(y=y, sr=sr), format="mp3"), name="out")
    assert back.y.shape == (channels, n)
    assert int(np.argmax(np.abs(back.y[0, : n // 2]))) == 1000
    assert int(np.argmax(np.abs(back.y[0, n // 2 :]))) + n // 2 == n - 1000


def test_mp3_starts_with_a_valid_lame_info_tag():
    from musicremixer.encode import _crc16, _mp3_frame

    audio = _audio(44100, 2)
    n = audio.y.shape[1]
    data = encode_audio(audio, format="mp3")
    tag = _mp3_frame(data, 0)
    assert data[36:40] == b"Info"  # after the header and MPEG-1 stereo side info
    frames = int.from_bytes(data[44:48], "big")
    assert int.from_bytes(data[48:52], "big") == len(data)
    lame = 36 + 120
    assert data[lame : lame + 9] == b"LAME3.100"
    delays = int.from_bytes(data[lame + 21 : lame + 24], "big")
    delay, padding = delays >> 12, delays & 0xFFF
    assert delay == 576 and delay + n + padding == frames * 1152 and 0 <= padding < 2 * 1152
    # frames counts the audio frames after the tag, which all parse
    pos, count = tag["length"], 0
    while (frame := _mp3_frame(data, pos)) is not None:
        pos, count = pos + frame["length"], count + 1
    assert (pos, count) == (len(data), frames)
    assert int.from_bytes(data[lame + 34 : lame + 36], "big") == _crc16(data[: lame + 34])


# --- MP3: lower bitrates ----------------------------------------------------------------------------


@pytest.mark.parametrize("kbps", [128, 112, 96, 80, 64])
@pytest.mark.parametrize(("sr", "channels"), [(44100, 2), (48000, 1), (22050, 2)])
def test_every_mp3_bitrate_keeps_the_rate_and_decodes_to_exactly_the_samples(kbps, sr, channels):
    from musicremixer.encode import _mp3_frame, encoded_size, mp3_stream_kbps

    n = 2 * sr + 321
    y = np.zeros((channels, n), dtype=np.float32)
    y[:, 1000] = y[:, n - 1000] = 0.8
    data = encode_audio(Audio(y=y, sr=sr), format="mp3", mp3_kbps=kbps)
    assert data == encode_audio(Audio(y=y, sr=sr), format="mp3", mp3_kbps=kbps)
    back = decode_audio(data, name="out", max_sr=None)
    # LAME alone would drop to 32 kHz at 96 kb/s and 24 kHz at 64: the remix keeps its rate.
    assert back.sr == sr and back.y.shape == (channels, n)
    assert int(np.argmax(np.abs(back.y[0, : n // 2]))) == 1000
    tag = _mp3_frame(data, 0)
    audio_frame = _mp3_frame(data, tag["length"])
    assert (
        audio_frame["kbps"] == mp3_stream_kbps(sr, channels, kbps) == (kbps if channels == 2 else kbps // 2)
    )
    # The size estimate that chooses the bitrate is never under the real size, and close to it
    # (two frames, and the 300 bytes it allows for the info tag's frame).
    estimate = encoded_size(n / sr, sr=sr, channels=channels, format="mp3", mp3_kbps=kbps)
    assert 0 <= estimate - len(data) <= 2 * audio_frame["length"] + 300


def test_the_info_tag_fits_even_where_a_frame_is_smaller_than_it():
    from musicremixer.encode import _mp3_frame

    # 48 kb/s of mono at 44.1 kHz: 156-byte frames, and the tag with its side info needs 179. The
    # tag's frame takes the next bitrate up, and the decoder still drops delay and padding.
    y = _tones(44100, 1.0, [440.0])
    data = encode_audio(Audio(y=y[:1], sr=44100), format="mp3", mp3_kbps=96)
    tag = _mp3_frame(data, 0)
    assert tag["kbps"] > 48 == _mp3_frame(data, tag["length"])["kbps"]
    assert data[4 + 17 : 4 + 17 + 4] == b"Info"
    assert sf.info(io.BytesIO(data)).frames == 44100


def test_an_mp3_bitrate_not_on_the_list_is_refused():
    from musicremixer.encode import encoded_size

    for kbps in (100, 0, 320, True, "128"):
        with pytest.raises(ParameterError, match="mp3_kbps"):
            encode_audio(_audio(44100, 2), format="mp3", mp3_kbps=kbps)
        with pytest.raises(ParameterError, match="mp3_kbps"):
            encoded_size(10.0, sr=44100, channels=2, format="mp3", mp3_kbps=kbps)


def test_a_long_mp3_at_the_lowest_bitrate_is_two_halves_joined_cleanly(forty_seconds):
    from musicremixer.encode import _encode_mp3_halves, _pcm16_blocks, _write_mp3

    y = forty_seconds.y
    assert _encode_mp3_halves(y, 44100, 64) is not None  # a clean join was found at 64 kb/s too
    halves = encode_audio(forty_seconds, format="mp3", mp3_kbps=64)
    one = _write_mp3(_pcm16_blocks(y), 44100, 2, 64)
    x = decode_audio(_pcm16_wav(y), name="in").y
    a, b = decode_audio(halves, name="out").y, decode_audio(one, name="out").y
    assert a.shape == b.shape == y.shape
    assert _snr_db(x, a) == pytest.approx(_snr_db(x, b), abs=0.3)


# --- MP3: two halves at once --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forty_seconds() -> Audio:
    song = synthetic_song(bpm=118, bars=19, sr=44100, channels=2, seed=5)  # 38.9 s
    return Audio(y=song.y, sr=song.sr)


def _snr_db(x: np.ndarray, y: np.ndarray) -> float:
    return float(10 * np.log10((x**2).sum() / max(((y - x) ** 2).sum(), 1e-20)))


def test_a_long_mp3_is_encoded_in_two_halves_joined_cleanly(forty_seconds):
    from musicremixer.encode import _pcm16_blocks, _write_mp3

    y = forty_seconds.y
    n = y.shape[1]
    halves = encode_audio(forty_seconds, format="mp3")
    assert halves == encode_audio(forty_seconds, format="mp3")  # the same samples, the same bytes
    one = _write_mp3(_pcm16_blocks(y), 44100, 2)  # one stream, as before
    assert halves != one  # the second half is the second encoder's
    x = decode_audio(_pcm16_wav(y), name="in").y
    a = decode_audio(halves, name="out").y
    b = decode_audio(one, name="out").y
    assert a.shape == b.shape == y.shape  # gapless either way
    differs = np.flatnonzero(np.any(a != b, axis=0))
    join = int(differs[0])
    assert abs(join - n / 2) < 8 * 1152  # identical up to the join, near the middle

    def gap(start: int) -> float:  # how much worse the halves are than one stream, in one window
        window = slice(start, start + 1024)
        return _snr_db(x[:, window], b[:, window]) - _snr_db(x[:, window], a[:, window])

    # After the join the second encoder quantizes a little differently from one stream (its bit
    # reservoir differs): windows come out up to a dB or two better or worse. The join itself must
    # be no worse than that: a click or an aliasing burst would be tens of dB.
    ordinary = max(gap(start) for start in range(join + 16_384, n - 1024, 1024))
    at_join = max(gap(start) for start in range(join - 4096, join + 8192, 1024))
    assert at_join <= ordinary + 0.5, (at_join, ordinary)
    assert _snr_db(x, a) == pytest.approx(_snr_db(x, b), abs=0.3)


def test_a_join_is_found_past_a_drum_hit_s_short_blocks():
    # At 96 BPM this song's middle falls on a drum hit: LAME's short blocks there left none of the
    # six frames the join window once had, and the MP3 was encoded twice (halves, then one stream).
    from musicremixer.encode import _encode_mp3_halves, _pcm16_blocks, _write_mp3

    song = synthetic_song(bpm=96, bars=14, sr=44100, channels=2, seed=1)  # 35 s
    y = song.y
    assert _encode_mp3_halves(y, 44100) is not None
    halves = encode_audio(Audio(y=y, sr=44100), format="mp3")
    one = _write_mp3(_pcm16_blocks(y), 44100, 2)
    x = decode_audio(_pcm16_wav(y), name="in").y
    a, b = decode_audio(halves, name="out").y, decode_audio(one, name="out").y
    assert halves != one and a.shape == b.shape == y.shape
    assert _snr_db(x, a) == pytest.approx(_snr_db(x, b), abs=0.3)


def test_a_short_mp3_is_one_stream():
    from musicremixer.encode import _pcm16_blocks, _write_mp3

    audio = _audio(44100, 2)
    assert encode_audio(audio, format="mp3") == _write_mp3(_pcm16_blocks(audio.y), 44100, 2)


def _pcm16_wav(y: np.ndarray) -> bytes:
    return encode_audio(Audio(y=y, sr=44100), format="wav")


def test_a_long_ogg_is_encoded_in_two_halves_joined_cleanly(forty_seconds):
    from musicremixer.encode import _clipped_blocks, _encode_ogg_halves, _fix_ogg_serial, _write

    y = forty_seconds.y
    n = y.shape[1]
    assert _encode_ogg_halves(y, 44100) is not None  # a join was found: the halves are what is sent
    halves = encode_audio(forty_seconds, format="ogg")
    assert halves == encode_audio(forty_seconds, format="ogg")
    one = _fix_ogg_serial(_write(_clipped_blocks(y), 44100, 2, "ogg"))
    x = decode_audio(_pcm16_wav(y), name="in").y
    a = decode_audio(halves, name="out").y
    b = decode_audio(one, name="out").y
    assert a.shape == b.shape == y.shape

    def gap(start: int) -> float:
        window = slice(start, start + 1024)
        return _snr_db(x[:, window], b[:, window]) - _snr_db(x[:, window], a[:, window])

    middle = n // 2
    ordinary = max([0.0] + [gap(start) for start in range(middle + 16_384, n - 1024, 1024)])
    at_join = max(gap(start) for start in range(middle - 40_000, middle + 40_000, 1024))
    assert at_join <= ordinary + 0.5, (at_join, ordinary)
    assert _snr_db(x, a) == pytest.approx(_snr_db(x, b), abs=0.3)


def test_a_short_ogg_is_one_stream():
    from musicremixer.encode import _clipped_blocks, _fix_ogg_serial, _write

    audio = _audio(44100, 2)
    assert encode_audio(audio, format="ogg") == _fix_ogg_serial(
        _write(_clipped_blocks(audio.y), 44100, 2, "ogg")
    )


def test_listening_copy_fits_keeps_the_shape_and_is_deterministic():
    import io

    import soundfile as sf

    from musicremixer.encode import encode_copy
    from tests.synth import synthetic_song

    song = synthetic_song(bpm=120, meter=4, bars=20, sr=44100, channels=2)  # 40 s
    audio = Audio(y=song.y, sr=song.sr)
    roomy = encode_copy(audio, max_bytes=5_000_000)
    tight = encode_copy(audio, max_bytes=350_000)
    assert len(tight) <= 350_000 < len(roomy) <= 5_000_000
    assert encode_copy(audio, max_bytes=350_000) == tight
    for data in (roomy, tight):
        info = sf.info(io.BytesIO(data))
        assert (info.format, info.subtype, info.samplerate, info.channels) == ("OGG", "VORBIS", 44100, 2)
        assert info.frames == song.y.shape[1]
    with pytest.raises(ParameterError, match="songs up to about"):
        encode_copy(audio, max_bytes=100_000)
