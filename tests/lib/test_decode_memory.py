"""Memory is bounded for the worst shapes the limits accept: measured in a child process, under a cap.

Ten minutes of eight channels at 192 kHz is the most one file may have (``MAX_DECODED_SAMPLES``):
3.7 GB as float32, from a FLAC of 1.4 MB when it is near-silent. Each shape is decoded in a fresh
process (so nothing the test runner holds counts), whose own allocations are capped by
``RLIMIT_DATA`` at 1 GiB: past it numpy raises ``MemoryError`` and the test fails. The child reports
its peak resident memory (``VmHWM``) and the peak of its anonymous memory (``RssAnon``, sampled every
2 ms): the WAV, 1.84 GB, is read through a read-only ``mmap`` whose page cache is resident but is
not the process's own, so the anonymous peak is the figure that counts there. (A WAV of that shape
is 37 times the function's 50 MB input limit; it is here to show the decoder never copies it.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOAL_BYTES = 1_000_000_000
CAP_BYTES = 1 << 30  # RLIMIT_DATA in the child
SHAPE = {"seconds": 600, "sr": 192_000, "channels": 8}


def write_near_silence(path: Path, *, format: str, seconds: float, sr: int, channels: int) -> None:
    """Zeros with a quiet 1 kHz blip each second in channel 0 (so it isn't digital silence)."""
    import numpy as np
    import soundfile as sf

    block = np.zeros((sr, channels), dtype=np.int16)
    t = np.arange(sr // 100)
    block[: sr // 100, 0] = np.rint(3 * np.sin(2 * np.pi * 1000 * t / sr)).astype(np.int16)
    with sf.SoundFile(path, "w", samplerate=sr, channels=channels, format=format, subtype="PCM_16") as out:
        for start in range(0, round(seconds * sr), sr):
            out.write(block[: min(sr, round(seconds * sr) - start)])


def child_main(task: str, path: str) -> None:
    """Run in the child: cap, do ``task`` on ``path``, print peaks and results as JSON."""
    import mmap
    import resource
    import threading

    resource.setrlimit(resource.RLIMIT_DATA, (CAP_BYTES, CAP_BYTES))
    peak = {"anon": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak["anon"] = max(peak["anon"], _status_kb("RssAnon") * 1024)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        result = _TASKS[task](memoryview(mapped), Path(path))
    done.set()
    sampler.join()
    peak["anon"] = max(peak["anon"], _status_kb("RssAnon") * 1024)
    print(json.dumps({**result, "vm_hwm": _status_kb("VmHWM") * 1024, "anon_peak": peak["anon"]}))


def _decode(view, path: Path) -> dict:
    from musicremixer.decode import decode_audio

    audio = decode_audio(view, name="worst", max_seconds=600)
    view.release()
    return {"shape": list(audio.y.shape), "sr": audio.sr}


def _remix_through_the_app(view, path: Path) -> dict:
    from starlette.testclient import TestClient

    from functions.app import create_app
    from functions.settings import Settings

    data = bytes(view)  # an upload arrives as bytes
    view.release()
    client = TestClient(create_app(Settings()))
    response = client.post(
        "/remix", files={"files": ("bomb.flac", data, "audio/flac")}, data={"format": "mp3", "duration": "60"}
    )
    return {"status": response.status_code, "body": response.json()}


def _remix_the_whole_pool(view, path: Path) -> dict:
    import musicremixer

    data = bytes(view)
    view.release()
    result = musicremixer.remix([musicremixer.SourceFile("pool.flac", data)], seed=1, format="wav")
    return {"duration": result.duration, "bytes": len(result.data)}


def _mix_the_whole_pool(view, path: Path) -> dict:
    # Two songs, ``path`` and the ``b.flac`` beside it: a mix renders both, stretched into each
    # other, beside its output.
    import musicremixer

    songs = [
        musicremixer.SourceFile("a.flac", bytes(view)),
        musicremixer.SourceFile("b.flac", (path.parent / "b.flac").read_bytes()),
    ]
    view.release()
    result = musicremixer.remix(songs, seed=1, format="wav")
    return {"duration": result.duration, "transitions": [t["kind"] for t in result.plan["transitions"]]}


_TASKS = {
    "decode": _decode,
    "remix": _remix_through_the_app,
    "pool": _remix_the_whole_pool,
    "mix": _mix_the_whole_pool,
}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_child(task: str, path: Path) -> dict:
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "PYTHONPATH": f"{REPO}:{REPO / 'lib'}",
    }
    code = f"from tests.lib.test_decode_memory import child_main; child_main({task!r}, {str(path)!r})"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    hwm, anon = report["vm_hwm"] / 1e6, report["anon_peak"] / 1e6
    print(f"{task} {path.name}: VmHWM {hwm:.0f} MB, anonymous {anon:.0f} MB")
    return report


@pytest.fixture(scope="module")
def bomb_flac(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "bomb.flac"
    write_near_silence(path, format="FLAC", **SHAPE)
    assert path.stat().st_size < 2_000_000  # the attack: a file of about a megabyte
    return path


def test_worst_flac_decodes_in_bounded_memory(bomb_flac):
    report = run_child("decode", bomb_flac)
    assert report["shape"] == [2, 600 * 48_000] and report["sr"] == 48_000
    assert report["vm_hwm"] <= GOAL_BYTES


def test_worst_wav_decodes_in_bounded_memory(tmp_path):
    path = tmp_path / "worst.wav"
    write_near_silence(path, format="WAV", **SHAPE)
    assert path.stat().st_size > 1_800_000_000
    try:
        report = run_child("decode", path)
    finally:
        path.unlink()
    assert report["shape"] == [2, 600 * 48_000]
    assert report["anon_peak"] <= GOAL_BYTES


def test_the_bomb_gets_a_clear_refusal_not_a_crash(bomb_flac):
    # Through the app, as an upload: decoded in bounded memory, then found silent (422). A minute of
    # MP3 fits the response, so the size estimate lets it through to the decoder.
    report = run_child("remix", bomb_flac)
    assert report["status"] == 422 and report["body"]["code"] == "not_remixable"
    assert "silent" in report["body"]["detail"]
    assert report["vm_hwm"] <= GOAL_BYTES


def write_song(path: Path, *, bpm: float, frames: int, seed: int) -> None:
    """A synthetic song at 48 kHz stereo, looped to ``frames``, as FLAC."""
    import numpy as np
    import soundfile as sf

    from tests.synth import synthetic_song

    song = synthetic_song(bpm=bpm, meter=4, bars=24, sr=48_000, channels=2, seed=seed)
    with sf.SoundFile(path, "w", samplerate=48_000, channels=2, format="FLAC", subtype="PCM_16") as out:
        for start in range(0, frames, song.y.shape[1]):
            out.write(song.y[:, : min(song.y.shape[1], frames - start)].T.astype(np.float32))


def test_a_remix_of_the_most_a_remix_may_keep_stays_under_a_gigabyte(tmp_path):
    # MAX_KEPT_SAMPLES exactly, as one song of stereo at 48 kHz remixed to its own length as WAV:
    # the render holds the source and an output as long beside them.
    from musicremixer.decode import MAX_KEPT_SAMPLES

    path = tmp_path / "pool.flac"
    write_song(path, bpm=120, frames=MAX_KEPT_SAMPLES // 2, seed=3)
    report = run_child("pool", path)
    assert report["duration"] == pytest.approx(MAX_KEPT_SAMPLES // 2 / 48_000, abs=1.0)
    # Anonymous memory: the FLAC the child maps is page cache (about 80 MB of VmHWM), not its own.
    # The copy of its bytes that an upload would be is anonymous, and counted.
    assert report["anon_peak"] <= GOAL_BYTES


def test_a_mix_of_the_most_a_remix_may_keep_stays_under_a_gigabyte(tmp_path):
    # The same samples as two songs a blend apart (120 and 126 BPM): only each part's head and end
    # are made ahead (stretched, matched, joined); the rest is rendered as the encoder reads it.
    from musicremixer.decode import MAX_KEPT_SAMPLES

    frames = MAX_KEPT_SAMPLES // 2
    write_song(tmp_path / "a.flac", bpm=120, frames=frames * 5 // 8, seed=3)
    write_song(tmp_path / "b.flac", bpm=126, frames=frames - frames * 5 // 8, seed=4)
    report = run_child("mix", tmp_path / "a.flac")
    assert report["transitions"] == ["blend"]
    assert report["duration"] == pytest.approx(frames / 48_000, rel=0.05)
    assert report["anon_peak"] <= GOAL_BYTES  # as above: the mapped file is page cache


def _remix_for_an_hour(view, path: Path) -> dict:
    # The longest output anyone may ask for, from a 40 s clip (and, for a mix, the clip beside it):
    # the output is rendered a block at a time into the encoder, never whole (as float32 an hour
    # of 48 kHz stereo would be 1.38 GB).
    import musicremixer

    songs = [musicremixer.SourceFile(path.name, bytes(view))]
    view.release()
    if (path.parent / "b.flac").exists():
        songs.append(musicremixer.SourceFile("b.flac", (path.parent / "b.flac").read_bytes()))
    result = musicremixer.remix(songs, duration=3600, seed=1, format="flac")
    return {"duration": result.duration, "bytes": len(result.data), "parts": len(result.plan["parts"])}


_TASKS["hour"] = _remix_for_an_hour


@pytest.mark.parametrize("songs", [1, 2])
def test_an_hour_of_output_stays_under_a_gigabyte(tmp_path, songs):
    write_song(tmp_path / "a.flac", bpm=120, frames=40 * 48_000, seed=3)
    if songs == 2:
        write_song(tmp_path / "b.flac", bpm=126, frames=40 * 48_000, seed=4)
    report = run_child("hour", tmp_path / "a.flac")
    assert report["duration"] == pytest.approx(3600, abs=1) and report["parts"] == songs
    assert report["bytes"] > 3600 * 48_000 * 2 * 2 * 0.02  # a real FLAC of an hour, not an empty one
    assert report["vm_hwm"] <= GOAL_BYTES
