"""A reproducible set of real music for the benchmarks, built from pinned Debian packages.

Nothing here is committed: the audio is fetched (``apt-get download NAME=VERSION``), checked against
the SHA-256 sums below, unpacked and rendered into a cache outside the repository
(:func:`default_cache`). The catalogue is a constant table, so every machine builds the same set.

Two kinds of track:

- **recordings** (``kind="recording"``): finished game soundtracks as shipped (Ogg Vorbis, or Ogg
  Opus for warzone2100-music), copied byte for byte. They have no beat truth (``beats`` is None).
  ``drums`` and ``steady`` are judgements made once, when the catalogue was written, from librosa
  measurements on the shipped files: ``steady`` is False when the autocorrelation of the onset
  envelope (first 120 s, 22.05 kHz mono, hop 512) has no peak above 0.3 between lags of 0.25 s and
  2 s (the steady pieces here score 0.5-0.95, the chosen ambient ones 0.05-0.27); ``drums`` is True
  when the percussive share of an HPSS split (60 s from 20 s in) is above 0.07 and False below 0.03.
  A soundscape in between (flare's wind noise) is labelled by its nature, not by the ratio.
  Genres are labels from the title, the album and those measurements, not from careful listening.
- **scores** (``kind="score"``): openttd-openmsx MIDI files rendered with fluidsynth and the
  FluidR3_GM sound font, with exact ground truth from the MIDI file that was rendered (the rendered
  file is read back with pretty_midi, so the truth and the audio cannot drift apart). Three
  variants: ``drums`` (as written), ``nodrums`` (every ``is_drum`` instrument removed) and
  ``rubato`` (no drums, and a smooth monotone time warp ``t -> t + A P / (2 pi) (1 - cos(2 pi t /
  P))``, so the local tempo swings between 1 / (1 + A) and 1 / (1 - A) of the written one with
  period P; it is applied with ``PrettyMIDI.adjust_times``, which moves notes, controls and the
  tempo map together). Each piece is cut at 120 s (notes starting later dropped, the rest clipped,
  the render trimmed there, or 2 s after the last note-off, with a 20 ms fade); the beats are the tapped beats
  (``get_beats``: quarters in simple meters, dotted beats in compound ones, for which ``meter`` is
  the numerator / 3).

Pieces left out of the scores, and why (the truth would be doubtful):

- ``the_hobo_redfarn`` (6/4): pretty_midi counts it as compound (dotted halves at 42 BPM) while the
  drums play a quarter-note backbeat; what a listener taps is unclear.
- ``be_sharp_bw_redfarn``, ``midnight_snow_run``, ``chuggachugga``: tempo ramps or jumps written as
  many tempo events; exact, but not what this set is for (the rubato variant covers tempo drift).
- ``busy_schedule``, ``modern_motion``, ``the_fast_route``, ``train_filled_with_cash``,
  ``ttsong_iv_imuh3``: no time-signature event, so the bar lines would be pretty_midi's 4/4 guess.
- ``5432gone_redfarn`` (5/4, 60 s) and ``ttsong_iii_imuh3`` (a 2/4 bar inside 4/4): kept out to keep
  the downbeat truth simple; both would be fine for beats alone.

``boogi_marabi_redfarn`` is the 3/4 piece: its note weights repeat every three quarters (the second
quarter of each bar is weak) and are flat over four, so the 3/4 signature matches the music.

Run ``python -m bench.realset [--cache DIR]`` to build (or re-use) the set and print it.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

#: Bump when the build recipe changes, so cached renders made by an older recipe are redone.
RECIPE = 5

CAP_SECONDS = 120.0
MIN_SECONDS = 30.0
SAMPLE_RATE = 44100
GAIN = 0.6
FADE_SECONDS = 0.02
TAIL_SECONDS = 2.0

#: name -> (version, SHA-256 of ``<name>_<version>_all.deb``) as in Debian 12 (bookworm).
PACKAGES: dict[str, tuple[str, str]] = {
    "warzone2100-music": ("4.3.3-3", "d3b2c9f90ea5438d45d4aff18339a03ec808e1affa9dac91f7dad61cb15ee64e"),
    "hedgewars-data": ("1.0.2-6", "722225903a72604403e6e0026e40e9a6953f47a74d94efc5f55504bc05bb4761"),
    "supertux-data": ("0.6.3-2", "a6ad8865972f1dbb5e7b49f4e1b381dd16a68f3028a3502cfeaca2400285d27f"),
    "flare-game": ("1.14-1", "4ab6a8298276013d35a0806257e130d992761af1b749041433b409c3dafec508"),
    "openttd-openmsx": ("0.4.2-1", "1a728a4ac37a1c614de1f597d3024caa7f54ce93d28f5b979b5758305b916a54"),
    "fluid-soundfont-gm": ("3.1-5.3", "6f531493ac4e4d9772fd96b2488ea1790af81c196135fbdd25997da0781fc60e"),
}

SOUNDFONT = ("fluid-soundfont-gm", "./usr/share/sounds/sf2/FluidR3_GM.sf2")

_WZ = "./usr/share/games/warzone2100/music/"
_HW = "./usr/share/games/hedgewars/Data/Music/"
_ST = "./usr/share/games/supertux2/music/"
_FL = "./usr/share/games/flare/mods/fantasycore/music/"
_MSX = "./usr/share/games/openttd/baseset/openmsx/"


@dataclass(frozen=True)
class _Recording:
    key: str
    package: str
    member: str
    genre: str
    licence: str
    drums: bool | None
    steady: bool


@dataclass(frozen=True)
class _Score:
    key: str
    midi: str
    variant: str  # "drums" | "nodrums" | "rubato"
    genre: str
    warp_depth: float = 0.0
    warp_period: float = 0.0


# Licences as the packages' copyright files state them: warzone2100-music "Files: *" is GPL-2+
# (its albums' license.txt also offers CC-BY-SA-3.0+ for the LupusMechanicus albums), hedgewars-data
# music falls under "Files: *" GPL-2 (sdmusic.ogg, a Kevin MacLeod edit, is left out as its credit
# suggests another licence), supertux-data "data/music/*" GPL-2+, flare-game "Files: *" CC-BY-SA-3.0+.
RECORDINGS: tuple[_Recording, ...] = (
    _Recording("hw-rock", "hedgewars-data", _HW + "Rock.ogg", "rock", "GPL-2", True, True),
    _Recording("hw-city", "hedgewars-data", _HW + "City.ogg", "rock", "GPL-2", True, True),
    _Recording("hw-main-theme", "hedgewars-data", _HW + "main_theme.ogg", "orchestral", "GPL-2", True, True),
    _Recording("hw-earthrise", "hedgewars-data", _HW + "EarthRise.ogg", "electronic", "GPL-2", False, True),
    _Recording("hw-snow", "hedgewars-data", _HW + "snow.ogg", "slow", "GPL-2", False, True),
    _Recording("hw-nature", "hedgewars-data", _HW + "Nature.ogg", "ambient", "GPL-2", False, False),
    _Recording(
        "st-chipdisko", "supertux-data", _ST + "antarctic/chipdisko.ogg", "chiptune", "GPL-2+", True, True
    ),
    _Recording("st-classic", "supertux-data", _ST + "retro/classic.ogg", "chiptune", "GPL-2+", True, True),
    _Recording(
        "st-greatgigantic", "supertux-data", _ST + "forest/greatgigantic.ogg", "pop", "GPL-2+", True, True
    ),
    _Recording(
        "st-saharan-penguin",
        "supertux-data",
        _ST + "tropical/saharan_penguin.ogg",
        "pop",
        "GPL-2+",
        True,
        True,
    ),
    _Recording(
        "st-clavelian-march",
        "supertux-data",
        _ST + "forest/clavelian_march.ogg",
        "march",
        "GPL-2+",
        None,
        True,
    ),
    _Recording(
        "st-ghostforest2", "supertux-data", _ST + "forest/ghostforest2.ogg", "ambient", "GPL-2+", False, False
    ),
    _Recording(
        "flare-battle", "flare-game", _FL + "battle_theme.ogg", "orchestral", "CC-BY-SA-3.0+", True, True
    ),
    _Recording(
        "flare-overworld",
        "flare-game",
        _FL + "overworld_theme.ogg",
        "orchestral",
        "CC-BY-SA-3.0+",
        False,
        True,
    ),
    _Recording(
        "flare-forest", "flare-game", _FL + "forest_theme.ogg", "ambient", "CC-BY-SA-3.0+", False, False
    ),
    _Recording(
        "flare-dungeon", "flare-game", _FL + "dungeon_theme.ogg", "ambient", "CC-BY-SA-3.0+", False, False
    ),
    _Recording(
        "flare-wind", "flare-game", _FL + "wind_ambient.ogg", "ambient", "CC-BY-SA-3.0+", False, False
    ),
    _Recording("wz-menu", "warzone2100-music", _WZ + "menu.opus", "ambient", "GPL-2+", False, False),
    _Recording(
        "wz-track3",
        "warzone2100-music",
        _WZ + "albums/original_soundtrack/track3.opus",
        "electronic",
        "GPL-2+",
        True,
        True,
    ),
)

SCORES: tuple[_Score, ...] = (
    _Score("msx-boogi-drums", "boogi_marabi_redfarn.mid", "drums", "ragtime"),
    _Score("msx-scotsman-drums", "flying_scotsman.mid", "drums", "rock"),
    _Score("msx-careless-drums", "careless_perc_redfarn.mid", "drums", "ragtime"),
    _Score("msx-rolling-drums", "keep_on_rolling.mid", "drums", "pop"),
    _Score("msx-giant-drums", "mighty_giant_run.mid", "drums", "rock"),
    _Score("msx-cityblues-drums", "city_blues_redfarn.mid", "drums", "blues"),
    _Score("msx-chemistry-nodrums", "chemistry_lab.mid", "nodrums", "electronic"),
    _Score("msx-saywhat-nodrums", "say_what_redfarn.mid", "nodrums", "piano"),
    _Score("msx-mosey-nodrums", "mosey_along_redfarn.mid", "nodrums", "piano"),
    _Score("msx-nowork-nodrums", "no_work_song_redfarn.mid", "nodrums", "piano"),
    _Score("msx-slowneasy-rubato", "slow_neasy_redfarn.mid", "rubato", "piano", 0.15, 12.0),
    _Score("msx-whistles-rubato", "wood_whistles.mid", "rubato", "folk", 0.15, 16.0),
    _Score("msx-harp-rubato", "harp_harmony.mid", "rubato", "orchestral", 0.12, 10.0),
)

MSX_LICENCE = "GPL-2.0"  # openttd-openmsx's copyright file, "Files: *"


@dataclass(frozen=True)
class RealTrack:
    """One piece of the set, as the benchmark runner sees it.

    Attributes
    ----------
    key : str
        Short stable id.
    path : Path
        The audio file in the cache (the shipped Ogg/Opus, or the rendered WAV).
    kind : str
        ``"recording"`` or ``"score"``.
    genre : str
        A label such as ``"rock"``, ``"orchestral"``, ``"chiptune"``, ``"ambient"``, ``"piano"``.
    licence : str
        As stated in the package's copyright file.
    origin : str
        ``"<package>=<version>:<path inside the package>"``.
    beats, downbeats : numpy.ndarray or None
        Scores: the exact tapped beats and bar starts in seconds. Recordings: None.
    meter : int or None
        Scores: beats per bar as a listener counts them. Recordings: None.
    drums : bool or None
        Whether the piece has a drum or percussion part (None: could not tell).
    steady : bool
        False for rubato, free-time and ambient pieces.
    """

    key: str
    path: Path
    kind: str
    genre: str
    licence: str
    origin: str
    beats: np.ndarray | None
    downbeats: np.ndarray | None
    meter: int | None
    drums: bool | None
    steady: bool

    @property
    def tempo(self) -> float | None:
        """Median tempo in BPM of the truth beats (scores only), else None."""
        if self.beats is None or len(self.beats) < 2:
            return None
        return float(60.0 / np.median(np.diff(self.beats)))


def default_cache() -> Path:
    """Return the cache directory: ``$MUSICREMIXER_BENCH_CACHE``, else ``~/.cache/musicremixer-bench``."""
    env = os.environ.get("MUSICREMIXER_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "musicremixer-bench"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _deb_path(cache: Path, package: str) -> Path:
    version = PACKAGES[package][0]
    return cache / "debs" / f"{package}_{version}_all.deb"


def _fetch_deb(cache: Path, package: str, log: Callable[[str], None]) -> Path:
    """Download one pinned package unless a verified copy is cached; return its path."""
    version, expected = PACKAGES[package]
    deb = _deb_path(cache, package)
    if not deb.exists():
        deb.parent.mkdir(parents=True, exist_ok=True)
        log(f"downloading {package}={version}")
        done = subprocess.run(
            ["apt-get", "download", f"{package}={version}"], cwd=deb.parent, capture_output=True, text=True
        )
        if done.returncode != 0 or not deb.exists():
            raise RuntimeError(
                f"apt-get download {package}={version} failed: {done.stderr.strip() or 'no file written'}. "
                "Run `apt-get update` (Debian 12 'bookworm' sources are needed), or copy "
                f"{deb.name} into {deb.parent}."
            )
    actual = _sha256(deb)
    if actual != expected:
        raise RuntimeError(
            f"{deb} has SHA-256 {actual}, expected {expected}. Delete it and run again; if the archive "
            f"no longer ships {package}={version}, the catalogue in bench/realset.py must be updated."
        )
    return deb


def _extract(deb: Path, members: list[str], dest: Path) -> None:
    """Unpack only ``members`` of a .deb's data archive into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    dpkg = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", str(dest), *members], stdin=dpkg.stdout, capture_output=True)
    dpkg.stdout.close()
    if dpkg.wait() != 0 or tar.returncode != 0:
        raise RuntimeError(f"could not extract {members} from {deb}: {tar.stderr.decode().strip()}")


