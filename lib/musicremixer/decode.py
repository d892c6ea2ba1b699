"""Decode: encoded bytes to :class:`~musicremixer.types.Audio`, or a clear :class:`DecodeError`.

Everything happens in memory through soundfile's bundled libsndfile (WAV, FLAC, OGG Vorbis/Opus,
MP3, and AIFF as a bonus): no temp files, no ffmpeg. The audio keeps its own sample rate and
channels; the analysis makes its own mono copy.

libsndfile is forgiving where we want to be strict, so a few checks are ours:

- a WAV whose header promises more audio than the file holds (a download cut short) decodes
  silently to the part that is there; we compare the ``data`` chunk's size with the bytes present;
- an OGG cut short decodes to the complete pages; we check that the last page is whole and marks
  the end of the stream;
- FLAC, AIFF and MP3 (with a Xing/LAME length tag) know their length up front; we compare it
  with what decoded.
"""

from __future__ import annotations

import io
import math
import numbers
import struct

import numpy as np
import soundfile as sf

from musicremixer.channels import VORBIS_TO_WAV
from musicremixer.errors import DecodeError, InputTooLongError, ParameterError
from musicremixer.types import Audio

__all__ = ["READABLE_FORMATS", "decode_audio"]

READABLE_FORMATS = "WAV, FLAC, OGG Vorbis, OGG Opus, MP3 or AIFF"

# libsndfile major formats we accept. It reads more (VOC, MAT, SDS, ...), but those have weak
# signatures that stray bytes could match, and nobody sends them as songs.
_MAJOR_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "CAF", "AU", "FLAC", "OGG", "MP3"})
# Headers that name rates or channel counts outside these are damaged, not exotic.
_MIN_SR, _MAX_SR = 1_000, 768_000
_MAX_CHANNELS = 64
# A file may be short of what its header promises by this much (writers round; some drop a
# partial last block) before we call it cut off.
_CUT_TOLERANCE_S = 0.1
# Frames per read: big enough that libsndfile's per-call cost vanishes, small enough that a file
# past the length limit is refused after decoding little more than the limit.
_BLOCK_FRAMES = 1 << 18
# libsndfile reports an unknown length as SF_COUNT_MAX; anything near it means "unknown".
_UNKNOWN_FRAMES = 1 << 62
_SFE_BAD_SEEK = 39  # libsndfile's "Internal psf_fseek() failed."
# Decoded float32 bytes per encoded byte beyond which a header's length isn't trusted for
# preallocation (FLAC expands about 2-3x, MP3 and Vorbis about 10-15x; silence much more).
_MAX_EXPANSION = 64

# Leading bytes of things people send by mistake, for a message that says what they sent.
_NOT_AUDIO = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x1a\x45\xdf\xa3", "a WebM/Matroska file"),
    (b"\x30\x26\xb2\x75", "a WMA/ASF file"),
    (b"{", "JSON"),
)
# Leading bytes of the audio we read: if those fail to open, the file is damaged, not foreign.
_AUDIO_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b"caff", b".snd")


