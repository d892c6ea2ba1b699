"""A person plays a song forever in the page's jukebox, in chromium, against the real local server.

Chromium runs with ``--autoplay-policy=no-user-gesture-required`` and its audio clock in real time
(headless, it renders to no device); the page reports each beat once that clock has passed its
start (``jukebox:beat``), so what the tests count is what was played.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import mir_eval
import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import expect

import musicremixer
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.endless_walk import EndlessWalk, Settings, prepare_graph, rule_breaks, usable_jumps
from tests.frontend.conftest import live_server
from tests.frontend.jukebox_page import JukeboxPage, reference_path

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    """Chromium as tests/conftest.py starts it, allowed to play audio without a click."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def song_48() -> bytes:
    """The 48 s song: 24 bars of 4/4 at 120 BPM, stereo, 44.1 kHz (8.5 MB of WAV)."""
    from tests.synth import synthetic_song

    return synthetic_song(bpm=120, meter=4, bars=24, sr=44100, channels=2).to_bytes("wav")


@pytest.fixture
def song_file(tmp_path: Path, song_48: bytes) -> Path:
    path = tmp_path / "groove.wav"
    path.write_bytes(song_48)
    return path


def seed_of(ui: JukeboxPage) -> int:
    return int(ui.seed.input_value())


def test_plays_forever_along_the_walk(page, server, song_file: Path, artifacts: Path):
    ui = JukeboxPage(page, server.url).open()
    plan = ui.load_file(song_file)
    n = len(plan["beats"])
    assert n == 96 and plan["tracks"][0]["duration"] == pytest.approx(48, abs=0.05)
    ui.listen()
    ui.play.click()
    expect(ui.play).to_have_text("Pause")
    page.wait_for_timeout(30_000)
    page.screenshot(path=artifacts / "jukebox-playing.png", full_page=True)
    page.wait_for_timeout(60_000)
    ui.play.click()
    expect(ui.play).to_have_text("Play")
    expect(ui.status).to_have_text("Paused.")
    page.wait_for_timeout(500)
    heard = ui.heard()
    beats = [beat for beat, _, _ in heard]
    jumps = [(source, beat) for beat, move, source in heard if move in ("jump", "restart")]

    # 90 s of 0.5 s beats: about 180 heard, more than the song has; and it jumped.
    assert n < len(beats) <= 185, len(beats)
    assert len(beats) >= 170, "the scheduler kept up with the audio clock"
    assert len(jumps) >= 3, jumps
    assert all(not (a == b == c) for a, b, c in zip(jumps, jumps[1:], jumps[2:], strict=False)), jumps
    # Exactly the reference walk for the page's seed, every rule kept.
    assert beats == reference_path(plan, seed_of(ui), len(beats))
    graph = prepare_graph(plan)
    assert rule_breaks(graph, Settings(), [(b, m) for b, m, _ in heard]) == []

    # What a screen reader reads says the same.
    data = ui.data()
    assert int(data["beatsPlayed"]) == len(heard) and int(data["jumpsTaken"]) == len(jumps)
    assert int(data["currentBeat"]) == beats[-1]
    # Listening time: the start of the beat playing, on the audio clock (m:ss).
    started = sum(graph.length[b] for b in beats[:-1])
    shown = page.locator("#jukebox-elapsed").inner_text().split(":")
    assert abs(int(shown[0]) * 60 + int(shown[1]) - started) <= 1, (shown, started)
    assert 85 <= started <= 92
    expect(page.locator("#jukebox-beats")).to_have_text(str(len(heard)))
    expect(page.locator("#jukebox-jumps")).to_have_text(str(len(jumps)))
    expect(page.locator("#jukebox-where")).to_have_text(
        f"groove.wav, beat {beats[-1] + 1} of 96 (bar {beats[-1] // 4 + 1})"
    )
    # Paused, it stays paused.
    page.wait_for_timeout(1000)
    assert len(ui.heard()) == len(heard)
    assert page.console_errors == []