def _unpacked(cache: Path, package: str, member: str, log: Callable[[str], None]) -> Path:
    """Return the path of ``member`` unpacked under ``<cache>/extract/<package>``, unpacking it if needed."""
    target = cache / "extract" / package / member
    if not target.exists():
        deb = _fetch_deb(cache, package, log)
        _extract(deb, [member], cache / "extract" / package)
    return target


def _origin(package: str, member: str) -> str:
    return f"{package}={PACKAGES[package][0]}:{member.removeprefix('.')}"


def _recipe(entry: _Recording | _Score) -> str:
    """A fingerprint of everything that decides an output, to tell a stale cache entry from a good one."""
    fields = [str(RECIPE), repr(entry), repr(PACKAGES), str(CAP_SECONDS), str(GAIN), str(SAMPLE_RATE)]
    return hashlib.sha256("|".join(fields).encode()).hexdigest()[:16]


def _load_manifest(cache: Path) -> dict[str, dict]:
    path = cache / "manifest.json"
    if not path.exists():
        return {}
    try:
        return {row["key"]: row for row in json.loads(path.read_text())["tracks"]}
    except (ValueError, KeyError, TypeError):
        return {}


def _reusable(cache: Path, row: dict | None, entry: _Recording | _Score) -> bool:
    """True when the manifest row was made by this recipe and its files are there and intact."""
    if row is None or row.get("recipe") != _recipe(entry):
        return False
    audio = cache / row["path"]
    if not audio.exists() or _sha256(audio) != row.get("sha256"):
        return False
    return isinstance(entry, _Recording) or (cache / "truth" / f"{entry.key}.json").exists()


