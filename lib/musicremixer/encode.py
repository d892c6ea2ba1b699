"""Encode: :class:`~musicremixer.types.Audio` to the bytes of a WAV, FLAC, OGG Vorbis or MP3 file.

Everything happens in memory: WAV, FLAC and OGG through soundfile's bundled libsndfile, MP3 through
lameenc (LAME, 128 kb/s, or down to 64 kb/s when a caller asks: ``MP3_BITRATES_KBPS``): libsndfile
drives LAME at a setting that took
7.5 s of CPU for three minutes of stereo, lameenc 2.3 s for the same bitrate. LAME's -q 7 takes
half the time of its standard -q 5 and measures as well (``python -m bench.mp3_quality``): a better
SNR on every test signal, the same log-spectral distance in the audible bands (0.49 against
0.48 dB on a drum-and-chords song), coding noise as far or further under the music (-22.6 against
-22.3 dB; on a dense 60-partial chord 0.7 dB less far overall, 4 dB further above 3 kHz). A first
measure that also counted bands 60 dB under the frame's loudest, which -q 7 zeroes and nobody
hears, had called it 5 dB worse above 3 kHz. Long MP3s are encoded in two halves at once
(:func:`_encode_mp3_halves`). lameenc writes no info tag; ours (:func:`_with_info_tag`) makes the
MP3 gapless. Each format's limits are met
here rather than failing in the codec (or crashing it: libvorbis segfaults above 200 kHz and above
255 channels):

======  =====================  ===========================  ==============
format  codec                  sample rates                 channels
======  =====================  ===========================  ==============
wav     PCM 16-bit             any                          up to 1024
flac    FLAC, 16-bit           up to 655,350 Hz             up to 8
ogg     Vorbis, quality 0.4    up to 200,000 Hz             up to 255
mp3     MPEG layer III, CBR    8, 11.025, 12, 16, 22.05,    1 or 2
                               24, 32, 44.1, 48 kHz
======  =====================  ===========================  ==============

A rate outside the format's range is resampled with soxr to the nearest rate the format takes
(for OGG and FLAC above their ceiling: 192 kHz and 384 kHz, the nearest standard rates); more
channels than the format takes are mixed down to stereo.

The output is deterministic: the same audio gives the same bytes. libsndfile gives every OGG
stream a serial number drawn from the clock, so we rewrite it (and each page's checksum) with one
computed from the encoded audio.
"""

from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from musicremixer.channels import WAV_TO_VORBIS, stereo_downmix
from musicremixer.errors import ParameterError
from musicremixer.types import Audio

__all__ = [
    "COPY_LEVELS",
    "MEDIA_TYPES",
    "MP3_BITRATES_KBPS",
    "MP3_KBPS",
    "check_mp3_kbps",
    "encode_audio",
    "encode_copy",
    "encoded_size",
    "mp3_stream_kbps",
]

MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}

# soundfile (container, subtype) of each output format.
_CODECS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}
MP3_KBPS = 128  # stereo; mono gets half: three minutes of stereo in 2.9 MB, under Lambda's 4.5 MB
# The stereo bitrates a caller may step down to when 128 kb/s would not fit (a hosted response is
# 4.5 MB: 4 min 41 s at 128, 6 min 15 s at 96, 9 min 22 s at 64), best first. Each is a standard
# MPEG-1 layer III rate whose half (mono) is one too. Not below 64: by bench/mp3_quality.py (30 s,
# -q 7; mean band log-spectral distance) 64 kb/s keeps a dense chord within 1.46 dB of the input
# (0.57 at 128) and drums-and-chords within 3.8 (0.49), their bands above 3 kHz within 17 as LAME's
# lowpass sets in; at 48 kb/s that is 11.8, 7.2 and 35 dB: a cliff.
MP3_BITRATES_KBPS = (128, 112, 96, 80, 64)
MP3_QUALITY = 7  # LAME's -q 7: half -q 5's time, as good by bench/mp3_quality.py's measures
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
# (highest rate the codec takes, the rate to resample to above it)
_RATE_CEILINGS = {"flac": (655_350, 384_000), "ogg": (200_000, 192_000)}
_MAX_CHANNELS = {"wav": 1024, "flac": 8, "ogg": 255, "mp3": 2}
# Frames per write for OGG and MP3: one large write into a BytesIO segfaults libsndfile 1.2.2's
# Vorbis encoder (seen at 8 M stereo frames); 32 k frames (0.7 s at 44.1 kHz) is far from that.
_CHUNK_FRAMES = 1 << 15


