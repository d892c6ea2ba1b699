"""Decode: encoded bytes to :class:`~musicremixer.types.Audio`, or a clear :class:`DecodeError`.

Everything happens in memory through soundfile's bundled libsndfile (WAV, FLAC, OGG Vorbis/Opus,
MP3, and AIFF as a bonus): no temp files, no ffmpeg. The analysis makes its own mono copy.

**What is kept.** The audio is decoded block by block and each block is folded on the way to what
the render needs: more than two channels are mixed down to stereo, rates above 48 kHz are resampled
to 48 kHz (``MAX_CHANNELS``, ``MAX_SR``). The output of a remix is at most that anyway (MP3 and the
page's player take no more, and nobody hears above 24 kHz), and it is what bounds memory: ten
minutes of 7.1 at 192 kHz would be 3.7 GB as float32, folded they are 230 MB. Only the folded
audio is ever held whole.

**Samples, not seconds or bytes.** Work and memory grow with samples (seconds x rate x channels),
so both are bounded in samples, from the header before anything is decoded where the format
records its length, and while decoding otherwise: a file may have at most ``MAX_DECODED_SAMPLES``
as encoded (the decoding time), and all the inputs of a remix may keep at most ``MAX_KEPT_SAMPLES``
once folded (the memory). Past either the error is :class:`TooManySamplesError`, which names the
numbers and what fits.

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
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from musicremixer.channels import VORBIS_TO_WAV, stereo_downmix
from musicremixer.errors import DecodeError, InputTooLongError, ParameterError, TooManySamplesError
from musicremixer.types import Audio

__all__ = [
    "MAX_CHANNELS",
    "MAX_DECODED_SAMPLES",
    "MAX_KEPT_SAMPLES",
    "MAX_SR",
    "READABLE_FORMATS",
    "decode_audio",
    "kept_shape",
]

READABLE_FORMATS = "WAV, FLAC, OGG Vorbis, OGG Opus, MP3 or AIFF"

#: Highest sample rate kept for the render (and so of a remix); higher rates are resampled to it.
MAX_SR = 48_000
#: Most channels kept; more are mixed down to stereo.
MAX_CHANNELS = 2
#: Most samples (frames x channels, as encoded) one file may have: ten minutes of 7.1 at 192 kHz,
#: the largest shape the function's published limits (600 s) let through. Decoding and folding that
#: takes about 6 s on one core.
MAX_DECODED_SAMPLES = 600 * 192_000 * 8
#: Most samples (frames x channels, once folded) all the inputs of one remix may keep: 15 minutes of
#: stereo at 48 kHz (three 5-minute songs), 346 MB as float32. The render holds them and an output as
#: long again: a remix or a mix of that much to its own length as WAV stays under 1 GB
#: (``tests/lib/test_decode_memory.py``).
MAX_KEPT_SAMPLES = 900 * MAX_SR * 2

# libsndfile major formats we accept. It reads more (VOC, MAT, SDS, ...), but those have weak
# signatures that stray bytes could match, and nobody sends them as songs.
_MAJOR_FORMATS = frozenset({"WAV", "WAVEX", "RF64", "W64", "AIFF", "CAF", "AU", "FLAC", "OGG", "MP3"})
# Headers that name rates or channel counts outside these are damaged, not exotic.
_MIN_SR, _MAX_SR = 1_000, 768_000
_MAX_FILE_CHANNELS = 64
# A file may be short of what its header promises by this much (writers round; some drop a
# partial last block) before we call it cut off.
_CUT_TOLERANCE_S = 0.1
# Samples per read (2 MB of float32): big enough that libsndfile's per-call cost vanishes, small
# enough that a file past a limit is refused after decoding little more than the limit.
_BLOCK_SAMPLES = 1 << 19
# libsndfile reports an unknown length as SF_COUNT_MAX; anything near it means "unknown".
_UNKNOWN_FRAMES = 1 << 62
_SFE_BAD_SEEK = 39  # libsndfile's "Internal psf_fseek() failed."

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


def decode_audio(
    data: bytes,
    *,
    name: str = "input",
    max_seconds: float | None = None,
    max_samples: int = MAX_KEPT_SAMPLES,
    samples_before: int = 0,
    max_sr: int | None = MAX_SR,
    max_channels: int | None = MAX_CHANNELS,
) -> Audio:
    """Decode an audio file held in memory, folded to what a remix keeps.

    Parameters
    ----------
    data : bytes-like
        The whole encoded file: WAV (8/16/24/32-bit integer, 32/64-bit float PCM, and the other
        codecs libsndfile reads), FLAC, OGG Vorbis, OGG Opus, MP3 or AIFF, at any common rate and
        with any number of channels. A ``memoryview`` (of an ``mmap``, say) is read without a copy.
    name : str
        What to call the file in error messages (its file name or URL).
    max_seconds : float > 0 or None
        Refuse audio longer than this. The length is checked from the header before decoding
        where the format records it, and while decoding otherwise.
    max_samples : int > 0
        Most samples (frames x channels, after folding) the result, with ``samples_before``, may
        hold. Checked like ``max_seconds``.
    samples_before : int >= 0
        Samples the remix's earlier inputs already keep: they count against ``max_samples``.
    max_sr : int > 0 or None
        Resample audio above this rate to it (soxr, high quality). ``None`` keeps the file's rate.
    max_channels : {1, 2, None}
        Mix more channels than this down to stereo (``2``) or mono (``1``). ``None`` keeps them all.

    Returns
    -------
    Audio
        ``y`` has shape ``(channels, n)``, dtype float32, values in [-1, 1], at the file's own rate
        and channel count up to ``max_sr`` and ``max_channels`` (multichannel audio is in WAV
        channel order). Non-finite samples (NaN, inf; only possible in float WAVs) become 0. Float,
        lossy and folded audio whose peak is above 1 is scaled down to peak 1 rather than clipped.

    Raises
    ------
    DecodeError
        ``data`` is empty, cut off, damaged, not audio, or holds no samples.
    InputTooLongError
        The audio is longer than ``max_seconds``.
    TooManySamplesError
        The file has more than :data:`MAX_DECODED_SAMPLES` samples, or would keep more than
        ``max_samples``.
    ParameterError
        An option is out of range or ``data`` is not bytes.
    """
    _check_options(max_seconds, max_samples, samples_before, max_sr, max_channels)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParameterError(f"decode_audio needs the file's bytes, not {type(data).__name__}.")
    if isinstance(data, memoryview):
        data = data.cast("B") if data.format != "B" or data.ndim != 1 else data
    if not len(data):
        raise DecodeError(f'"{name}" is empty (0 bytes): send the audio file itself ({READABLE_FORMATS}).')
    try:
        handle = sf.SoundFile(io.BytesIO(data) if isinstance(data, bytes) else _BufferFile(data))
    except (sf.SoundFileError, RuntimeError, ValueError, TypeError, OSError, EOFError) as exc:
        raise _unreadable(bytes(data[:64]), name) from exc
    with handle:
        kind = _describe(handle)
        _check_header(handle, name, kind)
        sr, channels = int(handle.samplerate), int(handle.channels)
        major, subtype = handle.format, handle.subtype
        header_frames = int(handle.frames) if 0 < handle.frames < _UNKNOWN_FRAMES else None
        fold = _Fold.plan(
            sr, channels, major=major, subtype=subtype, max_sr=max_sr, max_channels=max_channels
        )
        bounds = _Bounds(
            name=name,
            sr=sr,
            channels=channels,
            fold=fold,
            max_frames=None if max_seconds is None else int(max_seconds * sr),
            max_seconds=max_seconds,
            max_kept=max_samples - samples_before,
            max_samples=max_samples,
            samples_before=samples_before,
        )
        if header_frames is not None:
            bounds.check(header_frames, known=True)
        # Cheap checks on the bytes first: no point decoding a file we will call cut off.
        if major in ("WAV", "WAVEX", "RF64"):
            _check_riff_complete(data, name)
        elif major == "OGG":
            _check_ogg_complete(data, name)
        y, n = _read_frames(handle, name, kind, fold, bounds, header_frames)
    if n == 0:
        raise DecodeError(f'"{name}" holds no audio (0 samples of {kind}): send a file with sound in it.')
    promised = _promised_frames(major, data, header_frames)
    if promised is not None and (promised - n) / sr > _CUT_TOLERANCE_S:
        raise _cut_off(name, promised / sr, n / sr)
    y = _limit_peak(y, scale=fold.may_pass_full_scale)
    return Audio(y=y, sr=fold.out_sr)


def kept_shape(
    sr: int, channels: int, *, max_sr: int | None = MAX_SR, max_channels: int | None = MAX_CHANNELS
) -> tuple[int, int]:
    """``(sample rate, channels)`` that :func:`decode_audio` keeps of a file of this rate and channels."""
    out_sr = sr if max_sr is None else min(sr, max_sr)
    out_channels = channels if max_channels is None or channels <= max_channels else max_channels
    return out_sr, out_channels


def _check_options(max_seconds, max_samples, samples_before, max_sr, max_channels) -> None:
    if max_seconds is not None and not (
        isinstance(max_seconds, numbers.Real)
        and not isinstance(max_seconds, bool)
        and 0 < max_seconds < math.inf
    ):
        raise ParameterError(
            f"max_seconds={max_seconds!r} is not valid: pass a number of seconds > 0 or None."
        )
    if not (isinstance(max_samples, numbers.Integral) and max_samples > 0):
        raise ParameterError(f"max_samples={max_samples!r} is not valid: pass a whole number > 0.")
    if not (isinstance(samples_before, numbers.Integral) and samples_before >= 0):
        raise ParameterError(f"samples_before={samples_before!r} is not valid: pass a whole number >= 0.")
    if max_sr is not None and not (isinstance(max_sr, numbers.Integral) and max_sr >= _MIN_SR):
        raise ParameterError(
            f"max_sr={max_sr!r} is not valid: pass a rate of at least {_MIN_SR} Hz, or None."
        )
    if max_channels not in (1, 2, None):
        raise ParameterError(f"max_channels={max_channels!r} is not valid: pass 1, 2 or None.")


class _BufferFile(io.RawIOBase):
    """A read-only, seekable file over a bytes-like buffer, without copying it (unlike BytesIO)."""

    def __init__(self, buffer: memoryview | bytearray) -> None:
        self._view = memoryview(buffer)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        n = max(0, min(len(target), len(self._view) - self._pos))
        target[:n] = self._view[self._pos : self._pos + n]
        self._pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fold:
    """What each decoded block goes through on its way to the kept audio."""

    sr: int
    out_sr: int
    out_channels: int
    order: tuple[int, ...] | None  # OGG's channels into WAV order
    matrix: np.ndarray | None  # (out_channels, channels) downmix
    finite: bool  # whether the subtype can hold NaN or inf (float PCM)
    lossy_or_float: bool

    @classmethod
    def plan(cls, sr, channels, *, major, subtype, max_sr, max_channels) -> _Fold:
        out_sr, out_channels = kept_shape(sr, channels, max_sr=max_sr, max_channels=max_channels)
        order = VORBIS_TO_WAV.get(channels) if major == "OGG" else None
        matrix = None
        if out_channels != channels:
            matrix = stereo_downmix(channels) if out_channels == 2 else np.full((1, channels), 1 / channels)
            matrix = matrix.astype(np.float32)
        pcm = subtype.startswith("PCM") or subtype in ("ULAW", "ALAW")
        return cls(
            sr=sr,
            out_sr=out_sr,
            out_channels=out_channels,
            order=order,
            matrix=matrix,
            finite=subtype not in ("FLOAT", "DOUBLE"),
            lossy_or_float=not pcm,
        )

    @property
    def resamples(self) -> bool:
        return self.out_sr != self.sr

    @property
    def may_pass_full_scale(self) -> bool:
        """Whether kept samples can pass 1: float and lossy data, a downmix's sum, a filter's overshoot."""
        return self.lossy_or_float or self.matrix is not None or self.resamples

    def frames_out(self, frames_in: int) -> int:
        """Kept frames for ``frames_in`` decoded ones (the resampler's count, give or take one)."""
        return frames_in if not self.resamples else math.ceil(frames_in * self.out_sr / self.sr)

    def stream(self):
        if not self.resamples:
            return None
        import soxr  # only needed for high rates

        return soxr.ResampleStream(self.sr, self.out_sr, self.out_channels, dtype="float32", quality="HQ")

    def apply(self, block: np.ndarray, stream, *, last: bool) -> np.ndarray:
        """``(frames, channels)`` decoded samples to ``(out_channels, frames')`` kept ones."""
        if not self.finite:
            # Before anything mixes samples (the downmix, the resampler's filter), which would spread it.
            np.nan_to_num(block, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        if self.order is not None:
            block = block[:, self.order]
        if self.matrix is not None:
            block = block @ self.matrix.T
        if stream is not None:
            block = stream.resample_chunk(np.ascontiguousarray(block), last=last)
        return block.T


@dataclass(frozen=True)
class _Bounds:
    """The limits one file is held to, in decoded frames, decoded samples and kept samples."""

    name: str
    sr: int
    channels: int
    fold: _Fold
    max_frames: int | None
    max_seconds: float | None
    max_kept: int
    max_samples: int
    samples_before: int

    def check(self, frames: int, *, known: bool) -> None:
        """Refuse ``frames`` decoded frames: the header's count (``known``) or how far decoding got."""
        if self.max_frames is not None and frames > self.max_frames:
            if known:
                raise _too_long(self.name, frames / self.sr, self.max_seconds)
            # Only formats that hide their length get here (some MP3s, streamed FLAC).
            raise InputTooLongError(
                f'"{self.name}" is longer than the limit of {_format_seconds(self.max_seconds)} '
                f"(it goes on past {_format_seconds(frames / self.sr)}): trim it or send a shorter file."
            )
        if frames * self.channels > MAX_DECODED_SAMPLES:
            raise self._too_many_decoded(frames, known=known)
        kept = self.fold.frames_out(frames) * self.fold.out_channels
        if kept > self.max_kept:
            raise self._too_many_kept(kept, known=known)

    def _too_many_decoded(self, frames: int, *, known: bool) -> TooManySamplesError:
        size = "" if known else "more than "
        return TooManySamplesError(
            f'"{self.name}" is {size}{_format_seconds(frames / self.sr)} of {self.channels} channels at '
            f"{_format_khz(self.sr)}: {size}{_format_count(frames * self.channels)} samples to decode. "
            f"A file may have at most {_format_count(MAX_DECODED_SAMPLES)} samples (seconds x rate x "
            f"channels): {_fits(MAX_DECODED_SAMPLES, self.sr, self.channels)}, or "
            f"{_fits(MAX_DECODED_SAMPLES, 44_100, 2)}. Send it shorter, or as stereo at 48 kHz or less."
        )

    def _too_many_kept(self, kept: int, *, known: bool) -> TooManySamplesError:
        fold = self.fold
        size = "" if known else "more than "
        shape = (
            f"{fold.out_channels} channel{'s' if fold.out_channels > 1 else ''} at {_format_khz(fold.out_sr)}"
        )
        fits = f"{_fits(self.max_samples, 48_000, 2)} or {_fits(self.max_samples, 44_100, 2)}"
        if self.samples_before:
            return TooManySamplesError(
                f'With "{self.name}" the songs of this remix would hold {size}'
                f"{_format_count(kept + self.samples_before)} samples ({shape} for this one); together "
                f"they may hold at most {_format_count(self.max_samples)} samples: {fits}. "
                "Send fewer or shorter songs."
            )
        return TooManySamplesError(
            f'"{self.name}" would hold {size}{_format_count(kept)} samples as {shape}; a remix may hold '
            f"at most {_format_count(self.max_samples)} samples: {fits}. Trim it or send a shorter file."
        )


def _read_frames(
    handle: sf.SoundFile, name: str, kind: str, fold: _Fold, bounds: _Bounds, header_frames: int | None
) -> tuple[np.ndarray, int]:
    """Decode and fold everything: ``(kept samples (out_channels, n'), decoded frames n)``.

    When the header gives the length (and it passed the bounds), blocks are folded straight into
    one array of the kept size, so the peak memory is the kept audio once plus a block. A header
    that promises more than the file holds only costs address space: ``np.empty`` pages are not
    touched until written, and the result is then copied to its size.
    """
    block_frames = max(1024, _BLOCK_SAMPLES // handle.channels)
    out = None
    if header_frames is not None:
        limit = header_frames if bounds.max_frames is None else min(header_frames, bounds.max_frames + 1)
        # The resampler's count may differ from the estimate by a frame or two: room for that.
        slack = 16 if fold.resamples else 0
        out = np.empty((fold.out_channels, fold.frames_out(limit) + slack), dtype=np.float32)
    stream = fold.stream()
    extra = []  # folded blocks past the header's promise (or all of them, when there is no `out`)
    decoded = kept = 0
    buffer = np.empty((block_frames, handle.channels), dtype=np.float32)
    try:
        while True:
            block, at_end = _read_block(handle, buffer)
            decoded += block.shape[0]
            bounds.check(decoded, known=False)
            folded = fold.apply(block, stream, last=at_end or block.shape[0] == 0)
            k = folded.shape[1]
            if out is not None and kept + k <= out.shape[1]:
                out[:, kept : kept + k] = folded
            else:
                extra.append(np.array(folded, dtype=np.float32))
            kept += k
            if block.shape[0] == 0 or at_end:
                break
    except (sf.SoundFileError, RuntimeError, ValueError, OSError, EOFError) as exc:
        # libsndfile raises mid-stream when a FLAC or OGG runs out or turns to garbage.
        raise DecodeError(
            f'"{name}" ({kind}) seems cut off or damaged: decoding failed after '
            f"{_format_seconds(decoded / handle.samplerate)}. "
            "Download or export it again and send the whole file."
        ) from exc
    if out is not None and not extra:
        if kept < 0.9 * out.shape[1]:
            # Don't keep a big buffer alive for a little audio (a header that promised too much).
            return out[:, :kept].copy(), decoded
        return _compact(out, kept), decoded
    filled = kept - sum(part.shape[1] for part in extra)
    parts = ([] if out is None else [out[:, :filled]]) + extra
    if not parts:
        return np.zeros((fold.out_channels, 0), dtype=np.float32), decoded
    return np.concatenate(parts, axis=1), decoded


def _compact(out: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` columns of ``out`` as a C-contiguous array in ``out``'s own memory.

    A slice of the rows would be strided, and the render makes every source contiguous: a second
    full copy. Moving each row down in place costs at most a row's temporary instead.
    """
    if n == out.shape[1]:
        return out
    flat = out.reshape(-1)
    width = out.shape[1]
    for row in range(1, out.shape[0]):
        flat[row * n : (row + 1) * n] = flat[row * width : row * width + n]
    return flat[: out.shape[0] * n].reshape(out.shape[0], n)


def _read_block(handle: sf.SoundFile, buffer: np.ndarray) -> tuple[np.ndarray, bool]:
    """Read one block into ``buffer``: ``(frames, at_end)``.

    libsndfile 1.2.2 fails the read that reaches the end of a FLAC whose header doesn't give its
    true length (a stream encoder's total_samples = 0, or a header promising more than is there)
    with "Internal psf_fseek() failed", and soundfile then drops the block. The samples are in the
    buffer all the same: fill it with NaN (which no decoder produces) and keep the decoded prefix.
    Any other error is real and propagates.
    """
    buffer.fill(np.nan)
    try:
        block = handle.read(out=buffer)
    except sf.LibsndfileError as exc:
        if exc.code != _SFE_BAD_SEEK:
            raise
        decoded = ~np.isnan(buffer).any(axis=1)
        n = buffer.shape[0] if decoded.all() else int(np.argmin(decoded))
        return buffer[:n], True
    return block, block.shape[0] < buffer.shape[0]


def _limit_peak(y: np.ndarray, *, scale: bool) -> np.ndarray:
    """Keep the Audio promise (within [-1, 1]) where the samples can break it (``scale``).

    Integer PCM decodes within [-1, 1) by construction; float and lossy data, a downmix's sum and
    a resampler's overshoot may pass full scale.
    """
    if not scale or y.size == 0:
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
    if not (1 <= handle.channels <= _MAX_FILE_CHANNELS):
        raise DecodeError(
            f'"{name}" claims {handle.channels} channels, so its header is damaged: '
            f"export it again (1 to {_MAX_FILE_CHANNELS} channels are accepted)."
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
    if not hasattr(data, "find"):  # a memoryview: OGG files are small enough to copy
        data = bytes(data)
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
        first_frame = bytes(data[start : start + 4096])
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


def _format_khz(sr: int) -> str:
    return f"{sr / 1000:g} kHz"


def _format_count(n: int) -> str:
    """``'921.6 M'``, ``'1.84 G'``: sample counts as people read them."""
    if n >= 1e9:
        return f"{n / 1e9:.2f} G"
    if n >= 1e6:
        return f"{n / 1e6:.1f} M"
    return f"{n:,}"


def _fits(samples: int, sr: int, channels: int) -> str:
    """How long ``samples`` last at this shape, e.g. ``'15 min of stereo at 48 kHz'``."""
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels")
    return f"{_format_seconds(samples / (sr * channels))} of {layout} at {_format_khz(sr)}"


def _format_seconds(seconds: float) -> str:
    """``'42.5 s'`` or ``'12 min 3 s'``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
