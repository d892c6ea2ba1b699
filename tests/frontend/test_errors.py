"""Every way a remix can fail shows a message that says what happened and what to do, and leaves
the page usable. Checks the page makes itself happen before anything is uploaded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.frontend.conftest import live_server
from tests.frontend.remix_page import RemixPage

pytestmark = pytest.mark.browser


def count_remix_requests(page) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda request: request.url.endswith("/api/remix") and sent.append(request.url))
    return sent


def test_bad_url_is_caught_before_sending_then_a_good_one_works(page, server, audio_host, small_song_wav):
    ui = RemixPage(page, server.url).open()
    sent = count_remix_requests(page)
    ui.urls.fill("song.mp3 from my laptop")
    title, detail = ui.fail()
    assert title == "That URL can't be used"
    assert "https://" in detail
    assert sent == []
    ui.expect_usable()

    # Fixing the URL is all it takes.
    ui.urls.fill(audio_host.add("/songs/fixed.wav", small_song_wav, "audio/wav"))
    ui.length.fill("12")
    ui.remix()
    expect(ui.message).to_be_hidden()


def test_url_that_fails(page, server, audio_host):
    ui = RemixPage(page, server.url).open()
    ui.urls.fill(audio_host.url + "no/such/song.wav")
    title, detail = ui.fail()
    assert title == "The song's URL did not work"
    assert "404" in detail or "no/such/song.wav" in detail
    ui.expect_usable()
    expect(ui.result).to_be_hidden()


def test_private_address_refused(page, public_server, audio_host, small_song_wav):
    url = audio_host.add("/songs/private.wav", small_song_wav, "audio/wav")
    ui = RemixPage(page, public_server.url).open()
    ui.urls.fill(url)
    title, detail = ui.fail()
    assert title == "That address is not allowed"
    assert re.search(r"public|private|loopback", detail, re.IGNORECASE), detail
    ui.expect_usable()


def test_not_audio_upload(page, server, tmp_path: Path):
    fake = tmp_path / "song.wav"
    fake.write_text("<html><body>This is a web page, not a song.</body></html>\n" * 20)
    ui = RemixPage(page, server.url).open()
    ui.choose_files(fake)
    title, detail = ui.fail()
    assert re.search("audio", title), title
    assert "song.wav" in detail or re.search("WAV|FLAC|OGG|MP3", detail), detail
    ui.expect_usable()


def test_not_audio_url(page, server, audio_host):
    url = audio_host.add("/page.html", b"<!doctype html><title>Song</title><p>Not a song.</p>", "text/html")
    ui = RemixPage(page, server.url).open()
    ui.urls.fill(url)
    title, _ = ui.fail()
    assert title in ("That doesn't look like audio", "That audio could not be read")
    ui.expect_usable()


def test_not_audio_file_type_is_caught_before_upload(page, server, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("la la la\n")
    ui = RemixPage(page, server.url).open()
    sent = count_remix_requests(page)
    ui.choose_files(notes)
    title, detail = ui.fail()
    assert title == "“notes.txt” doesn't look like audio"
    assert "WAV, FLAC, OGG or MP3" in detail
    assert sent == []
    ui.expect_usable()


def test_too_large_is_caught_before_upload(page, tight_server, tmp_path: Path):
    from tests.synth import synthetic_song

    big = tmp_path / "big.wav"  # 6 s, 1.6 MB; this server takes 1 MB and 8 s
    big.write_bytes(synthetic_song(bpm=120, bars=3, sr=44100, channels=2).to_bytes("wav", subtype="PCM_24"))
    ui = RemixPage(page, tight_server.url).open()
    expect(page.locator("#limits-hint")).to_contain_text("1.0 MB")
    sent = count_remix_requests(page)
    ui.choose_files(big)
    title, detail = ui.fail()
    assert title == "“big.wav” is too large"
    assert "1.6 MB" in detail and "1.0 MB" in detail and "MP3" in detail
    assert sent == []
    ui.expect_usable()
    # Removing the file clears the way.
    page.get_by_role("button", name="Remove big.wav").click()
    expect(page.get_by_role("list", name="Chosen files")).to_be_hidden()


def test_too_large_url(page, tight_server, audio_host, song_wav):
    url = audio_host.add("/songs/big.wav", song_wav, "audio/wav")
    ui = RemixPage(page, tight_server.url).open()
    ui.urls.fill(url)
    title, detail = ui.fail()
    assert title == "The song is too large"
    assert detail
    ui.expect_usable()


def test_too_long_is_caught_before_upload(page, tight_server, small_song_wav, tmp_path: Path):
    long = tmp_path / "long.wav"
    long.write_bytes(small_song_wav)  # 12 s, 0.5 MB; this server takes 8 s
    ui = RemixPage(page, tight_server.url).open()
    sent = count_remix_requests(page)
    ui.choose_files(long)
    title, detail = ui.fail()
    assert title == "“long.wav” is too long"
    assert "12 s" in detail and "8 s" in detail
    assert sent == []
    ui.expect_usable()


def test_too_long_url(page, tight_server, audio_host, small_song_wav):
    url = audio_host.add("/songs/long.wav", small_song_wav, "audio/wav")
    ui = RemixPage(page, tight_server.url).open()
    ui.urls.fill(url)
    title, detail = ui.fail()
    assert title == "The song is too long"
    assert detail
    ui.expect_usable()


def test_settings_are_checked(page, server, audio_host, small_song_wav):
    ui = RemixPage(page, server.url).open()
    ui.urls.fill(audio_host.add("/songs/settings.wav", small_song_wav, "audio/wav"))
    ui.length.fill("three minutes")
    ui.seed.fill("-4")
    title, detail = ui.fail()
    assert title == "2 things to fix first"
    assert "Check the length" in detail and "Check the seed" in detail
    ui.expect_usable()


def test_server_unreachable(page, audio_host, small_song_wav):
    with live_server(allow_private_urls=1) as doomed:
        ui = RemixPage(page, doomed.url).open()
    # The page is loaded; its server is gone.
    ui.urls.fill(audio_host.add("/songs/unreachable.wav", small_song_wav, "audio/wav"))
    title, detail = ui.fail()
    assert title == "The remix server could not be reached"
    assert "make serve" in detail
    ui.expect_usable()


def test_cancel(page, server, audio_host, small_song_wav):
    held = []
    page.route("**/api/remix", lambda route: held.append(route))  # the server never answers
    ui = RemixPage(page, server.url).open()
    ui.urls.fill(audio_host.add("/songs/cancel.wav", small_song_wav, "audio/wav"))
    ui.remix_button.click()
    expect(page.locator("#progress-stage")).to_have_text("Remixing on the server…")
    expect(ui.remix_button).to_be_disabled()
    expect(page.locator("#progress-elapsed")).to_contain_text("on the server")
    ui.cancel_button.click()
    ui.wait_idle()
    title, detail = ui.read_message()
    assert title == "Cancelled"
    assert "press Remix" in detail
    expect(page.locator("#progress")).to_be_hidden()
    ui.expect_usable()
    assert len(held) == 1

    # Escape cancels too.
    ui.remix_button.click()
    expect(ui.cancel_button).to_be_focused()
    page.keyboard.press("Escape")
    ui.wait_idle()
    assert ui.read_message()[0] == "Cancelled"
    ui.expect_usable()
    assert len(held) == 2