def encode_audio(audio: Audio, *, format: str = "wav", mp3_kbps: int = MP3_KBPS) -> bytes:
    """Encode audio as a file in memory.

    Parameters
    ----------
    audio : Audio
        ``y`` of shape ``(channels, n)`` with ``n >= 1``, at rate ``sr``. Samples outside [-1, 1]
        are clipped; NaN becomes 0.
    format : {'wav', 'flac', 'ogg', 'mp3'}
        WAV (16-bit PCM), FLAC (16-bit), OGG Vorbis (quality 0.4, roughly 100 kb/s for stereo music)
        or MP3 (LAME at -q 7, constant 128 kb/s for stereo and 64 kb/s for mono, with a LAME info
        tag, so it decodes to exactly the samples given: gapless). See the module notes for the
        rates and channel counts each takes.
    mp3_kbps : int in MP3_BITRATES_KBPS
        MP3's constant bitrate for stereo (mono gets half), at the audio's own sample rate: LAME
        is kept from halving the rate at the lower bitrates. Ignored by the other formats.

    Returns
    -------
    bytes
        The encoded file. Its media type is ``MEDIA_TYPES[format]``. The same audio gives the same
        bytes.

    Raises
    ------
    ParameterError
        Unknown ``format``, an ``mp3_kbps`` not in ``MP3_BITRATES_KBPS``, or ``audio`` is not
        ``(channels, n)`` samples at a positive rate.
    """
    if format not in _CODECS:
        raise ParameterError(f"format={format!r} is not supported: use one of {', '.join(_CODECS)}.")
    check_mp3_kbps(mp3_kbps)
    y, sr = audio.y, audio.sr
    # An array, or a render that reads like one in windows (types.LazySamples): never read whole
    # on the common paths below, so a long output is encoded a block at a time.
    if getattr(y, "ndim", None) != 2 or y.shape[0] < 1 or y.shape[1] < 1:
        shape = getattr(y, "shape", None)
        raise ParameterError(
            f"Cannot encode audio of shape {shape}: pass samples shaped (channels, n) with at least "
            "one channel and one sample."
        )
    if not (isinstance(sr, int | np.integer) and sr > 0):
        raise ParameterError(f"Cannot encode at sr={sr!r}: the sample rate must be a whole number of Hz > 0.")
    sr = int(sr)
    target = _supported_rate(sr, format)
    reorder = format == "ogg" and y.shape[0] in WAV_TO_VORBIS
    if y.shape[0] <= _MAX_CHANNELS[format] and target == sr and not reorder:
        # The common case streams blocks straight from the caller's array: no full-length copy.
        if format == "mp3":
            data = _encode_mp3(y, sr, mp3_kbps)
        elif format == "ogg":
            data = _encode_ogg(y, sr)
        else:
            blocks = _clipped_blocks(y) if format == "ogg" else _pcm16_blocks(y)
            data = _write(blocks, sr, y.shape[0], format)
    else:
        frames = next(_clipped_blocks(y, block=y.shape[1]))
        if frames.shape[1] > _MAX_CHANNELS[format]:
            frames = _downmix_to_stereo(frames)
        if target != sr:
            import soxr  # only needed for the few rates a format can't take

            frames = soxr.resample(frames, sr, target, quality="HQ")
            np.clip(frames, -1.0, 1.0, out=frames)  # the resampler's filter can overshoot
            sr = target
        if format == "ogg" and frames.shape[1] in WAV_TO_VORBIS:
            frames = np.ascontiguousarray(frames[:, list(WAV_TO_VORBIS[frames.shape[1]])])
        blocks = (frames[i : i + _CHUNK_FRAMES] for i in range(0, frames.shape[0], _CHUNK_FRAMES))
        data = _write(blocks, sr, frames.shape[1], format, mp3_kbps)
    if format == "ogg":
        data = _fix_ogg_serial(data)
    return data


# A listening copy's Vorbis qualities, best first, as libsndfile's compression levels (0.6 is its
# default, Vorbis quality 0.4): on a stereo song at 44.1 kHz about 95, 85, 76, 67 and 53 kb/s.
COPY_LEVELS = (0.6, 0.7, 0.8, 0.9, 1.0)
_COPY_PROBE_SECONDS = 20.0
_COPY_MARGIN = 0.92  # an excerpt's bitrate foretells the whole song's to within a few percent