def decode_audio(data: bytes, *, name: str = "input", max_seconds: float | None = None) -> Audio:
    """Decode an audio file held in memory.

    Parameters
    ----------
    data : bytes
        The whole encoded file: WAV (8/16/24/32-bit integer, 32/64-bit float PCM, and the other
        codecs libsndfile reads), FLAC, OGG Vorbis, OGG Opus, MP3 or AIFF, at any common rate and
        with any number of channels.
    name : str
        What to call the file in error messages (its file name or URL).
    max_seconds : float > 0 or None
        Refuse audio longer than this. The length is checked from the header before decoding
        where the format records it, and while decoding otherwise.

    Returns
    -------
    Audio
        ``y`` has shape ``(channels, n)``, dtype float32, values in [-1, 1], at the file's own rate
        and channel count (multichannel OGG is put in WAV channel order). Non-finite samples
        (NaN, inf; only possible in float WAVs) become 0. Float and lossy files whose peak is above
        1 are scaled down to peak 1 rather than clipped.

    Raises
    ------
    DecodeError
        ``data`` is empty, cut off, damaged, not audio, or holds no samples.
    InputTooLongError
        The audio is longer than ``max_seconds``.
    ParameterError
        ``max_seconds`` is not a positive number or ``data`` is not bytes.
    """
    if max_seconds is not None and not (
        isinstance(max_seconds, numbers.Real)
        and not isinstance(max_seconds, bool)
        and 0 < max_seconds < math.inf
    ):
        raise ParameterError(
            f"max_seconds={max_seconds!r} is not valid: pass a number of seconds > 0 or None."
        )
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParameterError(f"decode_audio needs the file's bytes, not {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise DecodeError(f'"{name}" is empty (0 bytes): send the audio file itself ({READABLE_FORMATS}).')
    try:
        handle = sf.SoundFile(io.BytesIO(data))
    except (sf.SoundFileError, RuntimeError, ValueError, TypeError, OSError, EOFError) as exc:
        raise _unreadable(data, name) from exc
    with handle:
        kind = _describe(handle)
        _check_header(handle, name, kind)
        sr, channels = int(handle.samplerate), int(handle.channels)
        major, subtype = handle.format, handle.subtype
        header_frames = int(handle.frames) if 0 < handle.frames < _UNKNOWN_FRAMES else None
        limit = None if max_seconds is None else int(max_seconds * sr)
        if limit is not None and header_frames is not None and header_frames > limit:
            raise _too_long(name, header_frames / sr, max_seconds)
        # Cheap checks on the bytes first: no point decoding a file we will call cut off.
        if major in ("WAV", "WAVEX", "RF64"):
            _check_riff_complete(data, name)
        elif major == "OGG":
            _check_ogg_complete(data, name)
        y = _read_frames(handle, name, kind, limit, max_seconds, len(data))
    n = y.shape[1]
    if n == 0:
        raise DecodeError(f'"{name}" holds no audio (0 samples of {kind}): send a file with sound in it.')
    promised = _promised_frames(major, data, header_frames)
    if promised is not None and (promised - n) / sr > _CUT_TOLERANCE_S:
        raise _cut_off(name, promised / sr, n / sr)
    if major == "OGG" and channels in VORBIS_TO_WAV:
        y = y[list(VORBIS_TO_WAV[channels])]
    y = _sanitize(y, subtype)
    return Audio(y=y, sr=sr)


# --- reading ---------------------------------------------------------------------------------------


def _read_frames(
    handle: sf.SoundFile,
    name: str,
    kind: str,
    limit: int | None,
    max_seconds: float | None,
    encoded_bytes: int,
) -> np.ndarray:
    """Decode everything (or up to ``limit`` frames) as float32 ``(channels, n)``.

    When the header gives a plausible length, blocks are copied straight into one array of that
    size, so the peak memory is the audio once plus a block rather than twice.
    """
    channels = handle.channels
    known_length = 0 < handle.frames < _UNKNOWN_FRAMES
    out = None
    if known_length:
        capacity = handle.frames if limit is None else min(handle.frames, limit + 1)
        # A header can lie (a FLAC claiming hours in a few bytes): trust it only this far.
        if capacity * channels * 4 <= _MAX_EXPANSION * encoded_bytes + (1 << 24):
            out = np.empty((channels, capacity), dtype=np.float32)
    extra = []  # blocks past the header's promise (or all of them, when there is no `out`)
    total = 0
    try:
        while True:
            if known_length:
                block = handle.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                at_end = block.shape[0] < _BLOCK_FRAMES
            else:
                block, at_end = _read_unknown_length(handle)
            k = block.shape[0]
            if out is not None and total + k <= out.shape[1]:
                out[:, total : total + k] = block.T
            else:
                extra.append(block)
            total += k
            if limit is not None and total > limit:
                # Only formats that hide their length get here (some MP3s, streamed FLAC).
                raise InputTooLongError(
                    f'"{name}" is longer than the limit of {_format_seconds(max_seconds)} '
                    f"(it goes on past {_format_seconds(total / handle.samplerate)}): "
                    "trim it or send a shorter file."
                )
            if k == 0 or at_end:
                break
    except (sf.SoundFileError, RuntimeError, ValueError, OSError, EOFError) as exc:
        # libsndfile raises mid-stream when a FLAC or OGG runs out or turns to garbage.
        raise DecodeError(
            f'"{name}" ({kind}) seems cut off or damaged: decoding failed after '
            f"{_format_seconds(total / handle.samplerate)}. "
            "Download or export it again and send the whole file."
        ) from exc
    if out is not None and not extra:
        y = out[:, :total]
        # Don't keep a big buffer alive for a little audio (a header that promised too much).
        return y.copy() if total < 0.9 * out.shape[1] else y
    filled = total - sum(block.shape[0] for block in extra)
    parts = ([] if out is None else [out[:, :filled]]) + [block.T for block in extra]
    if not parts:
        return np.zeros((channels, 0), dtype=np.float32)
    return np.concatenate(parts, axis=1)


def _read_unknown_length(handle: sf.SoundFile) -> tuple[np.ndarray, bool]:
    """Read one block of a file whose header doesn't give its length; ``(frames, at_end)``.

    libsndfile 1.2.2 fails the read that reaches the end of such a file (a FLAC written by a
    stream encoder, total_samples = 0) with "Internal psf_fseek() failed", and soundfile then
    drops the block. The samples are in the buffer all the same: fill it with NaN (which no
    decoder produces) and keep the decoded prefix. Any other error is real and propagates.
    """
    out = np.full((_BLOCK_FRAMES, handle.channels), np.nan, dtype=np.float32)
    try:
        block = handle.read(out=out)
    except sf.LibsndfileError as exc:
        if exc.code != _SFE_BAD_SEEK:
            raise
        decoded = ~np.isnan(out).any(axis=1)
        n = _BLOCK_FRAMES if decoded.all() else int(np.argmin(decoded))
        return out[:n], True
    return block, block.shape[0] < _BLOCK_FRAMES


def _sanitize(y: np.ndarray, subtype: str) -> np.ndarray:
    """Keep the Audio promise (finite, within [-1, 1]) for the subtypes that can break it.

    Integer PCM decodes within [-1, 1) by construction, so only float and lossy data is checked.
    """
    if subtype in ("FLOAT", "DOUBLE") and not np.isfinite(y).all():
        np.nan_to_num(y, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    if subtype.startswith("PCM") or subtype in ("ULAW", "ALAW"):
        return y
    peak = max(float(y.max()), -float(y.min()))
    if peak > 1.0:
        # Float files may carry headroom above full scale and lossy decoders overshoot a little;
        # scaling keeps the shape of the waveform where clipping would flatten the peaks.
        y *= np.float32(1.0 / peak)
        np.clip(y, -1.0, 1.0, out=y)  # float32 rounding can leave a peak one step above 1
    return y


# --- checks ----------------------------------------------------------------------------------------


def _check_header(handle: sf.SoundFile, name: str, kind: str) -> None:
    if handle.format not in _MAJOR_FORMATS:
        raise DecodeError(f'"{name}" is {kind}, which we don\'t take: send {READABLE_FORMATS}.')
    if not (_MIN_SR <= handle.samplerate <= _MAX_SR):
        raise DecodeError(
            f'"{name}" claims a sample rate of {handle.samplerate} Hz, so its header is damaged: '
            f"export it again (rates from {_MIN_SR} to {_MAX_SR} Hz are accepted)."
        )
    if not (1 <= handle.channels <= _MAX_CHANNELS):
        raise DecodeError(
            f'"{name}" claims {handle.channels} channels, so its header is damaged: '
            f"export it again (1 to {_MAX_CHANNELS} channels are accepted)."
        )


def _check_riff_complete(data: bytes, name: str) -> None:
    """Refuse a WAV whose ``data`` chunk is shorter than its header says.

    libsndfile quietly reads what is there; a download cut in half would become half a song.
    Sizes that streaming writers use as placeholders (0, 0xFFFFFFFF, ...) are not promises.
    """
    riff = _riff_data_chunk(data)
    if riff is None:
        return
    declared, present, byte_rate = riff
    if declared in (0, 0xFFFFFFFF, 0x7FFFFFFF, 0xFFFFFFFF - 8) or byte_rate <= 0:
        return
    if (declared - present) / byte_rate > _CUT_TOLERANCE_S:
        raise _cut_off(name, declared / byte_rate, present / byte_rate)


def _riff_data_chunk(data: bytes) -> tuple[int, int, int] | None:
    """``(declared bytes, present bytes, bytes per second)`` of a RIFF/RIFX/RF64 WAV's data chunk."""
    if len(data) < 12 or data[8:12] != b"WAVE" or data[:4] not in (b"RIFF", b"RIFX", b"RF64"):
        return None
    order = ">" if data[:4] == b"RIFX" else "<"
    byte_rate = 0
    ds64_data_size = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from(order + "I", data, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt " and body + 12 <= len(data):
            (byte_rate,) = struct.unpack_from(order + "I", data, body + 8)
        elif chunk_id == b"ds64" and body + 16 <= len(data):
            # RF64 keeps the real 64-bit data size here and 0xFFFFFFFF in the data chunk.
            (ds64_data_size,) = struct.unpack_from("<Q", data, body + 8)
        elif chunk_id == b"data":
            if size == 0xFFFFFFFF and ds64_data_size is not None:
                size = ds64_data_size
            return size, len(data) - body, byte_rate
        pos = body + size + (size & 1)  # chunks are padded to an even length
    return None


def _check_ogg_complete(data: bytes, name: str) -> None:
    """Refuse an OGG file whose last page is incomplete or doesn't mark the end of the stream.

    libsndfile decodes the complete pages of a cut file without complaint (and computes its
    length from them), so the cut would go unnoticed. Walking the page headers from the start is a
    few milliseconds even for a long file, and can't be fooled by "OggS" inside a packet.
    """
    pos, size = 0, len(data)
    last_flags = None
    while pos < size:
        if data[pos : pos + 4] != b"OggS":
            # Junk between pages: resynchronise as libogg does; junk at the very end is ignored.
            pos = data.find(b"OggS", pos + 1)
            if pos < 0:
                break
        header_end = pos + 27
        segments_end = header_end + (data[pos + 26] if pos + 26 < size else 255)
        if segments_end > size:
            raise _ogg_cut_off(name)
        page_end = segments_end + sum(data[header_end:segments_end])
        if page_end > size:
            raise _ogg_cut_off(name)
        last_flags = data[pos + 5]
        pos = page_end
    if last_flags is None or not last_flags & 0x04:  # 0x04: end of stream
        raise _ogg_cut_off(name)


def _ogg_cut_off(name: str) -> DecodeError:
    return DecodeError(
        f'"{name}" (OGG) seems cut off: its last page is incomplete or does not end the stream. '
        "Download or export it again and send the whole file."
    )


def _promised_frames(major_format: str, data: bytes, header_frames: int | None) -> int | None:
    """How many frames the file's header promises, where it does and libsndfile doesn't recount.

    WAV and OGG are checked on the bytes before decoding instead. libsndfile's count for AIFF is
    recounted from the bytes present, so it is read from the COMM chunk here. An MP3's count is the
    promise only when a Xing/Info (LAME) tag records it; otherwise it is estimated from the bitrate.
    FLAC's comes from STREAMINFO. (W64 and AU recount too and are not checked.)
    """
    if major_format in ("WAV", "WAVEX", "RF64", "OGG", "W64", "AU"):
        return None
    if major_format == "AIFF":
        return _aiff_frames(data)
    if major_format == "MP3":
        start = _id3v2_size(data)
        first_frame = data[start : start + 4096]
        if b"Xing" not in first_frame and b"Info" not in first_frame:
            return None
    return header_frames


def _aiff_frames(data: bytes) -> int | None:
    """``numSampleFrames`` from an AIFF/AIFC file's COMM chunk (big-endian IFF chunks)."""
    if len(data) < 12 or data[:4] != b"FORM" or data[8:12] not in (b"AIFF", b"AIFC"):
        return None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from(">I", data, pos + 4)
        if chunk_id == b"COMM" and pos + 14 <= len(data):
            (frames,) = struct.unpack_from(">I", data, pos + 10)  # after channels (2 bytes)
            return frames
        pos += 8 + size + (size & 1)
    return None


def _id3v2_size(data: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag (0 if none); its size is stored 7 bits per byte."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


# --- messages --------------------------------------------------------------------------------------


def _describe(handle: sf.SoundFile) -> str:
    return f"{handle.format}/{handle.subtype}"


def _unreadable(data: bytes, name: str) -> DecodeError:
    """The error for bytes libsndfile would not open, saying what they look like."""
    head = data[:64]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"<":
        return DecodeError(
            f'"{name}" is a web page (HTML/XML), not audio. If it came from a URL, link to the audio '
            f"file itself, not the page that plays it; we read {READABLE_FORMATS}."
        )
    if head[4:8] == b"ftyp":
        return DecodeError(
            f'"{name}" is an MP4/M4A (AAC) file, which we can\'t read: convert it to {READABLE_FORMATS}.'
        )
    for magic, what in _NOT_AUDIO:
        if head.startswith(magic):
            return DecodeError(f'"{name}" is {what}, not audio we read: send {READABLE_FORMATS}.')
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] != b"WAVE":
        kind = head[8:12].decode("latin-1")
        return DecodeError(f'"{name}" is a RIFF file of type {kind!r}, not a WAV: send {READABLE_FORMATS}.')
    if head.startswith(_AUDIO_MAGIC) or _looks_like_mpeg(head):
        return DecodeError(
            f'"{name}" looks like audio but can\'t be decoded: the file seems cut off or damaged. '
            f"Download or export it again ({READABLE_FORMATS}) and send the whole file."
        )
    return DecodeError(f'"{name}" is not audio we can read: send {READABLE_FORMATS}.')


def _looks_like_mpeg(head: bytes) -> bool:
    # An MPEG audio frame starts with 11 set bits; layer bits 01 (III), 10 (II) or 11 (I).
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0


def _cut_off(name: str, promised_s: float, present_s: float) -> DecodeError:
    return DecodeError(
        f'"{name}" seems cut off: its header promises {_format_seconds(promised_s)} of audio but only '
        f"{_format_seconds(present_s)} is there. Download or export it again and send the whole file."
    )


def _too_long(name: str, seconds: float, max_seconds: float) -> InputTooLongError:
    return InputTooLongError(
        f'"{name}" is {_format_seconds(seconds)} long; the limit is {_format_seconds(max_seconds)}: '
        "trim it or send a shorter file."
    )


def _format_seconds(seconds: float) -> str:
    """``'42.5 s'`` or ``'12 min 3 s'``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