def _build_recording(cache: Path, rec: _Recording, log: Callable[[str], None]) -> Path:
    source = _unpacked(cache, rec.package, rec.member, log)
    audio = cache / "audio" / f"{rec.key}{source.suffix}"
    audio.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, audio)
    return audio


def _require_fluidsynth(log: Callable[[str], None]) -> str:
    found = shutil.which("fluidsynth")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("fluidsynth is missing: install it with `sudo apt-get install -y fluidsynth`.")
    log("installing fluidsynth with apt-get")
    subprocess.run(["apt-get", "install", "-y", "fluidsynth"], check=True, capture_output=True)
    found = shutil.which("fluidsynth")
    if not found:
        raise RuntimeError("apt-get install fluidsynth did not provide a fluidsynth binary.")
    return found


def _warp(pm, depth: float, period: float) -> None:
    """Apply the smooth monotone warp tau(t) = t + A P / (2 pi) (1 - cos(2 pi t / P)) in place."""
    end = pm.get_end_time() + 1.0
    t = np.arange(0.0, end, 0.05)
    tau = t + depth * period / (2 * np.pi) * (1 - np.cos(2 * np.pi * t / period))
    pm.adjust_times(t, tau)


def _cap(pm, cap: float) -> float:
    """Drop what starts at or after ``cap``, clip notes still sounding; return the last note-off."""
    from pretty_midi import ControlChange

    # The releases go at the last note-off, not at the cap, so a short piece is not padded to it.
    release = min(cap, max((n.end for inst in pm.instruments for n in inst.notes), default=0.0))
    for inst in pm.instruments:
        # A note starting within a tick of the cap would be written with its note-off before its
        # note-on (same tick) and hang; nothing is lost by dropping the last 50 ms of onsets.
        inst.notes = [n for n in inst.notes if n.start < cap - 0.05]
        for note in inst.notes:
            note.end = min(note.end, cap)
        inst.control_changes = [c for c in inst.control_changes if c.time < cap]
        inst.pitch_bends = [b for b in inst.pitch_bends if b.time < cap]
        # A pedal (or a note) whose release was cut off would sound forever, and fluidsynth's file
        # render only ends once every voice is silent: release the pedal and all notes at the cap.
        inst.control_changes += [ControlChange(64, 0, release), ControlChange(123, 0, release)]
    return release


