"""A person remixes a song in the page, in a real browser, against the real local server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.frontend.remix_page import RemixPage, jumps_in

pytestmark = pytest.mark.browser


def beat_seconds(plan: dict) -> float:
    return 60.0 / plan["tempo"]


def test_upload_remix_plays_draws_and_downloads(page, server, song_wav, tmp_path: Path, artifacts: Path):
    song = tmp_path / "groove.wav"
    song.write_bytes(song_wav)
    ui = RemixPage(page, server.url).open()
    # The defaults are the ones that work on the hosted service for a whole song.
    expect(ui.format).to_have_value("mp3")
    expect(ui.length).to_have_value("")
    expect(ui.jumpiness).to_have_value("0.5")
    expect(ui.seed).to_have_value(re.compile(r"^\d+$"))

    ui.choose_files(song)
    expect(page.get_by_role("list", name="Chosen files")).to_contain_text("groove.wav")
    ui.length.fill("24")  # longer than the 16 s song: the remix has to jump
    ui.seed.fill("7")

    def while_working():
        # Honest progress, the button disabled, a way to cancel.
        expect(ui.remix_button).to_be_disabled()
        expect(ui.cancel_button).to_be_visible()
        expect(page.locator("#progress-stage")).to_have_text(
            re.compile("Uploading|Remixing|Receiving|Decoding")
        )
        expect(page.locator("#progress-elapsed")).to_contain_text("so far")

    remixed = ui.remix(while_working=while_working)
    plan = remixed.plan
    assert remixed.media_type == "audio/mpeg"
    expect(ui.remix_button).to_be_enabled()

    # A playable source whose length, read in the browser, is the one asked for (within a beat).
    state = ui.audio_state()
    assert state["src"].startswith("blob:"), state
    assert state["error"] is None and state["readyState"] >= 1, state
    assert abs(state["duration"] - 24) <= beat_seconds(plan), (state["duration"], plan["duration"])

    # The drawing shows the plan's beats and the jumps the remix takes.
    data = ui.canvas_data()
    assert int(data["beats"]) == len(plan["beats"]) > 0
    assert int(data["edges"]) == len(plan["edges"])
    assert int(data["jumps"]) == jumps_in(plan) > 0
    assert int(data["clusters"]) == plan["n_clusters"]
    assert int(data["bars"]) > 0
    assert data["currentBeat"] == "-1"
    expect(ui.canvas).to_have_attribute("aria-label", re.compile(rf"{len(plan['beats'])} beats"))
    expect(page.locator("#result-summary")).to_contain_text("seed 7")

    # Playing it lights up the sounding beat, the one the plan's sequence says.
    page.evaluate("() => { const a = document.querySelector('#player'); a.muted = true; return a.play(); }")
    page.wait_for_function("document.querySelector('#player').currentTime > 2", timeout=15_000)
    page.evaluate("() => document.querySelector('#player').pause()")
    now = ui.player.evaluate("audio => audio.currentTime")
    index = int(ui.canvas_data()["currentIndex"])
    sequence = plan["sequence"]
    assert sequence[index]["time"] <= now + 0.05
    assert index + 1 == len(sequence) or sequence[index + 1]["time"] > now - 0.05
    assert int(ui.canvas_data()["currentBeat"]) == sequence[index]["beat"]

    # The download link gives the same bytes under a sensible name.
    expect(ui.download).to_have_attribute("download", re.compile(r"^[\w.-]+\.mp3$"))
    with page.expect_download() as info:
        ui.download.click()
    download = info.value
    assert download.suggested_filename == remixed.filename
    assert "groove" in download.suggested_filename
    assert Path(download.path()).read_bytes() == remixed.audio

    page.screenshot(path=artifacts / "remix-page.png", full_page=True)
    assert page.console_errors == []


def test_url_remix_and_remix_again(page, server, audio_host, small_song_wav):
    url = audio_host.add("/songs/loop.wav", small_song_wav, "audio/wav")
    ui = RemixPage(page, server.url).open()
    ui.urls.fill(url)
    ui.length.fill("0:20")
    ui.format.select_option("wav")
    remixed = ui.remix()
    plan = remixed.plan

    assert remixed.media_type in ("audio/wav", "audio/x-wav")
    assert [track["name"] for track in plan["tracks"]] == ["loop.wav"] or "loop" in plan["tracks"][0]["name"]
    assert abs(ui.audio_state()["duration"] - 20) <= beat_seconds(plan)
    assert int(ui.canvas_data()["beats"]) == len(plan["beats"])
    assert int(ui.canvas_data()["jumps"]) == jumps_in(plan)
    expect(ui.download).to_have_attribute("download", re.compile(r"\.wav$"))
    first_seed = plan["seed"]
    first_src = ui.audio_state()["src"]

    # One click for another take: a new seed, the same song and settings.
    again = ui.remix(button=ui.again_button)
    assert again.plan["seed"] != first_seed
    expect(ui.seed).not_to_have_value(str(first_seed))
    expect(page.locator("#result-summary")).to_contain_text(f"seed {ui.seed.input_value()}")
    assert ui.audio_state()["src"] != first_src
    assert abs(ui.audio_state()["duration"] - 20) <= beat_seconds(plan)
    assert page.console_errors == []


def test_keyboard_only(page, server, audio_host, small_song_wav):
    url = audio_host.add("/songs/keys.wav", small_song_wav, "audio/wav")
    ui = RemixPage(page, server.url).open()

    # Tab reaches every control, in reading order.
    order = []
    for _ in range(14):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused in order:
            break
        order.append(focused)
    expected = [
        "urls",
        "files",
        "keep-order",
        "duration",
        "jumpiness",
        "seed",
        "new-seed",
        "format",
        "remix-button",
    ]
    assert [element for element in order if element in expected] == expected, order

    # Fill it in and remix with the keyboard alone.
    ui.urls.focus()
    page.keyboard.type(url)
    page.keyboard.press("Tab")  # the file chooser
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Keep the order")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("15")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")
    expect(ui.jumpiness).to_have_value("0.55")
    expect(page.locator("#jumpiness-value")).to_have_text("0.55")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # New seed
    before = ui.seed.input_value()
    page.keyboard.press("Enter")
    expect(ui.seed).not_to_have_value(before)
    page.keyboard.press("Tab")
    expect(ui.format).to_be_focused()
    page.keyboard.press("Tab")
    expect(ui.remix_button).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/api/remix"), timeout=120_000):
        page.keyboard.press("Enter")
        expect(ui.cancel_button).to_be_focused()
    ui.wait_idle()
    expect(page.get_by_role("heading", name="3. Your remix")).to_be_focused()

    # From the result, Tab goes to the player and on to the download.
    for _ in range(15):  # the player's own controls take a few
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "download":
            break
    expect(ui.download).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename.endswith(".mp3")


def test_every_control_has_a_label(page, server):
    ui = RemixPage(page, server.url).open()
    for control, element_id in [
        (ui.urls, "urls"),
        (ui.files, "files"),
        (page.get_by_role("checkbox", name="Keep the order"), "keep-order"),
        (ui.length, "duration"),
        (ui.jumpiness, "jumpiness"),
        (ui.seed, "seed"),
        (ui.format, "format"),
        (ui.new_seed, "new-seed"),
        (ui.remix_button, "remix-button"),
    ]:
        expect(control).to_have_id(element_id)
    # Nothing in the accessibility tree is a control without a name.
    snapshot = page.locator("body").aria_snapshot()
    unnamed = re.findall(
        r"^\s*- (textbox|combobox|slider|spinbutton|button|link|checkbox)\s*(\[.*\])?:?$",
        snapshot,
        flags=re.MULTILINE,
    )
    assert unnamed == [], snapshot


def test_phone_sized_screen(browser, server, small_song_wav, tmp_path: Path, artifacts: Path):
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        song = tmp_path / "phone.wav"
        song.write_bytes(small_song_wav)
        ui = RemixPage(page, server.url).open()
        ui.choose_files(song)
        ui.length.fill("15")
        ui.remix()

        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = ui.canvas.bounding_box()
        assert box is not None and box["x"] > 0 and box["x"] + box["width"] <= width
        # Touch targets are at least 44 CSS pixels tall.
        for control in (ui.remix_button, ui.again_button, ui.new_seed, ui.download, ui.format, ui.length):
            assert control.bounding_box()["height"] >= 43.5, control
        page.screenshot(path=artifacts / "remix-page-phone.png", full_page=True)
    finally:
        context.close()


def test_dropped_files_join_the_list(page, server):
    RemixPage(page, server.url).open()
    drop_zone = page.locator("#drop-zone")
    transfer = page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(2000)], "first.wav", {type: "audio/wav"}));
            transfer.items.add(new File([new Uint8Array(3000)], "second.mp3", {type: "audio/mpeg"}));
            return transfer;
        }"""
    )
    drop_zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(drop_zone).to_have_class(re.compile("dragging"))
    drop_zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(drop_zone).not_to_have_class(re.compile("dragging"))
    chosen = page.get_by_role("list", name="Chosen files")
    expect(chosen.get_by_role("listitem")).to_have_count(2)
    expect(chosen).to_contain_text("first.wav")
    expect(chosen).to_contain_text("second.mp3")
    page.get_by_role("button", name="Remove first.wav").click()
    expect(chosen.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("button", name="Remove second.mp3")).to_be_focused()