def test_tuning_redraws_without_a_request(page, server, song_file: Path, artifacts: Path):
    ui = JukeboxPage(page, server.url).open()
    plan = ui.load_file(song_file)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    graph = prepare_graph(plan)
    everything = int(ui.data()["drawnJumps"])
    assert everything == sum(len(e) for e in usable_jumps(graph, Settings()).allowed)
    assert everything > 20

    distances = sorted(e["distance"] for e in plan["edges"])
    strict = distances[len(distances) // 4]
    ui.set_range(ui.threshold, strict)
    strict = float(ui.threshold.input_value())  # as the slider's steps round it
    fewer = int(ui.data()["drawnJumps"])
    assert fewer == sum(len(e) for e in usable_jumps(graph, Settings(threshold=strict)).allowed)
    assert 0 < fewer < everything
    expect(page.locator("#jukebox-threshold-value")).to_have_text(f"{fewer} of {everything} jumps")
    page.screenshot(path=artifacts / "jukebox-strict-threshold.png", full_page=True)
    ui.set_range(ui.threshold, 0)
    assert int(ui.data()["drawnJumps"]) == 0
    ui.set_range(ui.threshold, distances[-1])
    assert int(ui.data()["drawnJumps"]) == everything

    ui.long_only.check()
    long = int(ui.data()["drawnJumps"])
    assert 0 < long < everything
    ui.reset.click()
    assert int(ui.data()["drawnJumps"]) == everything
    expect(ui.long_only).not_to_be_checked()

    # Playing with the strict threshold: every jump heard is one the threshold keeps.
    ui.set_range(ui.threshold, strict)
    assert float(ui.threshold.input_value()) == strict
    ui.set_range(ui.jumpiness, 1)
    ui.listen()
    ui.play.click()
    page.wait_for_timeout(20_000)
    heard = ui.heard()
    assert [b for b, _, _ in heard] == reference_path(
        plan, seed_of(ui), len(heard), jumpiness=1.0, threshold=strict
    )
    assert any(move == "jump" for _, move, _ in heard)
    assert requests == [], requests


def test_a_click_or_enter_on_a_beat_plays_it(page, server, song_file: Path):
    ui = JukeboxPage(page, server.url).open()
    plan = ui.load_file(song_file)
    ui.listen()
    ui.play.click()
    ui.wait_beats(4)
    x, y = ui.beat_point(plan, 60)
    ui.canvas.click(position={"x": x, "y": y})
    page.wait_for_function("window.heard.some(([beat, move]) => move === 'seek')", timeout=5_000)
    heard = ui.heard()
    seek = next(i for i, (_, move, _) in enumerate(heard) if move == "seek")
    assert heard[seek][0] == 60
    ui.wait_beats(seek + 3)
    assert [b for b, _, _ in ui.heard()[seek : seek + 3]] == [60, 61, 62]
    expect(ui.status).to_have_text("Playing from beat 61.")

    # From the keyboard: the circle is a slider over the beats; Enter plays the one chosen.
    ui.canvas.focus()
    page.keyboard.press("Home")
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    expect(ui.canvas).to_have_attribute("aria-valuenow", "9")
    expect(ui.canvas).to_have_attribute(
        "aria-valuetext", re.compile(r"^beat 9 of 96, bar 3, beat 1 of the bar")
    )
    before = len(ui.heard())
    page.keyboard.press("Enter")
    page.wait_for_function(f"window.heard.slice({before}).some(([b, m]) => m === 'seek')", timeout=5_000)
    assert [b for b, m, _ in ui.heard()[before:] if m == "seek"] == [8]
    page.wait_for_function(
        "document.querySelector('#jukebox-canvas').dataset.currentBeat === '9'", timeout=5_000
    )
    assert page.console_errors == []


def test_bring_it_home_ends_on_the_last_beat(page, server, song_file: Path):
    ui = JukeboxPage(page, server.url).open()
    plan = ui.load_file(song_file)
    ui.listen()
    ui.play.click()
    ui.wait_beats(2)
    ui.home.click()
    expect(ui.status).to_contain_text("Heading home")
    expect(ui.play).to_have_text("Play again", timeout=60_000)
    heard = ui.heard()
    assert heard[-1][0] == len(plan["beats"]) - 1
    expect(ui.status).to_contain_text("Home: it stopped on the song's last beat")
    assert ui.data()["ended"] == "true"
    # The quickest way: shorter than playing the song through from where it was asked.
    played = sum(plan["beats"][b]["end"] - plan["beats"][b]["start"] for b, _, _ in heard)
    assert played < 48 - 1, played
    # Nothing more comes.
    page.wait_for_timeout(1500)
    assert len(ui.heard()) == len(heard)
    expect(ui.home).to_be_disabled()


def test_download_five_minutes(page, server, song_file: Path, song_48: bytes, tmp_path: Path):
    ui = JukeboxPage(page, server.url).open()
    ui.seed.fill("263074")  # a walk whose seams fall on beats that lie half way between two samples
    plan = ui.load_file(song_file)
    expect(ui.minutes).to_have_value("5")
    with page.expect_download(timeout=60_000) as info:
        ui.download.click()
    wav = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == f"groove-jukebox-{seed_of(ui)}-5min.wav"
    out, sr = sf.read(io.BytesIO(wav), dtype="int16", always_2d=True)
    source, source_sr = sf.read(io.BytesIO(song_48), dtype="int16", always_2d=True)
    # The song's own rate and channels; 5 minutes to the sample (within a beat, asked).
    assert (sr, out.shape[1]) == (source_sr, source.shape[1]) == (44100, 2)
    assert out.shape[0] == 300 * sr

    # The walk it rendered: the reference walk for this seed, as long as 5 minutes need.
    graph = prepare_graph(plan)
    walker = EndlessWalk(graph, seed=seed_of(ui), settings=Settings())
    beats, elapsed = [], 0.0
    while elapsed < 300:
        beats.append(walker.next().beat)
        elapsed += graph.length[beats[-1]]
    # Beats in samples as the server's render rounds them (half to even: 7.005 s is 308,920.5 samples).
    starts = [int(np.round(b["start"] * sr)) for b in plan["beats"]]
    ends = [int(np.round(b["end"] * sr)) for b in plan["beats"]]
    assert any((b["start"] * sr) % 1 == 0.5 for b in plan["beats"]), "the song tests the rounding"
    runs = []
    for beat in beats:
        if runs and beat == runs[-1][1] + 1:
            runs[-1][1] = beat
        else:
            runs.append([beat, beat])
    assert len(runs) > 10
    seams, position = [], 0
    fade_from = out.shape[0] - 3 * sr
    margin = round(0.045 * sr)  # a crossfade reaches at most 40 ms either side of its boundary
    max_shift = round(0.012 * sr)
    peak = int(np.abs(source.astype(np.int32)).max())
    for k, (first, last) in enumerate(runs):
        length = ends[last] - starts[first]
        lo = position + (margin if k else 0)
        hi = min(position + length - (margin if k + 1 < len(runs) else 0), fade_from)
        if hi - lo > sr // 10:
            body = out[lo:hi]
            # Between seams: the decoded song's samples exactly, slid as a whole by at most 12 ms.
            matches = [
                shift
                for shift in range(-max_shift, max_shift + 1)
                if starts[first] + shift + (lo - position) >= 0
                and starts[first] + shift + (hi - position) <= source.shape[0]
                and np.array_equal(
                    body,
                    source[starts[first] + shift + (lo - position) : starts[first] + shift + (hi - position)],
                )
            ]
            assert matches, f"seed {seed_of(ui)}: run {k} ({first}..{last}) is not the song's samples"
        position += length
        seams.append(position)
    # No seam clips: around every jump the mix stays under the song's own peak.
    for p in seams[:-1]:
        if p + margin < fade_from:
            window = out[p - 2 * margin : p + 2 * margin].astype(np.int32)
            assert np.abs(window).max() <= peak, p
    # The fade at the end: the last second is quieter than the song.
    assert np.abs(out[-sr // 2 :].astype(np.int32)).max() < peak / 2
    link = page.locator("#jukebox-export-link")
    assert int(link.get_attribute("data-beats")) == len(beats)
    expect(page.locator("#jukebox-export-status")).to_contain_text("Made 5:00 of WAV")


def test_a_file_over_the_upload_cap_is_analysed_from_a_stand_in(
    browser, song_file: Path, song_48: bytes, artifacts: Path, monkeypatch
):
    """The cap is 1 MB: the 8.5 MB WAV goes as a compact Opus copy, and plays."""
    received = []  # what the function got: the local server runs in this process
    plan_remix = musicremixer.plan_remix

    def recording(sources, **options):
        received.extend(sources)
        return plan_remix(sources, **options)

    monkeypatch.setattr(musicremixer, "plan_remix", recording)
    with live_server(max_input_bytes=1_000_000) as small:
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            ui = JukeboxPage(page, small.url).open()
            plan = ui.load_file(song_file)
            assert [name for name, _ in received] == ["groove.opus"]
            stand_in = received[0].data
            assert len(stand_in) < 1_000_000 < len(song_48)
            info = sf.info(io.BytesIO(stand_in))
            assert (info.format, info.subtype, info.channels) == ("OGG", "OPUS", 1)
            assert info.duration == pytest.approx(48.0, abs=0.001)
            (artifacts / "stand-in.opus").write_bytes(stand_in)
            # The stand-in's analysis is the song's: beats, downbeats, tempo, meter.
            original = plan_remix([musicremixer.SourceFile("groove.wav", song_48)], seed=1)

            def starts(p, downbeats=False):
                return np.array(
                    [b["start"] for b in p["beats"] if not downbeats or b["bar_position"] == 0][1:]
                )

            assert mir_eval.beat.f_measure(starts(original), starts(plan)) >= 0.98
            assert mir_eval.beat.f_measure(starts(original, True), starts(plan, True)) >= 0.98
            assert plan["tracks"][0]["meter"] == original["tracks"][0]["meter"]
            assert plan["tracks"][0]["tempo"] == pytest.approx(original["tracks"][0]["tempo"], rel=0.01)
            expect(page.locator("#jukebox-summary")).to_contain_text(
                re.compile(r"analysed from a \d+ kB copy")
            )
            expect(page.locator("#jukebox-song")).to_have_text("groove.wav")
            ui.listen()
            ui.play.click()
            ui.wait_beats(8, timeout_ms=15_000)
            assert [b for b, _, _ in ui.heard()][:8] == list(range(8))
            page.screenshot(path=artifacts / "jukebox-stand-in.png")
            assert errors == []
        finally:
            context.close()


def test_a_url_plays_and_its_share_link_reopens_it(
    browser, server, audio_host, song_48: bytes, artifacts: Path
):
    url = audio_host.add("/songs/groove.wav", song_48, "audio/wav")
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        ui = JukeboxPage(page, server.url).open()
        plan = ui.load_url(url)
        seed = int(re.search(r"seed (\d+)", page.locator("#jukebox-summary").inner_text()).group(1))
        assert seed == seed_of(ui)
        distances = sorted(e["distance"] for e in plan["edges"])
        ui.set_range(ui.threshold, distances[len(distances) // 2])
        threshold = float(ui.threshold.input_value())
        ui.long_only.check()
        ui.home_after.fill("2")
        ui.home_after.dispatch_event("change")
        ui.set_range(ui.jumpiness, 0.8)
        ui.listen()
        ui.play.click()
        ui.wait_beats(6)
        assert [b for b, _, _ in ui.heard()][:6] == list(range(6)), "it plays the song's copy"
        ui.share.click()
        expect(ui.share_link).to_be_visible()
        link = ui.share_link.input_value()
        assert (
            link.startswith(server.url) and f"seed={seed}" in link and "long=1" in link and "home=120" in link
        )
        drawn = ui.data()["drawnJumps"]

        again = context.new_page()
        reopened = JukeboxPage(again, server.url)
        with again.expect_response(lambda r: r.url.endswith("/api/analyze"), timeout=120_000):
            again.goto(link)
        reopened.wait_ready()
        expect(reopened.urls).to_have_value(url)
        expect(reopened.long_only).to_be_checked()
        expect(reopened.home_after).to_have_value("2")
        assert reopened.jumpiness.input_value() == "0.8"
        assert reopened.data()["drawnJumps"] == drawn
        expect(again.locator("#jukebox-summary")).to_contain_text(f"seed {seed}")
        reopened.listen()
        reopened.play.click()
        reopened.wait_beats(40, timeout_ms=40_000)
        heard = [b for b, _, _ in reopened.heard()]
        assert float(reopened.threshold.input_value()) == threshold
        settings = dict(jumpiness=0.8, threshold=threshold, long_only=True, home_after=120.0)
        assert heard == reference_path(plan, seed, len(heard), **settings)
        again.screenshot(path=artifacts / "jukebox-shared.png", full_page=True)
    finally:
        context.close()


def test_one_song_at_a_time_and_bad_input_is_explained(page, server, tmp_path: Path):
    ui = JukeboxPage(page, server.url).open()
    ui.urls.fill("https://example.com/a.mp3\nhttps://example.com/b.mp3")
    ui.open_button.click()
    expect(ui.message).to_be_visible()
    expect(page.locator("#message-title")).to_have_text("The jukebox plays one song")
    ui.urls.fill("")
    bad = tmp_path / "notes.wav"
    bad.write_bytes(b"RIFF" + bytes(2000))
    ui.files.set_input_files([bad])
    ui.open_button.click()
    expect(page.locator("#message-title")).to_have_text("That audio could not be read")
    expect(page.locator("#message-detail")).to_contain_text("could not decode")
    expect(ui.section).to_be_hidden()


def test_phone_and_keyboard(browser, server, audio_host, song_48: bytes, artifacts: Path):
    url = audio_host.add("/songs/phone.wav", song_48, "audio/wav")
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        ui = JukeboxPage(page, server.url).open()
        # Keyboard only: type the URL, Tab to Play forever, Enter; then Tab to Play.
        ui.urls.focus()
        page.keyboard.type(url)
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "jukebox-button":
                break
        expect(ui.open_button).to_be_focused()
        with page.expect_response(lambda r: r.url.endswith("/api/analyze"), timeout=120_000):
            page.keyboard.press("Enter")
        ui.wait_ready()
        expect(page.locator("#jukebox-heading")).to_be_focused()
        plan_beats = int(ui.data()["beats"])
        page.keyboard.press("Tab")
        expect(ui.play).to_be_focused()
        ui.listen()
        page.keyboard.press("Enter")
        ui.wait_beats(3)
        for _ in range(6):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "jukebox-canvas":
                break
        expect(ui.canvas).to_be_focused()
        page.keyboard.press("End")
        page.keyboard.press("PageDown")  # a bar back: beat 92 of 96
        expect(ui.canvas).to_have_attribute("aria-valuenow", str(plan_beats - 4))
        page.keyboard.press("Enter")
        page.wait_for_function("window.heard.some(([b, m]) => m === 'seek' && b === 91)", timeout=5_000)
        for _ in range(4):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "jukebox-jumpiness":
                break
        expect(ui.jumpiness).to_be_focused()
        page.keyboard.press("ArrowLeft")
        expect(ui.jumpiness).to_have_value("0.45")

        # A phone's screen: nothing wider than it, the circle inside it, fingers-sized targets.
        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = ui.canvas.bounding_box()
        assert box is not None and box["x"] > 0 and box["x"] + box["width"] <= width
        for control in (
            ui.play,
            ui.home,
            ui.share,
            ui.reset,
            ui.download,
            ui.minutes,
            ui.home_after,
            ui.open_button,
        ):
            assert control.bounding_box()["height"] >= 43.5, control
        # A tap on a beat plays it.
        plan = {"beats": [{"bar_position": i % 4} for i in range(plan_beats)]}
        x, y = ui.beat_point(plan, 40)
        ui.canvas.tap(position={"x": x, "y": y})
        page.wait_for_function("window.heard.some(([b, m]) => m === 'seek' && b === 40)", timeout=5_000)
        page.screenshot(path=artifacts / "jukebox-phone-full.png", full_page=True)
        page.locator("#jukebox-stats").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -120)")
        page.screenshot(path=artifacts / "jukebox-phone.png")
    finally:
        context.close()
