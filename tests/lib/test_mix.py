"""Several songs, one mix: every song heard, handed over on downbeats, the beat steady across.

The songs are synthetic, at different tempi and in different keys (the seed picks the key). What the
plan claims is checked in the audio: the songs' own samples in their parts, the kicks' spacing
across each transition, and the loudness either side.
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import fftconvolve, find_peaks

from musicremixer import SourceFile, remix
from musicremixer.analyze import CUT_LEAD_SECONDS
from tests.synth import SynthSong, kick_hit, synthetic_song

SR = 22050


def song(bpm: float, *, bars: int = 32, seed: int = 0, gain: float = 1.0, meter: int = 4) -> SynthSong:
    made = synthetic_song(bpm=bpm, meter=meter, bars=bars, sr=SR, channels=2, seed=seed)
    return SynthSong(made.y * np.float32(gain), SR, made.beat_times, made.downbeat_times, bpm, meter)


def sources(*songs: SynthSong) -> list[SourceFile]:
    return [SourceFile(f"{chr(97 + i)}.wav", s.to_bytes()) for i, s in enumerate(songs)]


def loudness_lufs(y: np.ndarray, sr: int) -> float:
    """BS.1770 by pyloudnorm: an independent meter, not the one the mix levels by."""
    return float(pyloudnorm.Meter(sr).integrated_loudness(y.T.astype(np.float64)))


def decoded(result) -> np.ndarray:
    y, sr = sf.read(io.BytesIO(result.data), dtype="float32", always_2d=True)
    assert sr == SR
    return y.T


@pytest.fixture(scope="module")
def near_tempi() -> tuple[list[SynthSong], object]:
    """100 and 112 BPM, the second 6 dB quieter: a blend, met in the middle."""
    songs = [song(100, seed=1), song(112, seed=2, gain=0.5)]
    return songs, remix(sources(*songs), seed=3, keep_order=True)


@pytest.fixture(scope="module")
def far_tempi() -> tuple[list[SynthSong], object]:
    """90 and 140 BPM: too far apart to stretch, even at half or double time."""
    songs = [song(90, bars=24, seed=4), song(140, bars=40, seed=5)]
    return songs, remix(sources(*songs), seed=1, keep_order=True)


def kicks(y: np.ndarray, start: float, stop: float, *, height: float = 0.3) -> np.ndarray:
    """Output seconds of the kick drum's hits between ``start`` and ``stop``, found in the audio.

    A matched filter: the output correlated with the synthetic kick's first 60 ms (its pitch sweep),
    whose peaks are sharp to a sample even where the kick has been time-stretched.
    """
    lo, hi = round(start * SR), round(stop * SR)
    mono = y[:, lo:hi].mean(axis=0)
    template = kick_hit(SR)[: round(0.06 * SR)]
    match = fftconvolve(mono, template[::-1], mode="valid")
    peaks, _ = find_peaks(match, height=height * match.max(), distance=round(0.3 * SR))
    return start + peaks / SR


def test_every_song_is_heard_in_its_part(near_tempi) -> None:
    songs, result = near_tempi
    y = decoded(result)
    plan = result.plan
    assert plan["order"] == [0, 1] and len(plan["parts"]) == 2
    for part in plan["parts"]:
        middle = round((part["start"] + part["end"]) / 2 * SR)
        probe = y[:, middle : middle + SR].mean(axis=0)
        scores = [_best_match(probe, s.y.mean(axis=0)) for s in songs]
        assert scores[part["track"]] > 0.95, scores
        assert scores[1 - part["track"]] < 0.6, scores


def _best_match(probe: np.ndarray, source: np.ndarray) -> float:
    """The highest normalized correlation of ``probe`` against any stretch of ``source``."""
    n = probe.shape[0]
    spectrum = np.fft.rfft(source, 2 * source.shape[0])
    corr = np.fft.irfft(spectrum * np.conj(np.fft.rfft(probe, 2 * source.shape[0])))[: source.shape[0] - n]
    energy = np.sqrt(np.convolve(source**2, np.ones(n), mode="valid")[: corr.shape[0]] * float(probe @ probe))
    return float(np.max(corr / np.maximum(energy, 1e-9)))


def test_by_default_each_song_plays_through_once(near_tempi) -> None:
    songs, result = near_tempi
    plan = result.plan
    total = sum(s.duration for s in songs) - plan["transitions"][0]["length"]
    # The first song leaves at a phrase boundary that leaves room for the crossfade: a phrase at most.
    phrase = 16 * 60 / 100
    assert total - phrase - 0.5 <= plan["duration"] <= total + 0.5
    assert plan["ending"] == "song"


def test_an_asked_length_is_shared_in_proportion_to_the_songs(near_tempi) -> None:
    songs = [song(100, seed=1, bars=40), song(104, seed=2, bars=20)]
    result = remix(sources(*songs), duration=60, seed=2, keep_order=True)
    plan = result.plan
    assert plan["duration"] == pytest.approx(60, abs=2.4)  # within a bar of the last song
    shares = [p["end"] - p["start"] for p in plan["parts"]]
    expected = [60 * 2 / 3, 60 / 3]
    phrase = 16 * 60 / 100
    for share, want in zip(shares, expected, strict=True):
        assert abs(share - want) <= phrase, (shares, expected)


def test_transitions_start_on_downbeats_at_phrase_boundaries(near_tempi) -> None:
    _, result = near_tempi
    plan = result.plan
    (transition,) = plan["transitions"]
    beats = plan["beats"]
    outgoing = beats[transition["from_beat"]]
    assert beats[transition["from_beat"] + 1]["bar_position"] == 0, "the outgoing song leaves at a bar line"
    assert beats[transition["to_beat"]]["bar_position"] == 0, "the incoming song enters on a downbeat"
    first = next(i for i, b in enumerate(beats) if b["track"] == outgoing["track"] and b["bar_position"] == 0)
    bars_played = sum(
        1 for b in beats[first : transition["from_beat"] + 1] if b["bar_position"] == 0 and b["track"] == 0
    )
    assert bars_played % 4 == 0, "a whole number of 4-bar phrases"
    step = plan["sequence"][transition["step"]]
    assert (step["beat"], step["time"]) == (transition["to_beat"], transition["at"])


def test_the_beat_changes_smoothly_across_a_blend(near_tempi) -> None:
    _, result = near_tempi
    y = decoded(result)
    (transition,) = result.plan["transitions"]
    assert transition["kind"] == "blend" and transition["tempo_multiple"] == 1
    # 100 and 112 BPM meet near 106: each stretched about 6 %.
    assert transition["stretch"][0] == pytest.approx(np.sqrt(112 / 100), abs=0.005)
    assert transition["outgoing_stretch"] == pytest.approx(np.sqrt(100 / 112), abs=0.005)
    at = transition["at"]
    times = kicks(y, at - 16, at + 16)
    # Kicks fall on beats 1 and 3: two beats apart, 1.2 s at 100 BPM and 1.07 s at 112.
    intervals = np.diff(times)
    assert intervals[:2] == pytest.approx(1.2, abs=0.02)
    assert intervals[-2:] == pytest.approx(120 / 112, abs=0.02)
    steps = np.abs(np.diff(intervals)) / intervals[:-1]
    assert steps.max() < 0.03, np.round(intervals, 3)
    # The transition starts at a cut, which lies CUT_LEAD_SECONDS before its beat's attack.
    assert np.min(np.abs(times - (at + CUT_LEAD_SECONDS))) < 0.02, "a kick on the transition's downbeat"


def test_levels_match_across_a_transition(near_tempi) -> None:
    songs, result = near_tempi
    y = decoded(result)
    (transition,) = result.plan["transitions"]
    at, end = transition["at"], transition["at"] + transition["length"]
    before = loudness_lufs(y[:, round((at - 3) * SR) : round(at * SR)], SR)
    after = loudness_lufs(y[:, round(end * SR) : round((end + 3) * SR)], SR)
    later = loudness_lufs(y[:, round((end + 12) * SR) : round((end + 15) * SR)], SR)
    assert loudness_lufs(songs[0].y, SR) - loudness_lufs(songs[1].y, SR) == pytest.approx(6, abs=0.5)
    assert abs(before - after) <= 1.0
    assert abs(before - later) <= 1.0, "the quieter song is brought to the mix's level, not only matched"


def test_no_sample_clips(near_tempi, far_tempi) -> None:
    for _, result in (near_tempi, far_tempi):
        assert np.abs(decoded(result)).max() < 1.0


def test_tempi_too_far_apart_cut_on_the_downbeat(far_tempi) -> None:
    _, result = far_tempi
    y = decoded(result)
    (transition,) = result.plan["transitions"]
    assert transition["kind"] == "cut"
    assert transition["stretch"] == [1.0, 1.0] and transition["outgoing_stretch"] == 1.0
    assert result.plan["beats"][transition["to_beat"]]["bar_position"] == 0
    at = round(transition["at"] * SR)
    # The outgoing song has faded by the downbeat, and the incoming one starts there at full level.
    assert np.abs(y[:, at - round(0.01 * SR) : at]).max() < 0.05
    times = kicks(y, transition["at"] - 8, transition["at"] + 8)
    assert np.min(np.abs(times - transition["at"])) < 0.02


def test_half_or_double_time_is_matched_when_that_is_near() -> None:
    result = remix(sources(song(70, bars=16, seed=6), song(136, bars=24, seed=7)), seed=1, keep_order=True)
    (transition,) = result.plan["transitions"]
    assert transition["kind"] == "blend"
    assert transition["tempo_multiple"] == 0.5  # two of 136's beats to each of 70's
    assert transition["stretch"][0] == pytest.approx(np.sqrt(136 / 140), abs=0.005)


def test_the_order_is_chosen_for_smooth_transitions_unless_kept() -> None:
    songs = sources(song(100, bars=16, seed=1), song(140, bars=16, seed=2), song(104, bars=16, seed=3))
    kept = remix(songs, seed=1, keep_order=True, format="flac").plan
    chosen = remix(songs, seed=1, format="flac").plan
    assert kept["order"] == [0, 1, 2]
    assert [t["kind"] for t in kept["transitions"]] == ["cut", "cut"]
    assert sorted(chosen["order"]) == [0, 1, 2]
    assert [t["kind"] for t in chosen["transitions"]].count("cut") == 1
    assert abs(chosen["order"].index(0) - chosen["order"].index(2)) == 1, "100 and 104 BPM side by side"


def test_songs_that_cannot_fit_a_phrase_are_named() -> None:
    songs = sources(song(100, bars=16, seed=1), song(100, bars=16, seed=2), song(100, bars=16, seed=3))
    plan = remix(songs, duration=20, seed=1, keep_order=True).plan  # a phrase at 100 BPM is 9.6 s
    assert plan["order"] == [0, 1]
    assert plan["left_out"] == ["c.wav"]
    assert [p["track"] for p in plan["parts"]] == [0, 1]


def test_the_same_seed_gives_the_same_bytes(near_tempi) -> None:
    songs, result = near_tempi
    again = remix(sources(*songs), seed=3, keep_order=True)
    assert again.data == result.data
    other = remix(sources(*songs), seed=4, keep_order=True, jumpiness=1.0)
    assert other.plan["sequence"] != result.plan["sequence"]


def test_parts_tile_the_output(near_tempi, far_tempi) -> None:
    for _, result in (near_tempi, far_tempi):
        plan = result.plan
        parts = plan["parts"]
        assert parts[0]["start"] == 0 and parts[-1]["end"] == plan["duration"]
        for a, b in itertools.pairwise(parts):
            assert a["end"] == b["start"]
        for t, (before, part) in zip(plan["transitions"], itertools.pairwise(parts), strict=True):
            assert t["at"] == part["start"] and (t["from"], t["to"]) == (before["track"], part["track"])


def test_a_song_enters_after_its_quiet_intro_not_in_it() -> None:
    # Real songs often open quietly: a cut into the intro dropped the level by 12 LU, beyond what
    # the loudness match makes up. The middle song here starts 20 dB down for eight bars.
    quiet_bars = 8
    middle = song(140, bars=40, seed=5)
    intro = round(middle.downbeat_times[quiet_bars] * SR)
    middle.y[:, :intro] *= np.float32(0.1)
    songs = [song(90, bars=24, seed=4), middle, song(100, bars=24, seed=6)]
    result = remix(sources(*songs), seed=1, keep_order=True)
    plan = result.plan
    entering = plan["transitions"][0]
    assert entering["kind"] == "cut" and entering["to"] == 1
    entry = plan["beats"][entering["to_beat"]]
    assert entry["bar_position"] == 0
    assert entry["start"] >= middle.downbeat_times[quiet_bars] - 0.05, "entered after the intro"
    y = decoded(result)
    at = entering["at"]
    before = loudness_lufs(y[:, round((at - 3) * SR) : round(at * SR)], SR)
    after = loudness_lufs(y[:, round(at * SR) : round((at + 3) * SR)], SR)
    assert abs(before - after) <= 1.0


def test_two_songs_under_a_blend_keep_the_same_beat() -> None:
    """At 139.7 BPM a beat is 18.5 analysis frames: the tracked beats alternate 18 and 19 frames,
    and a tempo read from their median is 2.7 % off. Matched on that, the songs drift 10 ms a
    beat apart under the crossfade and their kicks flam. Each song plays in one channel only, so
    the output's channels tell their kicks apart."""
    a, b = song(136, seed=6), song(139.7, seed=7)
    a.y[1], b.y[0] = 0.0, 0.0
    result = remix(sources(a, b), seed=2, keep_order=True)
    (transition,) = result.plan["transitions"]
    assert transition["kind"] == "blend"
    outgoing = transition["outgoing_stretch"] * 60 / 136
    incoming = transition["stretch"][0] * 60 / 139.7
    assert incoming == pytest.approx(outgoing, rel=0.005), "both songs' beats as long under the crossfade"
    y = decoded(result)
    at, length = transition["at"], transition["length"]
    # Faint ones too: each song's kicks fade out (or in) under the crossfade.
    left, right = (kicks(y[[ch]], at, at + length, height=0.1) for ch in (0, 1))
    apart = np.array([(left - t)[np.argmin(np.abs(left - t))] for t in right])
    apart = apart[np.abs(apart) < 0.15]  # a kick found in both channels
    assert apart.size >= 3
    # The stretcher's grains move each onset by a few milliseconds: the songs meet on average.
    message = f"the songs' kicks {np.round(apart * 1000, 1)} ms apart under the crossfade"
    assert abs(apart.mean()) < 0.005 and np.abs(apart).max() < 0.012, message


def test_a_lazy_mix_reads_the_same_samples_in_any_windows(near_tempi, far_tempi) -> None:
    # A blend and a cut: the mix read in windows (through heads, crossfades and tails, out of order)
    # is the mix made whole, sample for sample.
    from musicremixer.analyze import analyze_tracks
    from musicremixer.graph import build_jump_graph
    from musicremixer.mix import plan_mix
    from musicremixer.mixdown import render_mix
    from musicremixer.types import Audio
    from tests.lib.test_render import windows_of

    kinds = set()
    for songs, _ in (near_tempi, far_tempi):
        audios = [Audio(y=s.y, sr=SR) for s in songs]
        analysis = analyze_tracks(audios, names=["a", "b"])
        plan = plan_mix(
            build_jump_graph(analysis), analysis, duration=None, seed=3, jumpiness=0.5, keep_order=True
        )
        kinds |= {t.kind for t in plan.transitions}
        whole = render_mix(plan, analysis, audios).y
        lazy = render_mix(plan, analysis, audios, lazy=True).y
        assert lazy.shape == whole.shape
        assert np.array_equal(windows_of(lazy, whole.shape[1], seed=5), whole)
    assert kinds == {"blend", "cut"}
