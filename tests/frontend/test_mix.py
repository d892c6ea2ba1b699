"""Several songs, one mix (issue 10), as the page shows it: which song plays, the order, the
transitions, the songs left out, and the "Keep the order" option as it is sent.

The engine does not make such mixes on this branch yet, so ``POST /api/remix`` is answered in the
browser (Playwright's ``page.route``) with a plan built to the contract (:mod:`mix_answer`) and a
real WAV; the page itself and ``/api/limits`` come from the real local server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from tests.frontend.mix_answer import click_wav, mix_answer, mix_plan
from tests.frontend.remix_page import RemixPage, jumps_in

pytestmark = pytest.mark.browser

URLS = [f"https://songs.example/{name}" for name in ("a.mp3", "b.mp3", "c.mp3")]


def answer_with(page: Page, plan: dict[str, Any]) -> list[Request]:
    """Answer every remix request with ``plan`` (and its audio); returns the requests as they come."""
    seen: list[Request] = []
    body = json.dumps(mix_answer(plan))

    def handle(route):
        seen.append(route.request)
        route.fulfill(status=200, content_type="application/json", body=body)

    page.route("**/api/remix", handle)
    return seen


def seek(page: Page, seconds: float) -> None:
    page.evaluate(
        """seconds => new Promise(resolve => {
            const audio = document.querySelector('#player');
            audio.addEventListener('seeked', () => resolve(), {once: true});
            audio.currentTime = seconds;
        })""",
        seconds,
    )


def test_a_mix_names_the_song_playing(page, server, artifacts: Path):
    plan = mix_plan(["a.mp3", "b.mp3", "c.mp3"], order=[1, 0, 2], kinds=["blend", "cut"])
    requests = answer_with(page, plan)
    ui = RemixPage(page, server.url).open()
    ui.urls.fill("\n".join(URLS))
    ui.format.select_option("wav")  # as the answer is
    ui.remix()

    # The request: the three URLs, and no keep_order (the box is not ticked).
    sent = json.loads(requests[-1].post_data)
    assert sent["urls"] == URLS
    assert "keep_order" not in sent

    # The summary says the order and the number of transitions; each song's tempo is its own.
    summary = page.locator("#result-summary")
    expect(summary).to_contain_text(
        "mix of 3 songs, 2 transitions: b.mp3 (128 BPM) → a.mp3 (120 BPM) → c.mp3 (136 BPM)"
    )
    expect(summary).not_to_contain_text("+")
    expect(summary).not_to_contain_text("did not fit")

    # The drawing: the songs, the transitions apart from the jumps within songs, the song playing.
    data = ui.canvas_data()
    assert data["songs"] == "3"
    assert data["transitions"] == "2"
    assert data["leftOut"] == "0"
    assert int(data["jumps"]) == jumps_in(plan) == 3  # five breaks in the sequence, two of them transitions
    assert data["playingTrack"] == "1"
    expect(ui.canvas).to_have_attribute(
        "aria-label", re.compile(r"3 songs, b\.mp3, then a\.mp3, then c\.mp3")
    )
    expect(ui.canvas).to_have_attribute("aria-label", re.compile(r"2 transitions"))

    # The key: songs in playing order, the one playing marked, each transition listed with its kind.
    songs = page.get_by_role("list", name="The songs, in playing order").get_by_role("listitem")
    expect(songs).to_have_count(3)
    for item, name in zip(songs.all(), ["b.mp3", "a.mp3", "c.mp3"], strict=True):
        expect(item).to_contain_text(name)
    expect(songs.nth(0)).to_have_attribute("aria-current", "true")
    lines = page.get_by_role("list", name="Transitions and jumps")
    expect(lines).to_contain_text("0:04, b.mp3 → a.mp3, blended over 1 s")
    expect(lines).to_contain_text("0:08, a.mp3 → c.mp3, a cut")
    expect(lines).to_contain_text("3 jumps")

    # "Now playing" is a polite live region that names the first song at the start.
    now = page.locator("#now-playing")
    expect(now).to_have_attribute("aria-live", "polite")
    expect(now).to_have_text("Now playing: b.mp3 (song 1 of 3)")
    page.screenshot(path=artifacts / "mix-page.png", full_page=True)

    # It changes only when the song does: three seeks within song 1 change nothing, one past the
    # transition at 4 s changes it once.
    page.evaluate(
        """() => {
            window.nowPlayingChanges = 0;
            new MutationObserver(records => { window.nowPlayingChanges += records.length; })
                .observe(document.querySelector('#now-playing'),
                         {childList: true, subtree: true, characterData: true});
        }"""
    )
    for seconds in (1.0, 2.2, 3.9):
        seek(page, seconds)
    page.wait_for_timeout(100)
    assert page.evaluate("window.nowPlayingChanges") == 0
    expect(now).to_have_text("Now playing: b.mp3 (song 1 of 3)")
    seek(page, 4.3)
    expect(now).to_have_text("Now playing: a.mp3 (song 2 of 3)")
    assert page.evaluate("window.nowPlayingChanges") == 1
    assert ui.canvas_data()["playingTrack"] == "0"
    expect(songs.nth(1)).to_have_attribute("aria-current", "true")
    expect(songs.nth(0)).not_to_have_attribute("aria-current", "true")

    # While it plays, the line follows the audio across the next transition (at 8 s).
    seek(page, 7.6)
    page.evaluate("() => { const a = document.querySelector('#player'); a.muted = true; return a.play(); }")
    expect(now).to_have_text("Now playing: c.mp3 (song 3 of 3)", timeout=10_000)
    page.evaluate("() => document.querySelector('#player').pause()")
    assert ui.player.evaluate("audio => audio.currentTime") >= 8.0
    assert ui.canvas_data()["playingTrack"] == "2"
    page.screenshot(path=artifacts / "mix-page-playing.png", full_page=True)
    assert page.console_errors == []


def test_a_song_that_did_not_fit_is_named(page, server, artifacts: Path):
    plan = mix_plan(["a.mp3", "b.mp3", "c.mp3"], order=[1, 0])
    answer_with(page, plan)
    ui = RemixPage(page, server.url).open()
    ui.urls.fill("\n".join(URLS))
    ui.remix()

    expect(page.locator("#result-summary")).to_contain_text(
        "mix of 2 songs, 1 transition: b.mp3 (128 BPM) → a.mp3 (120 BPM); c.mp3 did not fit"
    )
    data = ui.canvas_data()
    assert (data["songs"], data["transitions"], data["leftOut"]) == ("2", "1", "1")
    songs = page.get_by_role("list", name="The songs, in playing order").get_by_role("listitem")
    expect(songs).to_have_count(3)
    expect(songs.nth(2)).to_contain_text("c.mp3")
    expect(songs.nth(2)).to_contain_text("did not fit")
    expect(page.locator("#now-playing")).to_have_text("Now playing: b.mp3 (song 1 of 2)")
    page.locator("#result").screenshot(path=artifacts / "mix-left-out.png")
    assert page.console_errors == []


def test_one_song_reads_as_before(page, server):
    """A single-song plan in the new shape: no "now playing" line and no key; the summary names it."""
    plan = mix_plan(["solo.wav"], order=[0])
    answer_with(page, plan)
    ui = RemixPage(page, server.url).open()
    ui.urls.fill("https://songs.example/solo.wav")
    ui.remix()
    expect(page.locator("#result-summary")).to_contain_text("remix of solo.wav · 120 BPM")
    expect(page.locator("#now-playing")).to_be_hidden()
    expect(page.locator("#plan-legend")).to_be_hidden()
    data = ui.canvas_data()
    assert (data["songs"], data["transitions"], data["leftOut"], data["playingTrack"]) == ("1", "0", "0", "0")
    assert int(data["jumps"]) == jumps_in(plan) == 1


def test_keep_order_is_sent_only_when_ticked(page, server, tmp_path: Path):
    requests = answer_with(page, mix_plan(["a.mp3", "b.mp3"], order=[0, 1]))
    ui = RemixPage(page, server.url).open()
    keep_order = page.get_by_role("checkbox", name="Keep the order")
    expect(keep_order).not_to_be_checked()
    expect(keep_order).to_have_accessible_description(re.compile("smoothest transitions"))

    # URLs: a JSON field, true when ticked, absent when not.
    ui.urls.fill("\n".join(URLS[:2]))
    keep_order.check()
    ui.remix()
    assert json.loads(requests[-1].post_data)["keep_order"] is True
    keep_order.uncheck()
    ui.remix()
    assert "keep_order" not in json.loads(requests[-1].post_data)

    # With one song there is no order to keep, so it is not sent even when ticked.
    ui.urls.fill(URLS[0])
    keep_order.check()
    ui.remix()
    assert "keep_order" not in json.loads(requests[-1].post_data)

    # Uploads: a multipart field keep_order=true.
    ui.urls.fill("")
    paths = []
    for name in ("one.wav", "two.wav"):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(click_wav(1.0))
    ui.choose_files(*paths)
    ui.remix()
    body = requests[-1].post_data_buffer
    assert requests[-1].headers["content-type"].startswith("multipart/form-data")
    assert body.count(b'name="files"') == 2
    assert re.search(rb'name="keep_order"\r\n\r\ntrue\r\n', body), body[-400:]
    keep_order.uncheck()
    ui.remix()
    assert b'name="keep_order"' not in requests[-1].post_data_buffer
    assert page.console_errors == []


def test_a_mix_on_a_phone(browser, server, artifacts: Path):
    # In dark mode, so the screenshots show the other palette too.
    context = browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="dark",
    )
    page = context.new_page()
    try:
        plan = mix_plan(
            ["a-rather-long-song-name-from-a-download-site.mp3", "b.mp3", "c.mp3"], order=[1, 0, 2]
        )
        answer_with(page, plan)
        ui = RemixPage(page, server.url).open()
        ui.urls.fill("\n".join(URLS))
        ui.format.select_option("wav")
        ui.remix()
        seek(page, 4.3)
        expect(page.locator("#now-playing")).to_contain_text("song 2 of 3")

        width = page.evaluate("document.documentElement.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for locator in (ui.canvas, page.locator("#plan-legend"), page.locator("#now-playing")):
            box = locator.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, locator
        keep_order_row = page.locator("#remix-form .check-row")
        assert keep_order_row.bounding_box()["height"] >= 43.5
        page.screenshot(path=artifacts / "mix-page-phone.png", full_page=True)
        page.locator("#result").screenshot(path=artifacts / "mix-result-phone.png")
    finally:
        context.close()


def test_a_real_mix_of_two_uploads_names_the_song_playing(page, server, tmp_path: Path, artifacts: Path):
    """No stand-in answer: the local server mixes two songs, and the page follows the one playing."""
    from tests.synth import synthetic_song

    paths = []
    for name, bpm, seed in (("first.wav", 100, 1), ("second.wav", 106, 2)):
        path = tmp_path / name
        path.write_bytes(synthetic_song(bpm=bpm, bars=12, sr=22050, channels=1, seed=seed).to_bytes())
        paths.append(path)
    ui = RemixPage(page, server.url).open()
    ui.choose_files(*paths)
    page.get_by_label("Keep the order").check()
    ui.format.select_option("mp3")
    remixed = ui.remix()
    plan = remixed.plan
    assert plan["order"] == [0, 1] and len(plan["transitions"]) == 1
    data = ui.canvas_data()
    assert (data["songs"], data["transitions"]) == ("2", "1")
    now = page.locator("#now-playing")
    expect(now).to_contain_text("first.wav")
    seek(page, plan["transitions"][0]["at"] + 1.0)
    expect(now).to_contain_text("second.wav")
    assert ui.canvas_data()["playingTrack"] == "1"
    page.screenshot(path=str(artifacts / "mix-real.png"), full_page=True)