def encode_copy(audio: Audio, *, max_bytes: int) -> bytes:
    """Encode a listening copy: OGG Vorbis at the best quality of ``COPY_LEVELS`` that fits.

    For a client that plays the song itself, such as the page's jukebox for a song given by URL.
    OGG, not MP3: an Ogg stream says exactly where its samples start and end, so a browser decodes
    it sample for sample on the song's own timeline (an MP3 without a LAME info tag, as this module
    wrote them when it was measured, decoded 1,105 samples late in Chromium), and the beats of the
    song's plan fall where they are in the copy.

    Parameters
    ----------
    audio : Audio
        The song as decoded; the copy keeps its rate (up to 192 kHz) and channels (up to 2; more
        are mixed down to stereo).
    max_bytes : int > 0
        The most the copy may be.

    Returns
    -------
    bytes
        The OGG Vorbis file; the same audio and limit give the same bytes.

    Raises
    ------
    ParameterError
        Even the lowest quality would be over ``max_bytes``: the message says how long a song fits.
    """
    if not (isinstance(max_bytes, int) and max_bytes > 0):
        raise ParameterError(f"max_bytes={max_bytes!r} is not valid: pass a whole number of bytes > 0.")
    frames = next(_clipped_blocks(audio.y, block=audio.y.shape[1]))
    if frames.shape[1] > 2:
        frames = _downmix_to_stereo(frames)
    sr = int(audio.sr)
    fallback = _RATE_CEILINGS["ogg"][1]
    if sr > fallback:
        import soxr

        frames = np.clip(soxr.resample(frames, sr, fallback, quality="HQ"), -1.0, 1.0)
        sr = fallback
    n = frames.shape[0]
    probe = round(_COPY_PROBE_SECONDS * sr)
    middle = frames[max(0, (n - probe) // 2) :][:probe]
    per_frame = 0.0  # bytes per frame at the last quality tried
    for level in COPY_LEVELS:
        if n > middle.shape[0]:
            per_frame = len(_write_vorbis(middle, sr, level)) / middle.shape[0]
            if per_frame * n > _COPY_MARGIN * max_bytes:
                continue
        data = _write_vorbis(frames, sr, level)
        per_frame = len(data) / n
        if len(data) <= max_bytes:
            return _fix_ogg_serial(data)
    seconds = n / sr
    raise ParameterError(
        f"A listening copy of this {seconds:.0f} s song would be over {max_bytes / 1e6:.1f} MB even at "
        f"the lowest quality: songs up to about {_COPY_MARGIN * max_bytes / per_frame / sr:.0f} s fit."
    )


def _write_vorbis(frames: np.ndarray, sr: int, level: float) -> bytes:
    buffer = io.BytesIO()
    channels = frames.shape[1]
    with sf.SoundFile(
        buffer, "w", samplerate=sr, channels=channels, format="OGG", subtype="VORBIS", compression_level=level
    ) as handle:
        for start in range(0, frames.shape[0], _CHUNK_FRAMES):  # see _CHUNK_FRAMES: no large writes
            handle.write(frames[start : start + _CHUNK_FRAMES])
    return buffer.getvalue()


def _clipped_blocks(y: np.ndarray, *, block: int = _CHUNK_FRAMES, start: int = 0, stop: int | None = None):
    """(frames, channels) blocks of ``y[:, start:stop]`` clipped to [-1, 1], NaN as 0, each in a fresh buffer.

    Clipping into a new buffer leaves the caller's array untouched; NaN goes before anything mixes
    samples (the downmix, the resampler's filter), which would spread it. Every format is written
    in the same blocks, so the bytes never depend on anything but the samples.
    """
    stop = y.shape[1] if stop is None else min(stop, y.shape[1])
    for at in range(start, stop, block):
        part = y[:, at : min(at + block, stop)].T
        frames = np.empty(part.shape, dtype=np.float32)
        np.clip(part, -1.0, 1.0, out=frames)
        np.copyto(frames, 0.0, where=np.isnan(frames))  # clip already bounded the infinities
        yield frames


# Sizes for encoded_size: bytes per second per channel (OGG), or the share of 16-bit PCM (FLAC).
# "least" is under anything with music in it that we measured (Vorbis at quality 0.4: an ambient pad
# 19 kb/s a channel, a quiet click track 5.8; FLAC: 9 % and 2.2 %); "typical" is for music
# (Vorbis 110-130 kb/s for stereo; FLAC about 60 %).
_OGG_BYTES_PER_CHANNEL_S = {"least": 8_000 / 8, "typical": 64_000 / 8}
_FLAC_SHARE_OF_PCM = {"least": 0.02, "typical": 0.6}


def encoded_size(
    seconds: float, *, sr: int, channels: int, format: str, estimate: str = "least", mp3_kbps: int = MP3_KBPS
) -> int:
    """Bytes of ``seconds`` of audio at ``sr`` and ``channels`` once encoded as ``format``.

    Parameters
    ----------
    seconds : float >= 0
    sr : int > 0
        The audio's rate, before the format's own conversion (MP3 takes 8 to 48 kHz, ...).
    channels : int >= 1
    format : {'wav', 'flac', 'ogg', 'mp3'}
    estimate : {'least', 'typical'}
        WAV and MP3 (constant bitrate) sizes are known: both give the size, to within a frame.
        FLAC and OGG depend on the music: ``'least'`` is a size that anything with music in it
        exceeds (what may refuse a request before rendering it), ``'typical'`` what music takes
        (what to advise).
    mp3_kbps : int in MP3_BITRATES_KBPS
        The MP3's stereo bitrate, as for :func:`encode_audio`.

    Returns
    -------
    int
    """
    if format not in _CODECS:
        raise ParameterError(f"format={format!r} is not supported: use one of {', '.join(_CODECS)}.")
    if estimate not in ("least", "typical"):
        raise ParameterError(f"estimate={estimate!r} is not valid: use 'least' or 'typical'.")
    check_mp3_kbps(mp3_kbps)
    sr = _supported_rate(int(sr), format)
    if channels > _MAX_CHANNELS[format]:
        channels = 2
    if format == "mp3":
        frame_samples = 1152 if sr >= 32_000 else 576
        # LAME's delay before the samples, and one frame after them (what it flushes to finish the
        # last frame's overlap), measured at every rate and bitrate.
        frames = math.ceil((seconds * sr + MP3_ENCODER_DELAY) / frame_samples) + 1
        frame_bytes = frame_samples / 8 * _mp3_kbps(sr, channels, mp3_kbps) * 1000 / sr
        # The info tag's frame is the stream's size, or one at the next bitrate up that holds the
        # tag: under 300 bytes, as the tag and side info take 194 and a step up adds less than 100.
        return math.ceil(frames * frame_bytes + max(frame_bytes, 300))
    pcm = round(seconds * sr) * channels * 2
    if format == "wav":
        return 44 + pcm
    if format == "flac":
        return 8_192 + math.ceil(pcm * _FLAC_SHARE_OF_PCM[estimate])
    return 4_096 + math.ceil(seconds * channels * _OGG_BYTES_PER_CHANNEL_S[estimate])


def _mp3_kbps(sr: int, channels: int, kbps: int) -> int:
    """LAME's bitrate: ``kbps`` for stereo, half for mono and at 12 kHz and below (its ceiling)."""
    return kbps if channels == 2 and sr > 12_000 else kbps // 2


def mp3_stream_kbps(sr: int, channels: int, mp3_kbps: int = MP3_KBPS) -> int:
    """The bitrate of the MP3 stream :func:`encode_audio` writes for audio at ``sr`` and ``channels``.

    ``mp3_kbps`` for stereo; half of it for mono and at 12 kHz and below; more than two channels
    are mixed down to stereo, and the rate is the nearest one MP3 takes.
    """
    check_mp3_kbps(mp3_kbps)
    return _mp3_kbps(_supported_rate(int(sr), "mp3"), min(int(channels), 2), mp3_kbps)


def check_mp3_kbps(kbps: object) -> None:
    """Raise :class:`ParameterError` unless ``kbps`` is one of ``MP3_BITRATES_KBPS``."""
    if kbps not in MP3_BITRATES_KBPS or isinstance(kbps, bool):
        raise ParameterError(
            f"mp3_kbps={kbps!r} is not supported: use one of {', '.join(map(str, MP3_BITRATES_KBPS))}."
        )


def _supported_rate(sr: int, format: str) -> int:
    """The rate to write ``format`` at: ``sr`` itself when the codec takes it."""
    if format == "mp3":
        # Nearest allowed rate; on a tie, the higher (keeps more bandwidth).
        return min(_MP3_RATES, key=lambda rate: (abs(rate - sr), -rate))
    ceiling, fallback = _RATE_CEILINGS.get(format, (None, None))
    if ceiling is not None and sr > ceiling:
        return fallback
    return sr


def _downmix_to_stereo(frames: np.ndarray) -> np.ndarray:
    """Mix ``(n, channels)`` frames down to ``(n, 2)``, scaled down only if the sum would clip.

    The matrix is :func:`musicremixer.channels.stereo_downmix`'s.
    """
    matrix = stereo_downmix(frames.shape[1])
    stereo = np.ascontiguousarray(frames @ matrix.T)
    peak = float(np.max(np.abs(stereo)))
    if peak > 1.0:
        stereo *= np.float32(1.0 / peak)
        np.clip(stereo, -1.0, 1.0, out=stereo)  # float32 rounding can leave a step above 1
    return stereo


def _write(blocks, sr: int, channels: int, format: str, mp3_kbps: int = MP3_KBPS) -> bytes:
    if format == "mp3":
        return _write_mp3(blocks, sr, channels, mp3_kbps)
    buffer = io.BytesIO()
    container, subtype = _CODECS[format]
    with sf.SoundFile(
        buffer, "w", samplerate=sr, channels=channels, format=container, subtype=subtype
    ) as handle:
        for frames in blocks:
            handle.write(frames)
    return buffer.getvalue()


def _pcm16_blocks(y: np.ndarray, *, block: int = _CHUNK_FRAMES, start: int = 0, stop: int | None = None):
    """(frames, channels) int16 blocks of ``y[:, start:stop]``, as :func:`_to_pcm16` makes them (NaN as 0).

    Scaled and rounded in one reused buffer, channel by channel in ``y``'s own layout, and only then
    interleaved: three times faster than clipping interleaved floats first.
    """
    stop = y.shape[1] if stop is None else min(stop, y.shape[1])
    scaled = np.empty((y.shape[0], max(0, min(block, stop - start))), dtype=np.float32)
    for at in range(start, stop, block):
        part = y[:, at : min(at + block, stop)]
        buffer = scaled[:, : part.shape[1]]
        np.multiply(part, np.float32(32768), out=buffer)
        np.rint(buffer, out=buffer)
        np.clip(buffer, -32768, 32767, out=buffer)
        buffer[np.isnan(buffer)] = 0
        yield buffer.T.astype(np.int16)


def _to_pcm16(frames: np.ndarray) -> np.ndarray:
    """Samples in [-1, 1] to 16-bit integers, scaled by 32768 as decoding divides by it: audio that
    came from 16-bit PCM gets its very integers back (full scale clips to 32767)."""
    return np.clip(np.rint(frames * np.float32(32768)), -32768, 32767).astype(np.int16)


def _write_mp3(blocks, sr: int, channels: int, kbps: int = MP3_KBPS) -> bytes:
    data, n = _lame(blocks, sr, channels, kbps)
    return _with_info_tag(data, n)


def _lame(blocks, sr: int, channels: int, kbps: int) -> tuple[bytes, int]:
    """LAME's frames for ``blocks`` of ``(frames, channels)`` samples, and how many samples went in."""
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(sr)
    # Below 112 kb/s LAME would pick a lower output rate of its own (32 kHz at 96, 24 kHz at 64);
    # kept at the input's, the frames stay on the grid that the halves, the info tag and
    # encoded_size count on, and the remix decodes at the rate it was rendered at.
    encoder.set_out_sample_rate(sr)
    encoder.set_channels(channels)
    encoder.set_bit_rate(_mp3_kbps(sr, channels, kbps))
    encoder.set_quality(MP3_QUALITY)
    out = bytearray()
    n = 0
    for frames in blocks:
        pcm = frames if frames.dtype == np.int16 else _to_pcm16(frames)
        out += encoder.encode(pcm.astype("<i2", copy=False).tobytes())
        n += pcm.shape[0]
    out += encoder.flush()
    return bytes(out), n


# --- MP3: two halves at once --------------------------------------------------------------------
#
# LAME encodes one stream on one core, and that was most of a compressed remix's time (at -q 5,
# 2.3 s of 4.2 for three minutes). lameenc releases the GIL, so two encoders can run at once: one
# takes the first half and a little more, the other starts a few frames before the middle on the
# same frame grid (its input begins at a multiple of 1152 samples, and both delay by 576), so
# after those frames of pre-roll its filterbank and psychoacoustic state are the first one's, and
# frame m of the second stream stands for frame m + offset of the first. They are joined at a
# frame J where the join is clean:
#
# - both granules that meet there are long blocks (the MDCT windows overlap as in one stream);
# - the second stream's frame borrowed no more bit reservoir (``main_data_begin``: its data starts
#   that many main-data bytes before its own frame) than the first stream had left free before
#   frame J (its own frame J's ``main_data_begin``). Those borrowed bytes are copied into the
#   first stream's free tail, where nothing reads them; every later frame is the second stream's.
#
# Measured on a three-minute song, the decoded samples around the join are as close to the input
# as the single stream's (the same SNR in every 1024-sample window). If no frame in the window
# qualifies, the song is encoded in one stream. Either way the bytes depend only on the samples:
# the halves are fixed, not chosen by the number of cores.

_MP3_SPLIT_MIN_SECONDS = 20.0  # below this, two encoders' start-up is not worth it
_MP3_PRE_ROLL_FRAMES = 6  # frames the second encoder runs before the join window
_MP3_JOIN_WINDOW_FRAMES = 40  # candidate joins: about a second, past the short blocks of a drum hit
_MP3_POST_ROLL_FRAMES = _MP3_JOIN_WINDOW_FRAMES + 4  # frames the first encoder runs past the window's start


def _encode_mp3(y: np.ndarray, sr: int, kbps: int = MP3_KBPS) -> bytes:
    """``y`` (1 or 2 channels, at an MP3 rate) as a gapless MP3, in two halves at once when long."""
    n = y.shape[1]
    if sr >= 32_000 and n >= _MP3_SPLIT_MIN_SECONDS * sr:  # MPEG-1: 1152-sample frames
        joined = _encode_mp3_halves(y, sr, kbps)
        if joined is not None:
            return _with_info_tag(joined, n)
    return _write_mp3(_pcm16_blocks(y), sr, y.shape[0], kbps)


def _encode_mp3_halves(y: np.ndarray, sr: int, kbps: int = MP3_KBPS) -> bytes | None:
    import threading

    channels, n = y.shape
    spf = 1152
    first_join = (n // 2 + MP3_ENCODER_DELAY) // spf
    offset = first_join - _MP3_PRE_ROLL_FRAMES  # the second stream's frame 0 is the first's frame `offset`
    ranges = {"first": (0, (first_join + _MP3_POST_ROLL_FRAMES) * spf), "second": (offset * spf, n)}
    streams: dict[str, bytes] = {}

    def encode(part: str) -> None:
        start, stop = ranges[part]
        streams[part], _ = _lame(_pcm16_blocks(y, start=start, stop=stop), sr, channels, kbps)

    second = threading.Thread(target=encode, args=("second",))
    second.start()
    encode("first")
    second.join()
    a, b = streams["first"], streams["second"]
    if not a or not a[1] & 1:  # no frames, or frames with a CRC after the header: not ours to parse
        return None
    frames_a, frames_b = _mp3_frames(a), _mp3_frames(b)
    for join in range(first_join, first_join + _MP3_JOIN_WINDOW_FRAMES):
        m = join - offset
        if join >= len(frames_a) or m >= len(frames_b):
            return None
        free, _ = _mp3_side_info(a, frames_a[join], channels)
        _, last_types = _mp3_side_info(a, frames_a[join - 1], channels)
        borrowed, first_types = _mp3_side_info(b, frames_b[m], channels)
        if borrowed > free or any(last_types[channels:]) or any(first_types[:channels]):
            continue
        head = bytearray(a[: frames_a[join][0]])
        _copy_reservoir(b, frames_b[:m], head, frames_a[:join], borrowed, channels)
        return bytes(head) + b[frames_b[m][0] :]
    return None


def _mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """``(position, length)`` of every frame of a stream of layer III frames."""
    frames, pos = [], 0
    while (frame := _mp3_frame(data, pos)) is not None:
        frames.append((pos, frame["length"]))
        pos += frame["length"]
    return frames


def _mp3_side_info(data: bytes, frame: tuple[int, int], channels: int) -> tuple[int, list[int]]:
    """An MPEG-1 frame's ``main_data_begin`` and the block type of each granule and channel."""
    size = 17 if channels == 1 else 32
    bits = int.from_bytes(data[frame[0] + 4 : frame[0] + 4 + size], "big")
    position = 0

    def take(count: int) -> int:
        nonlocal position
        position += count
        return (bits >> (size * 8 - position)) & ((1 << count) - 1)

    main_data_begin = take(9)
    take((5 if channels == 1 else 3) + 4 * channels)  # private bits, scfsi
    block_types = []
    for _granule_channel in range(2 * channels):
        take(12 + 9 + 8 + 4)  # part2_3_length, big_values, global_gain, scalefac_compress
        if take(1):  # window switching: block_type, mixed_block_flag, 2 tables, 3 subblock gains
            block_types.append(take(2))
            take(1 + 10 + 9)
        else:
            block_types.append(0)
            take(15 + 4 + 3)  # 3 tables, region0_count, region1_count
        take(3)  # preflag, scalefac_scale, count1table_select
    return main_data_begin, block_types


def _copy_reservoir(
    source: bytes, source_frames: list, target: bytearray, target_frames: list, count: int, channels: int
) -> None:
    """Copy the last ``count`` main-data bytes before ``source_frames``' end to the same place in ``target``.

    Main data is the part of each frame after its header and side info; the reservoir runs back
    over as many frames as it needs.
    """
    header = 4 + (17 if channels == 1 else 32)

    def regions(frames):  # main-data byte ranges, last frame first
        return [(pos + header, pos + length) for pos, length in reversed(frames)]

    tail = bytearray()
    for start, stop in regions(source_frames):
        if len(tail) >= count:
            break
        tail[:0] = source[start:stop]
    tail = tail[len(tail) - count :] if count else bytearray()
    for start, stop in regions(target_frames):
        if not tail:
            break
        take = min(len(tail), stop - start)
        target[stop - take : stop] = tail[len(tail) - take :]
        del tail[len(tail) - take :]


# --- MP3: the LAME info tag, for gapless playback ----------------------------------------------
#
# LAME starts every stream with ENCDELAY = 576 samples of its own, and an MP3 decoder adds 529 of
# its filterbank (1105 in all, 25 ms at 44.1 kHz); the last frame is padded to a whole frame.
# lameenc writes no tag, so decoders played all of that. The info tag is one extra frame at the
# start that decodes as silence to a player that doesn't know it, and tells one that does (mpg123,
# hence libsndfile; ffmpeg, hence Chrome; Firefox) the frame count and how many samples to drop at
# each end: exactly the encoded samples come out. Layout: "Mp3 Info Tag rev 1" (LAME 3.90+).

MP3_ENCODER_DELAY = 576  # LAME's ENCDELAY: samples the encoder puts before the audio
_MP3_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),  # MPEG-1 layer III
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),  # MPEG-2 and 2.5
}
_MP3_SR = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits


