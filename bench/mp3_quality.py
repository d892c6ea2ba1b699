"""LAME's settings against each other, by objective measures (issue 12: is -q 7 as good as -q 5? How
much does a response that steps down to 96 or 64 kb/s lose?).

Usage::

    .venv/bin/python -m bench.mp3_quality [--qualities 5,7] [--kbps 128] [--lame-rate] [--seconds 40]

Each test signal (from ``tests/synth.py``: a drum-and-chords song, an ambient pad, and a dense
chord of 60 random partials; 44.1 kHz stereo) is encoded CBR at every bitrate and quality, decoded
(the encoder's 1105-sample delay removed), and compared with the 16-bit input. The output keeps the
input's rate, as ``musicremixer.encode`` writes it; with ``--lame-rate`` each bitrate is also
encoded at the rate LAME picks for itself (32 kHz at 80 and 96 kb/s, 24 kHz at 64), decoded and
resampled back to 44.1 kHz with soxr for the comparison:

- **SNR**: the whole signal's, in dB (higher is better);
- **band LSD**: the mean absolute difference of the log power in 38 log-spaced bands (2048-point
  Hann frames), in dB, counting only bands within 30 dB of the frame's loudest band (the audible
  ones: a band 60 dB down that a codec zeroes is not heard, but it is a huge log difference), all
  bands and above 3 kHz (lower is better);
- **band NSR**: the mean ratio of the error's power to the signal's in the same bands, in dB (lower
  is better): how far under the music the coding noise sits;
- **CPU**: seconds of CPU for the encode.

A report, not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import io
import sys
import time

import numpy as np

from bench.inputs import load_synth

SR = 44100
DELAY = 1105  # LAME's 576 + the decoder's 529, without an info tag
FRAME = 2048
AUDIBLE_DB = 30.0


def encode(y16: np.ndarray, quality: int, kbps: int = 128, keep_rate: bool = True) -> tuple[bytes, float]:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(SR)
    if keep_rate:
        encoder.set_out_sample_rate(SR)
    encoder.set_channels(2)
    encoder.set_bit_rate(kbps)
    encoder.set_quality(quality)
    out = bytearray()
    started = time.process_time()
    for start in range(0, y16.shape[0], 1 << 15):
        out += encoder.encode(y16[start : start + (1 << 15)].tobytes())
    out += encoder.flush()
    return bytes(out), time.process_time() - started


def align(x: np.ndarray, y: np.ndarray, most: int = 4096) -> np.ndarray:
    """``y`` shifted to line up with ``x`` (both ``(n, 2)``): LAME's resampler adds a delay of its own.

    The lag ``L`` (``y[t + L]`` is ``x[t]``), within ``most`` samples either way, is the peak of the
    cross-correlation of the first channel over 2**17 samples.
    """
    n = 1 << 17
    a, b = x[most : most + n, 0], y[: n + 2 * most, 0]
    size = 2 * (n + 2 * most)
    corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lag = int(np.argmax(corr[: 2 * most + 1])) - most  # corr[k] peaks at k = most + L
    if lag >= 0:
        return y[lag:]
    return np.concatenate([np.zeros((-lag, y.shape[1]), dtype=y.dtype), y])


def measures(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """``x`` the input, ``y`` the decoded output, both ``(n, 2)`` and aligned."""
    n = min(x.shape[0], y.shape[0]) // FRAME * FRAME
    x, y = x[:n], y[:n]
    error = y - x
    window = np.hanning(FRAME)
    edges = np.unique(np.geomspace(2, FRAME // 2 * 0.75, 40).astype(int))  # up to 16.5 kHz

    def bands(z: np.ndarray) -> np.ndarray:
        frames = z.T.reshape(2, -1, FRAME) * window
        power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
        return np.add.reduceat(power, edges, axis=-1)[..., :-1]

    bx, by, be = bands(x), bands(y), bands(error)
    audible = bx > bx.max(axis=-1, keepdims=True) * 10 ** (-AUDIBLE_DB / 10)
    high = audible & (edges[:-1] * SR / FRAME > 3000)

    def lsd(mask: np.ndarray) -> float:
        return float(np.abs(10 * np.log10((by[mask] + 1e-12) / (bx[mask] + 1e-12))).mean())

    def nsr(mask: np.ndarray) -> float:
        return float((10 * np.log10((be[mask] + 1e-12) / (bx[mask] + 1e-12))).mean())

    return {
        "snr": float(10 * np.log10((x**2).sum() / (error**2).sum())),
        "lsd": lsd(audible),
        "lsd_high": lsd(high) if high.any() else float("nan"),
        "nsr": nsr(audible),
        "nsr_high": nsr(high) if high.any() else float("nan"),
    }


def signals(seconds: float) -> dict[str, np.ndarray]:
    synth = load_synth()
    bars = max(1, round(seconds / (4 * 60 / 118)))
    rng = np.random.default_rng(0)
    t = np.arange(round(seconds * SR)) / SR
    chord = sum(np.sin(2 * np.pi * rng.uniform(40, 12000) * t + rng.uniform(0, 6)) for _ in range(60))
    chord = 0.8 * chord / np.abs(chord).max()
    return {
        "drums and chords": synth.synthetic_song(bpm=118, bars=bars, sr=SR, channels=2).y.T,
        "ambient pad": synth.ambient_pad(seconds=seconds, sr=SR, channels=2).y.T,
        "dense chord": np.stack([chord, np.roll(chord, 777)], axis=1),
    }


def main(argv: list[str] | None = None) -> int:
    import soundfile as sf

    parser = argparse.ArgumentParser(prog="python -m bench.mp3_quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--qualities", default="5,7", help="LAME -q settings to compare (0-9)")
    parser.add_argument("--kbps", default="128", help="stereo bitrates to compare, e.g. 128,96,64")
    parser.add_argument(
        "--lame-rate", action="store_true", help="also encode at the output rate LAME picks for each bitrate"
    )
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args(argv)
    qualities = [int(q) for q in args.qualities.split(",")]
    bitrates = [int(k) for k in args.kbps.split(",")]
    rate_modes = [True, False] if args.lame_rate else [True]
    print(
        "| signal | kb/s | rate | -q | SNR dB | band LSD dB (all / >3 kHz) "
        "| band NSR dB (all / >3 kHz) | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, y in signals(args.seconds).items():
        y16 = np.clip(np.rint(y * 32768), -32768, 32767).astype(np.int16)
        x = y16.astype(np.float32) / 32768
        for kbps in bitrates:
            for keep_rate in rate_modes:
                for quality in qualities:
                    data, cpu = encode(y16, quality, kbps, keep_rate)
                    decoded, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
                    if not keep_rate and sr == SR:
                        continue  # LAME kept the rate itself: the row above
                    if sr == SR:
                        decoded = decoded[DELAY:]
                    else:
                        import soxr

                        decoded = align(x, soxr.resample(decoded, sr, SR, quality="VHQ"))
                    m = measures(x, decoded)
                    print(
                        f"| {name} | {kbps} | {sr / 1000:g} kHz | {quality} | {m['snr']:.2f} | "
                        f"{m['lsd']:.2f} / {m['lsd_high']:.2f} | {m['nsr']:.1f} / {m['nsr_high']:.1f} | "
                        f"{cpu:.2f} |"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
