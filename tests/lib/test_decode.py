"""decode_audio: every format we promise reads back right, and every bad input gets our error."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile as sf

from musicremixer.decode import decode_audio
from musicremixer.errors import (
    DecodeError,
    InputTooLongError,
    MusicRemixerError,
    ParameterError,
    TooManySamplesError,
)
from tests.synth import click_track, noise, silence, synthetic_song, wav_bytes

NAME = "my song (final).wav"
# The file's own rate and channels, unfolded: what the round trips below compare with.
NATIVE = {"max_sr": None, "max_channels": None}


def _song(sr: int, channels: int, bars: int = 1):
    """Bars of 4/4 at 480 BPM: 0.5 s each (short: the high-rate cases are many samples)."""
    return synthetic_song(bpm=480, bars=bars, sr=sr, channels=channels, seed=sr + channels)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def _tones(sr: int, seconds: float, freqs: list[float]) -> np.ndarray:
    """One sine per channel, so a test can tell the channels apart."""
    t = np.arange(round(seconds * sr)) / sr
    return np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in freqs]).astype(np.float32)


def _dominant_hz(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.argmax(spectrum) * sr / x.size)


def _expect(exc_type: type[MusicRemixerError], data: bytes, *words: str, **kwargs) -> MusicRemixerError:
    """Decode ``data`` as NAME, assert the error class, its code and that the message names the file."""
    with pytest.raises(exc_type) as info:
        decode_audio(data, name=NAME, **kwargs)
    error = info.value
    assert type(error) is exc_type
    assert error.code == exc_type.code
    message = str(error)
    assert NAME in message
    for word in words:
        assert word in message, message
    return error


# --- round trips -----------------------------------------------------------------------------------

# (subtype, worst error in full-scale units): integer PCM loses at most half a step (libsndfile
# scales by 2**(bits-1) both ways); floats are exact at float32.
WAV_SUBTYPES = [
    ("PCM_U8", 1 / 128),
    ("PCM_16", 1 / 32768),
    ("PCM_24", 1 / 2**23),
    ("PCM_32", 1 / 2**31),
    ("FLOAT", 0.0),
    ("DOUBLE", 0.0),
]


@pytest.mark.parametrize(("subtype", "step"), WAV_SUBTYPES)
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_wav_subtypes_round_trip(subtype, step, channels):
    song = _song(22050, channels)
    audio = decode_audio(song.to_bytes("wav", subtype), name=NAME, **NATIVE)
    assert audio.sr == 22050
    assert audio.y.shape == song.y.shape
    assert audio.y.dtype == np.float32
    assert np.abs(audio.y - song.y).max() <= step + 1e-7


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000, 96000, 192000])
@pytest.mark.parametrize(("format", "subtype"), [("wav", "PCM_16"), ("flac", "PCM_16"), ("flac", "PCM_24")])
def test_lossless_rates_round_trip(sr, format, subtype):
    song = _song(sr, 2)
    audio = decode_audio(song.to_bytes(format, subtype), name=NAME, **NATIVE)
    assert audio.sr == sr
    assert audio.y.shape == song.y.shape
    bits = 16 if subtype == "PCM_16" else 24
    assert np.abs(audio.y - song.y).max() <= 2.0 ** -(bits - 1)


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_flac_channels_round_trip(channels):
    song = _song(44100, channels)
    audio = decode_audio(song.to_bytes("flac"), name=NAME, **NATIVE)
    assert audio.y.shape == song.y.shape
    assert np.abs(audio.y - song.y).max() <= 2.0**-15


# Lossy formats: the length is exact (libsndfile trims the codec's delay and padding) and the
# waveform stays close; 0.9 correlation is far above what a wrong rate, channel or offset gives.
LOSSY = [
    ("ogg", "VORBIS", 8000, 1),
    ("ogg", "VORBIS", 22050, 2),
    ("ogg", "VORBIS", 44100, 2),
    ("ogg", "VORBIS", 48000, 6),
    ("ogg", "VORBIS", 96000, 2),
    ("ogg", "VORBIS", 192000, 1),
    ("ogg", "OPUS", 8000, 1),
    ("ogg", "OPUS", 16000, 2),
    ("ogg", "OPUS", 24000, 6),
    ("ogg", "OPUS", 48000, 2),
    ("mp3", "MPEG_LAYER_III", 8000, 1),
    ("mp3", "MPEG_LAYER_III", 22050, 2),
    ("mp3", "MPEG_LAYER_III", 44100, 1),
    ("mp3", "MPEG_LAYER_III", 44100, 2),
    ("mp3", "MPEG_LAYER_III", 48000, 2),
]


@pytest.mark.parametrize(("format", "subtype", "sr", "channels"), LOSSY)
def test_lossy_round_trip(format, subtype, sr, channels):
    song = _song(sr, channels)
    data = song.to_bytes(format, subtype)
    audio = decode_audio(data, name=NAME, **NATIVE)
    assert audio.sr == sr
    assert audio.y.shape == song.y.shape
    assert audio.y.dtype == np.float32
    assert np.abs(audio.y).max() <= 1.0
    if channels == 6:
        # OGG stores 5.1 in Vorbis order and decode puts it back in WAV order, so a file written
        # in WAV order by soundfile comes back permuted: compare the mono sums instead.
        assert _corr(audio.y.sum(axis=0), song.y.sum(axis=0)) > 0.9
    else:
        assert _corr(audio.y, song.y) > 0.9


def test_ogg_multichannel_comes_back_in_wav_order():
    # Written straight through soundfile, the channels are in Vorbis order: L C R Ls Rs LFE.
    vorbis_order_hz = [300.0, 500.0, 700.0, 900.0, 1100.0, 60.0]
    y = _tones(48000, 1.0, vorbis_order_hz)
    buffer = io.BytesIO()
    sf.write(buffer, y.T, 48000, format="OGG", subtype="VORBIS")
    audio = decode_audio(buffer.getvalue(), name=NAME, **NATIVE)
    found = [round(_dominant_hz(channel, 48000)) for channel in audio.y]
    assert found == [300, 700, 500, 60, 900, 1100]  # L R C LFE Ls Rs


def test_aiff_is_read_too():
    song = _song(22050, 2)
    buffer = io.BytesIO()
    sf.write(buffer, song.y.T, 22050, format="AIFF", subtype="PCM_16")
    audio = decode_audio(buffer.getvalue(), name=NAME)
    assert audio.y.shape == song.y.shape


def test_truncated_aiff():
    buffer = io.BytesIO()
    sf.write(buffer, _song(22050, 2, bars=4).y.T, 22050, format="AIFF", subtype="PCM_16")
    data = buffer.getvalue()
    _expect(DecodeError, data[: len(data) // 2], "cut off", "2.0 s")


def test_accepts_any_bytes_like(click_120):
    data = click_120.to_bytes("wav")
    for view in (bytearray(data), memoryview(data)):
        audio = decode_audio(view, name=NAME)
        assert audio.sr == 22050 and audio.y.shape == click_120.y.shape


def test_long_song_keeps_every_sample(song_4_4):
    # Longer than one read block (2**18 frames), so the blocks must join without a gap.
    audio = decode_audio(song_4_4.to_bytes("flac"), name=NAME)
    assert audio.y.shape == song_4_4.y.shape
    assert np.abs(audio.y - song_4_4.y).max() <= 2.0**-15


# --- NaN, inf and overs ------------------------------------------------------------------------------


def test_non_finite_samples_become_zero():
    y = _song(8000, 2).y.copy()
    y[0, 100], y[1, 200], y[0, 300] = np.nan, np.inf, -np.inf
    audio = decode_audio(wav_bytes(y, 8000, subtype="FLOAT"), name=NAME)
    assert np.isfinite(audio.y).all()
    assert audio.y[0, 100] == audio.y[1, 200] == audio.y[0, 300] == 0.0
    keep = np.isfinite(y)
    np.testing.assert_array_equal(audio.y[keep], y[keep])


def test_float_overs_are_scaled_not_clipped():
    y = 2.5 * _song(8000, 1).y / np.abs(_song(8000, 1).y).max()  # peak 2.5
    audio = decode_audio(wav_bytes(y, 8000, subtype="FLOAT"), name=NAME)
    assert np.abs(audio.y).max() == pytest.approx(1.0)
    np.testing.assert_allclose(audio.y, y / 2.5, atol=1e-6)


# --- bad input ---------------------------------------------------------------------------------------


def test_empty():
    _expect(DecodeError, b"", "empty")


def test_truncated_wav(song_3_4):
    data = song_3_4.to_bytes("wav")
    error = _expect(DecodeError, data[: len(data) // 2], "cut off", "the whole file")
    # Both lengths are named: 45 s promised, about half present.
    assert "45.0 s" in str(error) and "22." in str(error)


def test_wav_with_header_only(click_120):
    _expect(DecodeError, click_120.to_bytes("wav")[:44], "cut off")


def test_wav_a_few_frames_short_is_accepted(click_120):
    # Writers that round the data size are not "cut off": the tolerance is 0.1 s.
    data = click_120.to_bytes("wav")
    audio = decode_audio(data[:-200], name=NAME)  # 100 frames = 4.5 ms short
    assert audio.y.shape[1] == click_120.y.shape[1] - 100


def test_streaming_wav_placeholder_size_is_not_a_promise(click_120):
    # Streaming writers put 0xFFFFFFFF in the data chunk's size: read what is there.
    data = bytearray(click_120.to_bytes("wav"))
    assert data[36:40] == b"data"
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)
    audio = decode_audio(bytes(data), name=NAME)
    assert audio.y.shape == click_120.y.shape


@pytest.mark.parametrize(
    ("format", "subtype"), [("flac", None), ("ogg", None), ("ogg", "OPUS"), ("mp3", None)]
)
@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_compressed(format, subtype, fraction):
    sr = 48000 if subtype == "OPUS" else 22050
    data = _song(sr, 2, bars=8).to_bytes(format, subtype)
    decode_audio(data, name=NAME)  # whole, it is fine
    _expect(DecodeError, data[: int(len(data) * fraction)], "cut off")


def test_html_page():
    page = b"<!DOCTYPE html>\n<html><head><title>Song</title></head><body><audio src=a.mp3></audio></body>"
    _expect(DecodeError, page, "web page", "link to the audio file itself", "WAV, FLAC")


def test_text():
    _expect(DecodeError, b"just some text, not a song\n" * 50, "not audio", "WAV, FLAC")


def test_random_bytes():
    _expect(DecodeError, np.random.default_rng(0).bytes(10_000), "not audio", "WAV, FLAC, OGG")


def test_png():
    _expect(DecodeError, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "PNG image", "WAV, FLAC")


def test_m4a_names_the_format():
    _expect(DecodeError, b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(500), "MP4/M4A", "convert it")


def test_damaged_wav_header(click_120):
    data = click_120.to_bytes("wav")
    _expect(DecodeError, data[:30], "cut off or damaged")


@pytest.mark.parametrize(("offset", "value"), [(22, 0), (24, 0)])  # 0 channels, 0 Hz
def test_absurd_header_refused_by_libsndfile(click_120, offset, value):
    data = bytearray(click_120.to_bytes("wav"))
    struct.pack_into("<H" if offset == 22 else "<I", data, offset, value)
    _expect(DecodeError, bytes(data), "damaged")


@pytest.mark.parametrize("rate", [100, 2_000_000])
def test_absurd_rate_refused_by_us(click_120, rate):
    data = bytearray(click_120.to_bytes("wav"))
    struct.pack_into("<I", data, 24, rate)
    _expect(DecodeError, bytes(data), "sample rate", str(rate))


def test_zero_frames():
    _expect(DecodeError, wav_bytes(silence(0.0), 22050), "no audio")


def test_format_we_do_not_take():
    buffer = io.BytesIO()
    sf.write(buffer, noise(0.5).T, 22050, format="VOC", subtype="PCM_16")
    _expect(DecodeError, buffer.getvalue(), "don't take", "WAV, FLAC")


def test_silence_decodes():
    # Silence is valid audio; whether it can be remixed is the analysis's call.
    audio = decode_audio(wav_bytes(silence(1.0), 22050), name=NAME)
    assert audio.y.shape == (1, 22050) and not audio.y.any()


# --- length limit --------------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["wav", "flac", "ogg", "mp3"])
def test_too_long(click_120, format):
    error = _expect(
        InputTooLongError, click_120.to_bytes(format), "trim it or send a shorter file", max_seconds=10
    )
    assert "20.0 s" in str(error) and "10.0 s" in str(error)


def test_within_limit_is_fine(click_120):
    assert decode_audio(click_120.to_bytes("flac"), name=NAME, max_seconds=20.5).duration == 20.0


def test_length_is_checked_from_the_header_before_decoding(song_3_4):
    # A FLAC cut in half fails to decode; refused for its length instead, it was never decoded.
    data = song_3_4.to_bytes("flac")
    _expect(InputTooLongError, data[: len(data) // 2], "45.0 s", max_seconds=30)


def test_length_is_checked_while_decoding_when_the_header_does_not_say(song_3_4):
    # A FLAC from a stream writer has total_samples = 0 (unknown) in its STREAMINFO block.
    data = bytearray(song_3_4.to_bytes("flac"))
    fields = int.from_bytes(data[18:26], "big")  # rate(20) channels(3) bits(5) total samples(36)
    data[18:26] = (fields & ~((1 << 36) - 1)).to_bytes(8, "big")
    assert decode_audio(bytes(data), name=NAME).y.shape == song_3_4.y.shape  # no limit: all of it
    _expect(InputTooLongError, bytes(data), "longer than the limit of 30.0 s", max_seconds=30)


def test_header_claiming_hours_is_refused_before_decoding(click_120):
    # A FLAC whose STREAMINFO claims 2**36 - 1 samples (two months at 22 kHz) in a few kilobytes:
    # refused for its samples from the header, before any allocation or decoding.
    data = bytearray(click_120.to_bytes("flac"))
    fields = int.from_bytes(data[18:26], "big")
    data[18:26] = (fields | ((1 << 36) - 1)).to_bytes(8, "big")
    _expect(TooManySamplesError, bytes(data), "68.72 G samples to decode", "921.6 M")


def test_header_claiming_more_than_is_there_costs_no_memory(click_120):
    # Within the bounds but far more than the file holds: the shortfall is reported.
    data = bytearray(click_120.to_bytes("flac"))
    fields = int.from_bytes(data[18:26], "big")
    data[18:26] = ((fields & ~((1 << 36) - 1)) | 22050 * 3000).to_bytes(8, "big")  # 50 min
    _expect(DecodeError, bytes(data), "cut off", "50 min", "20.0 s")


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "60", True])
def test_bad_max_seconds(click_120, bad):
    with pytest.raises(ParameterError) as info:
        decode_audio(click_120.to_bytes("wav"), name=NAME, max_seconds=bad)
    assert info.value.code == "invalid_parameter"


def test_not_bytes():
    with pytest.raises(ParameterError):
        decode_audio("song.wav", name=NAME)


# --- nothing else escapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("format", "subtype"), [("wav", None), ("wav", "FLOAT"), ("flac", None), ("ogg", None), ("mp3", None)]
)
def test_damaged_files_give_audio_or_our_error(format, subtype):
    """Cut, overwritten and spliced files: never a bare soundfile or numpy exception."""
    good = click_track(bpm=100, seconds=3, channels=2).to_bytes(format, subtype)
    rng = np.random.default_rng(len(good))
    outcomes = set()
    for i in range(24):
        data = bytearray(good)
        if i % 3 == 0:
            data = data[: int(rng.integers(1, len(data)))]
        elif i % 3 == 1:
            start = int(rng.integers(0, min(300, len(data))))
            data[start : start + 16] = rng.bytes(16)
        else:
            at = int(rng.integers(0, len(data)))
            data = data[:at] + rng.bytes(int(rng.integers(1, 3000))) + data[at:]
        try:
            audio = decode_audio(bytes(data), name=NAME)
        except MusicRemixerError as error:
            assert NAME in str(error)
            outcomes.add(type(error).__name__)
        else:
            assert audio.y.dtype == np.float32 and np.isfinite(audio.y).all() and np.abs(audio.y).max() <= 1.0
            outcomes.add("decoded")
    assert "DecodeError" in outcomes


# --- what is kept: folded to at most stereo at 48 kHz, bounded in samples ---------------------------


def test_many_channels_are_mixed_down_to_stereo():
    # 7.1 in WAV order: L R C LFE Lb Rb Ls Rs, one tone each.
    hz = [300.0, 500.0, 700.0, 60.0, 1100.0, 1300.0, 1500.0, 1700.0]
    y = 0.1 * _tones(48000, 1.0, hz) / 0.5
    audio = decode_audio(wav_bytes(y, 48000), name=NAME)
    assert audio.y.shape == (2, 48000) and audio.sr == 48000

    def level(channel: np.ndarray, f: float) -> float:
        spectrum = np.abs(np.fft.rfft(channel)) / channel.size * 2
        return float(spectrum[round(f)])  # 1 s: bins are 1 Hz apart

    left, right = audio.y
    assert level(left, 300) == pytest.approx(0.1, rel=0.01) and level(right, 300) < 1e-3
    assert level(right, 500) == pytest.approx(0.1, rel=0.01) and level(left, 500) < 1e-3
    for channel in (left, right):  # centre in both at -3 dB, LFE in neither
        assert level(channel, 700) == pytest.approx(0.07071, rel=0.01)
        assert level(channel, 60) < 1e-3
    assert level(left, 1500) == pytest.approx(0.07071, rel=0.01) and level(right, 1500) < 1e-3


def test_a_loud_downmix_is_scaled_not_clipped():
    y = np.full((6, 4800), 0.9, dtype=np.float32)  # every channel at 0.9: the sums pass 2
    audio = decode_audio(wav_bytes(y, 48000), name=NAME)
    assert np.abs(audio.y).max() == pytest.approx(1.0)
    np.testing.assert_allclose(audio.y, 1.0, atol=1e-4)  # L and R sum alike here


def test_ogg_surround_is_mixed_down_from_wav_order():
    # Vorbis order L C R Ls Rs LFE: after reordering, the right channel holds R (700 Hz), not C.
    y = _tones(48000, 1.0, [300.0, 500.0, 700.0, 900.0, 1100.0, 60.0])
    buffer = io.BytesIO()
    sf.write(buffer, y.T, 48000, format="OGG", subtype="VORBIS")
    audio = decode_audio(buffer.getvalue(), name=NAME)
    assert audio.y.shape[0] == 2
    spectrum = np.abs(np.fft.rfft(audio.y[1]))
    assert spectrum[700] > 10 * spectrum[300]  # R's tone in R, L's tone not


@pytest.mark.parametrize(("sr", "format"), [(96000, "wav"), (192000, "flac"), (88200, "flac")])
def test_high_rates_are_resampled_to_48k(sr, format):
    y = _tones(sr, 1.0, [1000.0, 3000.0])
    audio = decode_audio(_file_bytes(y, sr, format), name=NAME)
    assert audio.sr == 48000
    assert abs(audio.y.shape[1] - 48000) <= 1
    assert [round(_dominant_hz(channel, 48000)) for channel in audio.y] == [1000, 3000]
    middle = audio.y[:, 4800:-4800]  # the filter's edges aside, the level is the same
    assert np.sqrt((middle**2).mean(axis=1)) == pytest.approx([0.5 / np.sqrt(2)] * 2, rel=0.01)


def test_stereo_at_44k_is_kept_bit_exact(song_4_4):
    audio = decode_audio(song_4_4.to_bytes("wav"), name=NAME)
    assert audio.sr == 44100
    np.testing.assert_array_equal(audio.y, decode_audio(song_4_4.to_bytes("wav"), name=NAME, **NATIVE).y)


def _flac_claiming(frames: int, *, sr: int = 192000, channels: int = 8) -> bytes:
    """A short FLAC of this shape whose STREAMINFO claims ``frames``."""
    data = bytearray(_file_bytes(np.zeros((channels, 1000), dtype=np.float32), sr, "flac"))
    fields = int.from_bytes(data[18:26], "big")  # rate(20) channels(3) bits(5) total samples(36)
    data[18:26] = ((fields & ~((1 << 36) - 1)) | frames).to_bytes(8, "big")
    return bytes(data)


def test_decoding_work_is_bounded_in_samples_from_the_header():
    # Ten minutes of 7.1 at 192 kHz is the most one file may have: at the limit it is decoded (and
    # found cut off, as this one holds 1000 frames), one second past it is refused unread.
    _expect(DecodeError, _flac_claiming(600 * 192000), "cut off", "10 min")
    error = _expect(TooManySamplesError, _flac_claiming(601 * 192000), "10 min 1 s of 8 channels at 192 kHz")
    message = str(error)
    assert "923.1 M samples to decode" in message and "at most 921.6 M" in message
    assert "10 min of 8 channels at 192 kHz" in message  # what fits
    assert error.code == "too_many_samples"


def test_kept_samples_are_bounded_from_the_header(click_120):
    # 20 s of mono at 22.05 kHz keeps 441,000 samples.
    data = click_120.to_bytes("flac")
    assert decode_audio(data, name=NAME, max_samples=441_000).y.size == 441_000
    error = _expect(
        TooManySamplesError, data, "441,000 samples as 1 channel at 22.05 kHz", max_samples=440_999
    )
    assert "Trim it" in str(error)


def test_kept_samples_are_bounded_while_decoding_when_the_header_does_not_say(click_120):
    data = _without_length(click_120.to_bytes("flac"))
    _expect(TooManySamplesError, data, "more than", max_samples=300_000)


def test_later_inputs_count_what_the_earlier_ones_keep(click_120):
    data = click_120.to_bytes("flac")
    decode_audio(data, name=NAME, max_samples=1_000_000, samples_before=559_000)
    error = _expect(
        TooManySamplesError, data, "1.0 M samples", "together", max_samples=1_000_000, samples_before=559_001
    )
    assert "fewer or shorter songs" in str(error)


def test_a_memoryview_is_read_without_a_copy(click_120):
    data = click_120.to_bytes("wav")
    view = memoryview(bytearray(data))
    audio = decode_audio(view, name=NAME)
    assert audio.y.shape == click_120.y.shape


@pytest.mark.parametrize(
    ("option", "bad"), [("max_samples", 0), ("samples_before", -1), ("max_sr", 10), ("max_channels", 3)]
)
def test_bad_fold_options(click_120, option, bad):
    with pytest.raises(ParameterError, match=option):
        decode_audio(click_120.to_bytes("wav"), name=NAME, **{option: bad})


def _without_length(flac: bytes) -> bytes:
    data = bytearray(flac)
    fields = int.from_bytes(data[18:26], "big")
    data[18:26] = (fields & ~((1 << 36) - 1)).to_bytes(8, "big")
    return bytes(data)


def _file_bytes(y: np.ndarray, sr: int, format: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, y.T, sr, format=format.upper(), subtype="PCM_16")
    return buffer.getvalue()