def test_choosing_files_again_replaces_the_list(page, server, tmp_path: Path):
    """As a file picker does: the files chosen last are the files, whether chosen or dropped."""
    paths = []
    for name in ("one.wav", "two.wav", "three.wav"):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(b"RIFF" + bytes(len(name) * 100))
    ui = RemixPage(page, server.url).open()
    chosen = page.get_by_role("list", name="Chosen files")
    ui.choose_files(paths[0], paths[1])
    expect(chosen.get_by_role("listitem")).to_have_count(2)
    ui.choose_files(paths[2])
    expect(chosen.get_by_role("listitem")).to_have_count(1)
    expect(chosen).to_contain_text("three.wav")
    expect(chosen).not_to_contain_text("one.wav")

    transfer = page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(2000)], "dropped.mp3", {type: "audio/mpeg"}));
            return transfer;
        }"""
    )
    page.locator("#drop-zone").dispatch_event("drop", {"dataTransfer": transfer})
    expect(chosen.get_by_role("listitem")).to_have_count(1)
    expect(chosen).to_contain_text("dropped.mp3")
    # Choosing the same file twice in a row still counts (the input is emptied after each choice).
    ui.choose_files(paths[2])
    ui.choose_files(paths[2])
    expect(chosen.get_by_role("listitem")).to_have_count(1)
    expect(chosen).to_contain_text("three.wav")