def _with_info_tag(stream: bytes, n: int) -> bytes:
    """``stream`` (CBR layer III frames, as lameenc writes them) with a LAME info tag before it.

    ``n`` is the number of samples per channel that were encoded.
    """
    first = _mp3_frame(stream, 0)
    if first is None:
        return stream
    count, pos = 0, 0
    while pos < len(stream):
        frame = _mp3_frame(stream, pos)
        if frame is None:
            break
        count += 1
        pos += frame["length"]
    mpeg1 = first["version"] == 3
    mono = first["mode"] == 3
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    header, length = _info_frame_header(int.from_bytes(stream[:4], "big"), side_info)
    padding = count * first["samples"] - MP3_ENCODER_DELAY - n
    total = length + len(stream)
    xing = b"".join(
        [
            b"Info",  # "Info": a constant bitrate stream ("Xing" marks VBR)
            (0x0F).to_bytes(4, "big"),  # frames, bytes, TOC and quality fields present
            count.to_bytes(4, "big"),
            total.to_bytes(4, "big"),
            bytes(i * 256 // 100 for i in range(100)),  # seek table: linear, as CBR is
            (100 - 10 * MP3_QUALITY).to_bytes(4, "big"),
        ]
    )
    lame = b"".join(
        [
            b"LAME3.100",
            b"\x01",  # tag revision 0, VBR method 1: constant bitrate
            b"\x00",  # lowpass: not recorded
            bytes(8),  # replay gain: peak, radio and audiophile gain not recorded
            b"\x00",  # encoding flags, ATH type
            min(first["kbps"], 255).to_bytes(1, "big"),
            ((MP3_ENCODER_DELAY << 12) | max(0, min(padding, 0xFFF))).to_bytes(3, "big"),
            bytes(4),  # misc, MP3 gain, preset and surround
            total.to_bytes(4, "big"),  # music length: the whole file
            bytes(2),  # music CRC: not checked by decoders, and 3 MB through a Python CRC is slow
        ]
    )
    frame = bytearray(length)
    frame[:4] = header.to_bytes(4, "big")
    body = xing + lame
    frame[4 + side_info : 4 + side_info + len(body)] = body
    tag_end = 4 + side_info + len(body)
    frame[tag_end : tag_end + 2] = _crc16(bytes(frame[:tag_end])).to_bytes(2, "big")
    return bytes(frame) + stream


_INFO_TAG_BYTES = 120 + 36  # the "Info" part (with its 100-byte seek table) and the LAME part


def _info_frame_header(first_header: int, side_info: int) -> tuple[int, int]:
    """The info tag frame's header and length: the first frame's, unpadded, at a bitrate it fits in.

    A frame at 48 kb/s mono and 44.1 kHz holds 156 bytes, too few for header, side info, tag and
    CRC: the tag frame then takes the next bitrate up that holds them (a frame's bitrate is its
    own; LAME does the same), else a decoder reads a torn tag and plays the padding.
    """
    needed = 4 + side_info + _INFO_TAG_BYTES + 2
    header = first_header & ~(1 << 9)
    while True:
        length = _mp3_frame(header.to_bytes(4, "big"), 0)["length"]
        if length >= needed or (header >> 12) & 15 == 14:
            return header, length
        header += 1 << 12


def _mp3_frame(data: bytes, pos: int) -> dict | None:
    """The layer III frame header at ``pos``, or None if there is none."""
    if pos + 4 > len(data):
        return None
    word = int.from_bytes(data[pos : pos + 4], "big")
    version, layer = (word >> 19) & 3, (word >> 17) & 3
    kbps_index, sr_index = (word >> 12) & 15, (word >> 10) & 3
    if word >> 21 != 0x7FF or layer != 1 or version == 1 or kbps_index in (0, 15) or sr_index == 3:
        return None
    kbps = _MP3_KBPS[1 if version == 3 else 2][kbps_index]
    sr = _MP3_SR[version][sr_index]
    samples = 1152 if version == 3 else 576
    length = samples // 8 * kbps * 1000 // sr + ((word >> 9) & 1)
    return {
        "version": version,
        "kbps": kbps,
        "sr": sr,
        "samples": samples,
        "mode": (word >> 6) & 3,
        "length": length,
    }


def _crc16(data: bytes) -> int:
    """CRC-16/ARC (polynomial 0x8005, reflected), as the LAME tag's own checksum."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


# --- OGG: two halves at once --------------------------------------------------------------------
#
# libvorbis, like LAME, runs on one core (1.9 s of 3.5 for a three-minute remix), and libsndfile
# is called through cffi, which releases the GIL. So the second half is encoded by a second
# encoder that starts 8 x 4096 samples before the middle; the two streams are parsed into packets,
# and joined where a packet of the first ends at the same sample as a packet of the second with
# the same block sizes on both sides (the MDCT windows that overlap there are the same). Vorbis
# has no bit reservoir and libvorbis' state converges: on a three-minute song, the joined stream's
# decoded samples differ from the single stream's for a quarter of a second after the join, by at
# most 0.0016 (-56 dB), and are the same after that. The first stream's three header packets
# (libvorbis writes the same ones for the same rate, channels and quality: checked) start the
# file, and the packets are laid out in pages again with their granule positions (the sample
# each page's last packet ends at). Without such a packet in the window: one stream, as before.
#
# What else was measured for a faster OGG (three minutes of stereo at 44.1 kHz, CPU seconds, medians
# of 3-5 on a shared 2-core machine): libvorbis itself 1.5 at this quality and no less at lower ones
# (1.5-1.9 for compression levels 0.5-1.0); Opus through libsndfile 5.8 (its libopus runs at its
# highest complexity, which libsndfile doesn't expose) plus 0.3 to resample to 48 kHz; clipping
# and interleaving 0.06, parsing and re-paging the halves 0.05. So OGG stays Vorbis in two halves.

_OGG_SPLIT_MIN_SECONDS = 20.0
_OGG_PRE_ROLL = 8 * 4096  # samples the second encoder runs before the join window
_OGG_FIRST_RUNS_ON = 24 * 4096  # samples the first encoder runs past the second one's start
_OGG_MIN_PACKETS_BEFORE_JOIN = 20  # of the second stream: its state has converged by then
_OGG_PAGE_BYTES = 4096  # a page's body, as libogg fills them


def _encode_ogg(y: np.ndarray, sr: int) -> bytes:
    """``y`` (at a rate OGG takes, in Vorbis channel order) as OGG Vorbis, in two halves at once when long."""
    n = y.shape[1]
    if y.shape[0] <= 2 and n >= _OGG_SPLIT_MIN_SECONDS * sr:
        joined = _encode_ogg_halves(y, sr)
        if joined is not None:
            return joined
    return _write(_clipped_blocks(y), sr, y.shape[0], "ogg")


def _encode_ogg_halves(y: np.ndarray, sr: int) -> bytes | None:
    import threading

    channels, n = y.shape
    start = (n // 2) // 4096 * 4096 - _OGG_PRE_ROLL  # the second stream's sample 0
    stop = start + _OGG_FIRST_RUNS_ON  # the first stream's end
    streams: dict[str, bytes] = {}

    def encode(part: str, lo: int, hi: int) -> None:
        streams[part] = _write(_clipped_blocks(y, start=lo, stop=hi), sr, channels, "ogg")

    second = threading.Thread(target=encode, args=("second", start, n))
    second.start()
    encode("first", 0, stop)
    second.join()
    first_stream, second_stream = _vorbis_stream(streams["first"]), _vorbis_stream(streams.get("second", b""))
    if first_stream is None or second_stream is None or first_stream.headers != second_stream.headers:
        return None
    first_at = {end: k for k, end in enumerate(first_stream.ends)}
    a, b = first_stream, second_stream
    for k in range(_OGG_MIN_PACKETS_BEFORE_JOIN, len(b.ends) - 1):
        at = b.ends[k] + start
        i = first_at.get(at)
        if i is None or at > stop - 8192 or i + 1 >= len(a.sizes):
            continue
        if (a.sizes[i], a.sizes[i + 1]) != (b.sizes[k], b.sizes[k + 1]):
            continue
        packets = list(zip(a.packets[: i + 1], a.ends[: i + 1], strict=True))
        packets += [
            (packet, end + start) for packet, end in zip(b.packets[k + 1 :], b.ends[k + 1 :], strict=True)
        ]
        packets[-1] = (packets[-1][0], b.last_granule + start)  # the end is trimmed to the last sample
        return _ogg_pages(a.headers, packets)
    return None


@dataclass(frozen=True)
class _VorbisStream:
    headers: tuple[bytes, bytes, bytes]  # identification, comment, setup
    packets: list[bytes]  # the audio packets
    sizes: list[int]  # each one's block size
    ends: list[int]  # the sample each one's decoded audio ends at
    last_granule: int  # the final page's granule position: the stream's length


def _vorbis_stream(data: bytes) -> _VorbisStream | None:
    """A single Vorbis stream's packets, with block sizes and sample positions; None if it isn't one."""
    packets, granules = _ogg_packets(data)
    if len(packets) < 5 or packets[0][:7] != b"\x01vorbis":
        return None
    block_sizes = (1 << (packets[0][28] & 15), 1 << (packets[0][28] >> 4))
    modes = _vorbis_mode_blockflags(packets[2])
    if not modes:
        return None
    mode_bits = (len(modes) - 1).bit_length()
    sizes = [block_sizes[modes[(p[0] >> 1) & ((1 << mode_bits) - 1)]] if p else 0 for p in packets[3:]]
    ends, position = [], 0
    for k, size in enumerate(sizes):
        position += size // 4 + sizes[k - 1] // 4 if k else 0
        ends.append(position)
    # The positions are counted from the first packet; the pages' granules say where that is.
    known = [(k - 3, g) for k, g in granules.items() if k >= 3 and g >= 0]
    if not known or 0 in sizes:
        return None
    shift = known[0][1] - ends[known[0][0]]
    if any(ends[k] + shift != g for k, g in known[:-1]):  # every page but the trimmed last one
        return None
    return _VorbisStream(
        headers=(packets[0], packets[1], packets[2]),
        packets=packets[3:],
        sizes=sizes,
        ends=[end + shift for end in ends],
        last_granule=known[-1][1],
    )


def _ogg_packets(data: bytes) -> tuple[list[bytes], dict[int, int]]:
    """The packets of a single-stream Ogg file, and the granule position of each packet a page ends."""
    packets: list[bytes] = []
    granules: dict[int, int] = {}
    current = bytearray()
    pos = 0
    while pos + 27 <= len(data) and data[pos : pos + 4] == b"OggS":
        granule = int.from_bytes(data[pos + 6 : pos + 14], "little", signed=True)
        lacing = data[pos + 27 : pos + 27 + data[pos + 26]]
        body = pos + 27 + len(lacing)
        for length in lacing:
            current += data[body : body + length]
            body += length
            if length < 255:
                packets.append(bytes(current))
                current = bytearray()
        if packets:
            granules[len(packets) - 1] = granule
        pos = body
    return packets, granules


def _vorbis_mode_blockflags(setup: bytes) -> list[int] | None:
    """Each mode's block flag, read backwards from the end of the setup header, as ffmpeg does.

    The modes close the setup header: a 6-bit count minus one, then 41 bits per mode (block flag,
    window type 0, transform type 0, mapping), then the framing bit. Reading forwards would mean
    parsing every codebook, floor and residue first.
    """
    bits = int.from_bytes(setup, "little")
    top = bits.bit_length() - 1  # the framing bit
    if top < 47:
        return None

    def field(at: int, length: int) -> int:
        return (bits >> at) & ((1 << length) - 1)

    found = None
    for count in range(1, 65):
        first = top - 41 * count
        if first < 6 or field(first + 41 * (count - 1) + 1, 32) != 0:
            break
        if field(first - 6, 6) == count - 1:
            found = [field(first + 41 * m, 1) for m in range(count)]
    return found


def _ogg_pages(headers: tuple[bytes, bytes, bytes], packets: list[tuple[bytes, int]]) -> bytes:
    """An Ogg Vorbis file of these header and audio packets (serial 0, CRCs to be filled in).

    ``packets`` are ``(packet, the sample its audio ends at)``; the last page is marked the end.
    """
    out = bytearray()
    sequence = 0

    def page(body: list[bytes], granule: int, flags: int) -> None:
        nonlocal sequence
        lacing = b"".join(b"\xff" * (len(p) // 255) + bytes([len(p) % 255]) for p in body)
        out.extend(b"OggS\x00" + bytes([flags]) + granule.to_bytes(8, "little", signed=True))
        out.extend(bytes(4) + sequence.to_bytes(4, "little") + bytes(4) + bytes([len(lacing)]) + lacing)
        out.extend(b"".join(body))
        sequence += 1

    page([headers[0]], 0, 0x02)  # beginning of stream
    page([headers[1], headers[2]], 0, 0x00)  # comment and setup end their page, as the spec asks
    body: list[bytes] = []
    segments = size = 0  # of the page being filled, counted as it fills (not summed per packet)
    for k, (packet, end) in enumerate(packets):
        body.append(packet)
        segments += len(packet) // 255 + 1
        size += len(packet)
        last = k == len(packets) - 1
        if last or size >= _OGG_PAGE_BYTES or segments + len(packets[k + 1][0]) // 255 + 1 > 255:
            page(body, end, 0x04 if last else 0x00)
            body = []
            segments = size = 0
    return bytes(out)


# --- OGG: a deterministic serial number ---------------------------------------------------------
#
# An Ogg page: "OggS", version, flags, granule position (8 bytes), serial number (4, at offset
# 14), page sequence (4), CRC (4, at offset 22), segment count, segment table, body. The CRC is
# CRC-32 with polynomial 0x04C11DB7, most significant bit first, initial value 0, no final xor,
# computed with the CRC field zeroed.

# Each byte with its bits reversed: turns zlib's bit-reflected CRC-32 into Ogg's (see _ogg_crc).
_REVERSED_BITS = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _fix_ogg_serial(data: bytes) -> bytes:
    """Give every page of a single-stream OGG file a serial number derived from its content."""
    pages = []
    pos = 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS":
            raise RuntimeError("libsndfile wrote an OGG file that doesn't parse as Ogg pages")
        n_segments = data[pos + 26]
        body_start = pos + 27 + n_segments
        end = body_start + sum(data[pos + 27 : body_start])
        pages.append((pos, body_start, end))
        pos = end
    # CRC-32 of all page bodies: the same audio gives the same serial, different audio a different
    # one (as good as random for telling chained streams apart, which is what the serial is for).
    serial = 0
    for _, body_start, end in pages:
        serial = zlib.crc32(data[body_start:end], serial)
    out = bytearray(data)
    for start, _, end in pages:
        out[start + 14 : start + 18] = serial.to_bytes(4, "little")
        out[start + 22 : start + 26] = b"\0\0\0\0"
        out[start + 22 : start + 26] = _ogg_crc(bytes(out[start:end])).to_bytes(4, "little")
    return bytes(out)


def _ogg_crc(page: bytes) -> int:
    """Ogg's CRC-32 (MSB-first) of ``page`` through zlib's reflected CRC-32.

    A most-significant-bit-first CRC equals the bit-reversed least-significant-bit-first CRC of
    the bit-reversed bytes. ``zlib.crc32(x, 0xFFFFFFFF)`` starts its register at 0, and the final
    xor with 0xFFFFFFFF undoes zlib's own.
    """
    register = zlib.crc32(page.translate(_REVERSED_BITS), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{register:032b}"[::-1], 2)
