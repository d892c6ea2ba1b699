"""Encode: :class:`~musicremixer.types.Audio` to the bytes of a WAV, FLAC, OGG Vorbis or MP3 file.

Everything happens in memory: WAV, FLAC and OGG through soundfile's bundled libsndfile, MP3 through
lameenc (LAME at its standard quality, 128 kb/s): libsndfile drives LAME at a setting that took
7.5 s of CPU for three minutes of stereo, lameenc 2.3 s for the same bitrate. Each format's limits are met
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
import zlib

import numpy as np
import soundfile as sf

from musicremixer.channels import WAV_TO_VORBIS
from musicremixer.errors import ParameterError
from musicremixer.types import Audio

__all__ = ["COPY_LEVELS", "MEDIA_TYPES", "encode_audio", "encode_copy"]

MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}

# soundfile (container, subtype) of each output format.
_CODECS = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}
MP3_KBPS = 128  # stereo; mono gets half: three minutes of stereo in 2.9 MB, under Lambda's 4.5 MB
MP3_QUALITY = 5  # LAME's -q 5, its standard speed/quality trade-off
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
# (highest rate the codec takes, the rate to resample to above it)
_RATE_CEILINGS = {"flac": (655_350, 384_000), "ogg": (200_000, 192_000)}
_MAX_CHANNELS = {"wav": 1024, "flac": 8, "ogg": 255, "mp3": 2}
# Frames per write for OGG and MP3: one large write into a BytesIO segfaults libsndfile 1.2.2's
# Vorbis encoder (seen at 8 M stereo frames); 32 k frames (0.7 s at 44.1 kHz) is far from that.
_CHUNK_FRAMES = 1 << 15

# Stereo downmix (left row, right row) of the WAV/SMPTE channel layouts, without the LFE, using
# the usual -3 dB for centre and surrounds.
_H = 0.7071
_DOWNMIX = {
    3: ((1, 0, _H), (0, 1, _H)),  # L R C
    4: ((1, 0, _H, 0), (0, 1, 0, _H)),  # L R Ls Rs
    5: ((1, 0, _H, _H, 0), (0, 1, _H, 0, _H)),  # L R C Ls Rs
    6: ((1, 0, _H, 0, _H, 0), (0, 1, _H, 0, 0, _H)),  # L R C LFE Ls Rs
    7: ((1, 0, _H, 0, 0.5, _H, 0), (0, 1, _H, 0, 0.5, 0, _H)),  # L R C LFE Cs Ls Rs
    8: ((1, 0, _H, 0, _H, 0, _H, 0), (0, 1, _H, 0, 0, _H, 0, _H)),  # L R C LFE Lb Rb Ls Rs
}


def encode_audio(audio: Audio, *, format: str = "wav") -> bytes:
    """Encode audio as a file in memory.

    Parameters
    ----------
    audio : Audio
        ``y`` of shape ``(channels, n)`` with ``n >= 1``, at rate ``sr``. Samples outside [-1, 1]
        are clipped; NaN becomes 0.
    format : {'wav', 'flac', 'ogg', 'mp3'}
        WAV (16-bit PCM), FLAC (16-bit), OGG Vorbis (quality 0.4, roughly 100 kb/s for stereo music)
        or MP3 (libsndfile's LAME defaults, variable bitrate around 120 kb/s). See the module notes
        for the rates and channel counts each takes.

    Returns
    -------
    bytes
        The encoded file. Its media type is ``MEDIA_TYPES[format]``. The same audio gives the same
        bytes.

    Raises
    ------
    ParameterError
        Unknown ``format``, or ``audio`` is not ``(channels, n)`` samples at a positive rate.
    """
    if format not in _CODECS:
        raise ParameterError(f"format={format!r} is not supported: use one of {', '.join(_CODECS)}.")
    y, sr = audio.y, audio.sr
    if not isinstance(y, np.ndarray) or y.ndim != 2 or y.shape[0] < 1 or y.shape[1] < 1:
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
        data = _write(blocks, sr, frames.shape[1], format)
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


def _clipped_blocks(y: np.ndarray, *, block: int = _CHUNK_FRAMES):
    """(frames, channels) blocks of ``y`` clipped to [-1, 1], NaN as 0, in a fresh buffer each.

    Clipping into a new buffer leaves the caller's array untouched; NaN goes before anything mixes
    samples (the downmix, the resampler's filter), which would spread it. Every format is written
    in the same blocks, so the bytes never depend on anything but the samples.
    """
    for start in range(0, y.shape[1], block):
        part = y[:, start : start + block].T
        frames = np.empty(part.shape, dtype=np.float32)
        np.clip(part, -1.0, 1.0, out=frames)
        np.copyto(frames, 0.0, where=np.isnan(frames))  # clip already bounded the infinities
        yield frames


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

    Known WAV layouts (3 to 8 channels) use the ITU-style matrix in ``_DOWNMIX``; other counts put
    channel 0 left, channel 1 right and the rest in both at -3 dB.
    """
    channels = frames.shape[1]
    if channels in _DOWNMIX:
        matrix = np.array(_DOWNMIX[channels], dtype=np.float32)
    else:
        matrix = np.full((2, channels), _H, dtype=np.float32)
        matrix[:, :2] = ((1, 0), (0, 1))
    stereo = np.ascontiguousarray(frames @ matrix.T)
    peak = float(np.max(np.abs(stereo)))
    if peak > 1.0:
        stereo *= np.float32(1.0 / peak)
        np.clip(stereo, -1.0, 1.0, out=stereo)  # float32 rounding can leave a step above 1
    return stereo


def _write(blocks, sr: int, channels: int, format: str) -> bytes:
    if format == "mp3":
        return _write_mp3(blocks, sr, channels)
    buffer = io.BytesIO()
    container, subtype = _CODECS[format]
    with sf.SoundFile(
        buffer, "w", samplerate=sr, channels=channels, format=container, subtype=subtype
    ) as handle:
        for frames in blocks:
            handle.write(frames)
    return buffer.getvalue()


def _pcm16_blocks(y: np.ndarray, *, block: int = _CHUNK_FRAMES):
    """(frames, channels) int16 blocks of ``y``, as :func:`_to_pcm16` makes them (NaN as 0).

    Scaled and rounded in one reused buffer, channel by channel in ``y``'s own layout, and only then
    interleaved: three times faster than clipping interleaved floats first.
    """
    scaled = np.empty((y.shape[0], min(block, y.shape[1])), dtype=np.float32)
    for start in range(0, y.shape[1], block):
        part = y[:, start : start + block]
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


def _write_mp3(blocks, sr: int, channels: int) -> bytes:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(sr)
    encoder.set_channels(channels)
    encoder.set_bit_rate(MP3_KBPS if channels == 2 else MP3_KBPS // 2)
    encoder.set_quality(MP3_QUALITY)
    out = bytearray()
    for frames in blocks:
        pcm = frames if frames.dtype == np.int16 else _to_pcm16(frames)
        out += encoder.encode(pcm.astype("<i2", copy=False).tobytes())
    out += encoder.flush()
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