def _prepare_midi(source: Path, score: _Score, out: Path) -> float:
    """Write the variant's MIDI (drums removed and/or warped, capped) to ``out``; return its last note-off."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(source))
    if score.variant in ("nodrums", "rubato"):
        pm.instruments = [inst for inst in pm.instruments if not inst.is_drum]
    if score.variant == "rubato":
        _warp(pm, score.warp_depth, score.warp_period)
    release = _cap(pm, CAP_SECONDS)
    out.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(out))
    return release


def _truth(midi: Path, duration: float) -> dict:
    """Tapped beats, bar starts and meter of a MIDI file, limited to the rendered duration."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(midi))
    signatures = {(ts.numerator, ts.denominator) for ts in pm.time_signature_changes}
    if len(signatures) != 1:
        raise RuntimeError(f"{midi}: expected one time signature, found {sorted(signatures)}")
    numerator, _ = signatures.pop()
    # pretty_midi already returns dotted beats for compound meters; count those per bar.
    meter = numerator // 3 if numerator > 3 and numerator % 3 == 0 else numerator
    beats = pm.get_beats()
    downbeats = pm.get_downbeats()
    return {
        "beats": beats[beats < duration].tolist(),
        "downbeats": downbeats[downbeats < duration].tolist(),
        "meter": meter,
    }


