"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from musicremixer.cli import main
from tests.synth import noise, wav_bytes


@pytest.fixture(scope="module")
def song_file(tmp_path_factory, song_4_4) -> Path:
    path = tmp_path_factory.mktemp("cli") / "song.wav"
    path.write_bytes(song_4_4.to_bytes("wav"))
    return path


def test_remix_writes_audio_and_plan(song_file: Path, tmp_path: Path, capsys) -> None:
    out, plan = tmp_path / "remix.flac", tmp_path / "plan.json"
    code = main(
        ["remix", str(song_file), "-o", str(out), "--duration", "30", "--seed", "7", "--plan", str(plan)]
    )
    assert code == 0
    info = sf.info(str(out))
    assert info.format == "FLAC"  # from the extension
    assert abs(info.duration - 30) <= 0.5
    assert json.loads(plan.read_text())["seed"] == 7
    err = capsys.readouterr().err
    assert "[1/6] decoding" in err and "[6/6] encoding" in err and "seed 7" in err


def test_verbose_prints_each_stage_time(song_file: Path, tmp_path: Path, capsys) -> None:
    assert main(["remix", str(song_file), "-o", str(tmp_path / "r.wav"), "--duration", "10", "-v"]) == 0
    err = capsys.readouterr().err
    for stage in ("decode", "analyze", "graph", "walk", "render", "encode"):
        assert f"{stage:>8}: " in err


def test_format_option_wins_over_the_extension(song_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "remix.bin"
    assert main(["remix", str(song_file), "-o", str(out), "--format", "ogg", "--duration", "10", "-q"]) == 0
    assert sf.info(str(out)).format == "OGG"


def test_bad_input_is_an_error_message_not_a_traceback(tmp_path: Path, capsys) -> None:
    hiss = tmp_path / "hiss.wav"
    hiss.write_bytes(wav_bytes(noise(15, 22050), 22050))
    out = tmp_path / "out.wav"
    assert main(["remix", str(hiss), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "musicremixer: error: hiss.wav" in err and "Traceback" not in err
    assert not out.exists()  # nothing half-written


def test_missing_file_and_bad_options_are_usage_errors(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["remix", str(tmp_path / "nope.wav"), "-o", str(tmp_path / "o.wav")])
    assert exited.value.code == 2
    assert "can't read" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["remix", "x.wav", "-o", "o.wav", "--format", "aiff"])


def test_help_explains_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "musicremixer.cli", "remix", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--duration", "--seed", "--jumpiness", "--format", "--plan", "-v", "-o"):
        assert option in result.stdout
    top = subprocess.run([sys.executable, "-m", "musicremixer.cli", "--help"], capture_output=True, text=True)
    assert "remix" in top.stdout and "serve" in top.stdout


def test_the_engine_imports_nothing_of_the_web_layer() -> None:
    # The dependency runs one way: functions/ uses musicremixer, never the reverse.
    import ast

    lib = Path(__file__).resolve().parents[2] / "lib" / "musicremixer"
    for module in lib.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "functions" or n.startswith("functions.") for n in names), module
    code = "import sys, musicremixer.cli as c; c._parser(); print(any(m.split('.')[0] == 'functions' and "
    code += "m not in ('functions', 'functions.command') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"  # only the light command module, not the app


def test_serve_is_listed_and_says_how_to_fetch_from_this_machine() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "musicremixer.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--port" in result.stdout and "--host" in result.stdout
    assert "MUSICREMIXER_ALLOW_PRIVATE_URLS=1" in result.stdout
