"""Shared fixtures: songs made by code (see :mod:`tests.synth`), built once per test session."""

from __future__ import annotations

import os

import pytest

from tests.synth import SynthSong, click_track, synthetic_song


@pytest.fixture(scope="session")
def song_4_4() -> SynthSong:
    """24 bars of 4/4 at 120 BPM, stereo, 44.1 kHz: 48 s."""
    return synthetic_song(bpm=120, meter=4, bars=24, sr=44100, channels=2)


@pytest.fixture(scope="session")
def song_3_4() -> SynthSong:
    """24 bars of 3/4 at 96 BPM, mono, 22.05 kHz: 45 s."""
    return synthetic_song(bpm=96, meter=3, bars=24, sr=22050, channels=1)


@pytest.fixture(scope="session")
def click_120() -> SynthSong:
    """A 4/4 click track at 120 BPM, mono, 22.05 kHz, 20 s."""
    return click_track(bpm=120, seconds=20)


# --- the browser: Debian's chromium through Playwright (its own browser download can't be used) ---

CHROMIUM = os.environ.get("MUSICREMIXER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these, chromium keeps calling home, and a closed network refuses it many times a second.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    """A headless chromium for one test module.

    Per module, not per session: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, which would break every later test that calls ``asyncio.run``.
    """
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
