"""LAME's -q settings against each other, by objective measures (issue 12: is -q 7 as good as -q 5?).

Usage::

    .venv/bin/python -m bench.mp3_quality [--qualities 5,7] [--seconds 40]

Each test signal (from ``tests/synth.py``: a drum-and-chords song, an ambient pad, and a dense
chord of 60 random partials; 44.1 kHz stereo) is encoded at 128 kb/s CBR with every quality, decoded
(the encoder's 1105-sample delay removed), and compared with the 16-bit input:

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


def encode(y16: np.ndarray, quality: int) -> tuple[bytes, float]:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(SR)
    encoder.set_channels(2)
    encoder.set_bit_rate(128)
    encoder.set_quality(quality)
    out = bytearray()
    started = time.process_time()
    for start in range(0, y16.shape[0], 1 << 15):
        out += encoder.encode(y16[start : start + (1 << 15)].tobytes())
    out += encoder.flush()
    return bytes(out), time.process_time() - started


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
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args(argv)
    qualities = [int(q) for q in args.qualities.split(",")]
    print("| signal | -q | SNR dB | band LSD dB (all / >3 kHz) | band NSR dB (all / >3 kHz) | CPU s |")
    print("|---|---|---|---|---|---|")
    for name, y in signals(args.seconds).items():
        y16 = np.clip(np.rint(y * 32768), -32768, 32767).astype(np.int16)
        x = y16.astype(np.float32) / 32768
        for quality in qualities:
            data, cpu = encode(y16, quality)
            decoded, _ = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
            m = measures(x, decoded[DELAY:])
            print(
                f"| {name} | {quality} | {m['snr']:.2f} | {m['lsd']:.2f} / {m['lsd_high']:.2f} | "
                f"{m['nsr']:.1f} / {m['nsr_high']:.1f} | {cpu:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