def _run_bounded(cmd: list[str], out: Path, max_bytes: int) -> None:
    """Run a renderer, killing it if ``out`` outgrows ``max_bytes`` (a voice that never ends)."""
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        while proc.poll() is None:
            if out.exists() and out.stat().st_size > max_bytes:
                proc.kill()
                proc.wait()
                out.unlink()
                raise RuntimeError(f"{cmd[0]} rendered past {max_bytes} bytes into {out}: a note never ends")
            time.sleep(0.2)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.read().decode().strip()}")


def _render(fluidsynth: str, soundfont: Path, midi: Path, out: Path, until: float) -> float:
    """Render ``midi`` to a 16-bit 44.1 kHz stereo WAV, trimmed at ``until`` s; return its duration."""
    raw = out.with_suffix(".raw.wav")
    # Reverb and chorus off: a dry render is deterministic and its onsets are sharp.
    cmd = [fluidsynth, "-ni", "-q", "-R", "0", "-C", "0", "-g", str(GAIN), "-r", str(SAMPLE_RATE)]
    cmd += ["-T", "wav", "-O", "s16", "-F", str(raw), str(soundfont), str(midi)]
    _run_bounded(cmd, raw, int((CAP_SECONDS + 60) * SAMPLE_RATE * 4))
    audio, rate = sf.read(raw, dtype="int16", always_2d=True)
    raw.unlink()
    limit = int(until * rate)
    if len(audio) > limit:
        audio = audio[:limit].astype(np.float64)
        fade = int(FADE_SECONDS * rate)
        audio[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
        audio = np.round(audio).astype(np.int16)
    sf.write(out, audio, rate, subtype="PCM_16")
    return len(audio) / rate


def _build_score(cache: Path, score: _Score, fluidsynth: str, log: Callable[[str], None]) -> Path | None:
    """Render one score and write its truth; return the audio path, or None if it is too short."""
    source = _unpacked(cache, "openttd-openmsx", _MSX + score.midi, log)
    soundfont = _unpacked(cache, *SOUNDFONT, log)
    midi = cache / "midi" / f"{score.key}.mid"
    audio = cache / "audio" / f"{score.key}.wav"
    audio.parent.mkdir(parents=True, exist_ok=True)
    release = _prepare_midi(source, score, midi)
    log(f"rendering {score.key}")
    # Some GM voices ring for tens of seconds after the last note-off; a long silent-ish tail with no
    # beats in the truth would only blur the benchmark, so keep TAIL_SECONDS of it.
    duration = _render(fluidsynth, soundfont, midi, audio, min(CAP_SECONDS, release + TAIL_SECONDS))
    if duration < MIN_SECONDS:
        log(f"dropping {score.key}: {duration:.1f} s is under {MIN_SECONDS:.0f} s")
        audio.unlink()
        return None
    truth = cache / "truth" / f"{score.key}.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_text(json.dumps(_truth(midi, duration)))
    return audio


def _track(cache: Path, entry: _Recording | _Score, audio: Path) -> RealTrack:
    if isinstance(entry, _Recording):
        return RealTrack(
            key=entry.key,
            path=audio,
            kind="recording",
            genre=entry.genre,
            licence=entry.licence,
            origin=_origin(entry.package, entry.member),
            beats=None,
            downbeats=None,
            meter=None,
            drums=entry.drums,
            steady=entry.steady,
        )
    truth = json.loads((cache / "truth" / f"{entry.key}.json").read_text())
    return RealTrack(
        key=entry.key,
        path=audio,
        kind="score",
        genre=entry.genre,
        licence=MSX_LICENCE,
        origin=_origin("openttd-openmsx", _MSX + entry.midi),
        beats=np.asarray(truth["beats"], dtype=float),
        downbeats=np.asarray(truth["downbeats"], dtype=float),
        meter=int(truth["meter"]),
        drums=entry.variant == "drums",
        steady=entry.variant != "rubato",
    )


def _write_manifest(cache: Path, rows: list[dict]) -> None:
    tmp = cache / "manifest.json.tmp"
    tmp.write_text(json.dumps({"recipe": RECIPE, "packages": PACKAGES, "tracks": rows}, indent=1))
    tmp.replace(cache / "manifest.json")


def build_set(cache: Path | None = None, *, log: Callable[[str], None] = print) -> list[RealTrack]:
    """Build the set into ``cache`` (re-using verified outputs) and return its tracks.

    Parameters
    ----------
    cache : Path, optional
        The cache directory; :func:`default_cache` when None.
    log : callable, optional
        Receives one progress line at a time.

    Returns
    -------
    list of RealTrack
        The recordings, then the scores, in catalogue order.

    Raises
    ------
    RuntimeError
        When a package cannot be downloaded or fails its checksum, or fluidsynth is missing.
    """
    cache = Path(cache) if cache is not None else default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    # Several runners may share one cache: the second waits for the first, then re-uses its work.
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_locked(cache, log)


def _build_locked(cache: Path, log: Callable[[str], None]) -> list[RealTrack]:
    manifest = _load_manifest(cache)
    rows: dict[str, dict] = {}
    tracks: list[RealTrack] = []
    fluidsynth: str | None = None
    for entry in (*RECORDINGS, *SCORES):
        row = manifest.get(entry.key)
        if _reusable(cache, row, entry):
            audio = cache / row["path"]
        elif isinstance(entry, _Recording):
            log(f"copying {entry.key}")
            audio = _build_recording(cache, entry, log)
        else:
            fluidsynth = fluidsynth or _require_fluidsynth(log)
            audio = _build_score(cache, entry, fluidsynth, log)
            if audio is None:
                continue
        path, digest = str(audio.relative_to(cache)), _sha256(audio)
        rows[entry.key] = {"key": entry.key, "path": path, "sha256": digest, "recipe": _recipe(entry)}
        tracks.append(_track(cache, entry, audio))
        # Written after every track so an interrupted build keeps what it finished.
        _write_manifest(cache, [*rows.values(), *(r for k, r in manifest.items() if k not in rows)])
    _write_manifest(cache, list(rows.values()))
    return tracks


def _table(tracks: list[RealTrack]) -> str:
    header = (
        f"{'key':24s} {'kind':9s} {'genre':10s} {'seconds':>7s} {'tempo':>6s} {'meter':>5s} {'drums':>5s} "
    )
    lines = [header + f"{'steady':>6s}  licence"]
    for t in tracks:
        seconds = sf.info(t.path).duration
        tempo = f"{t.tempo:6.1f}" if t.tempo is not None else f"{'-':>6s}"
        meter = f"{t.meter:5d}" if t.meter is not None else f"{'-':>5s}"
        drums = {True: "yes", False: "no", None: "?"}[t.drums]
        lines.append(
            f"{t.key:24s} {t.kind:9s} {t.genre:10s} {seconds:7.1f} {tempo} {meter} {drums:>5s} "
            f"{'yes' if t.steady else 'no':>6s}  {t.licence}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build (or re-use) the set and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.realset", description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="cache directory (default: %(default)s)")
    args = parser.parse_args(argv)
    cache = args.cache or default_cache()
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        tracks = build_set(cache, log=log)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(tracks)} tracks in {cache}")
    print(_table(tracks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
