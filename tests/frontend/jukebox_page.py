"""The jukebox as the tests use it: controls found by their labels, and what the page heard.

The page tells what it plays by a ``jukebox:beat`` event on its section for every beat once it is
heard (on the audio clock); :meth:`JukeboxPage.listen` records them in ``window.heard``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.endless_walk import EndlessWalk, Settings, prepare_graph

LOAD_TIMEOUT_MS = 120_000


class JukeboxPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.urls = page.get_by_label("Song URLs")
        self.files = page.get_by_label("Or upload audio files")
        self.seed = page.get_by_label("Seed", exact=True)
        self.open_button = page.get_by_role("button", name="Play forever")
        self.section = page.get_by_role("region", name=re.compile("^Jukebox"))
        self.play = page.locator("#jukebox-play")
        self.home = page.get_by_role("button", name="Bring it home")
        self.share = page.get_by_role("button", name="Share link")
        self.share_link = page.get_by_label("Link to this song with these settings")
        self.status = page.locator("#jukebox-status")
        self.canvas = page.get_by_role("slider", name="Play from beat")
        self.jumpiness = self.section.get_by_role("slider", name="Branch chance")
        self.threshold = page.get_by_role("slider", name="Similarity threshold")
        self.long_only = page.get_by_role("checkbox", name="Long jumps only")
        self.home_after = page.get_by_label("Bring it home after")
        self.reset = page.get_by_role("button", name="Reset the tuning")
        self.minutes = page.get_by_label("Minutes", exact=True)
        self.download = page.get_by_role("button", name="Download as WAV")
        self.message = page.locator("#message")

    def open(self) -> JukeboxPage:
        self.page.goto(self.base_url)
        expect(self.page.locator("#limits-hint")).not_to_have_text(re.compile("Checking"))
        return self

    def load_file(self, path: Path) -> dict[str, Any]:
        """Choose the file, press Play forever, and return the plan /analyze answered."""
        self.files.set_input_files([path])
        return self._load()

    def load_url(self, url: str) -> dict[str, Any]:
        self.urls.fill(url)
        return self._load()

    def _load(self) -> dict[str, Any]:
        with self.page.expect_response(
            lambda r: r.url.endswith("/api/analyze") and r.request.method == "POST", timeout=LOAD_TIMEOUT_MS
        ) as info:
            self.open_button.click()
        response = info.value
        assert response.ok, f"analyze answered {response.status}: {response.text()}"
        self.wait_ready()
        body = response.json()
        return body.get("plan", body)

    def wait_ready(self) -> None:
        expect(self.section).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        expect(self.page.locator("#remix-form")).to_have_attribute(
            "aria-busy", "false", timeout=LOAD_TIMEOUT_MS
        )
        expect(self.message).to_be_hidden()

    def listen(self) -> None:
        self.page.evaluate(
            """() => {
                window.heard = [];
                document.querySelector('#jukebox').addEventListener('jukebox:beat', (e) => {
                    window.heard.push([e.detail.beat, e.detail.move, e.detail.from]);
                });
            }"""
        )

    def heard(self) -> list[list[Any]]:
        return self.page.evaluate("window.heard")

    def data(self) -> dict[str, str]:
        return self.page.evaluate(
            "() => ({...document.querySelector('#jukebox').dataset,"
            " ...document.querySelector('#jukebox-canvas').dataset})"
        )

    def wait_beats(self, count: int, timeout_ms: int = 30_000) -> None:
        self.page.wait_for_function(f"(window.heard || []).length >= {count}", timeout=timeout_ms)

    def set_range(self, slider, value: float) -> None:
        """Move a range input as a drag would: set its value and fire ``input``."""
        slider.evaluate(
            "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }",
            value,
        )

    def beat_point(self, plan: dict[str, Any], beat: int) -> tuple[float, float]:
        """Where beat ``beat``'s tile is on the canvas, in CSS pixels from its corner (as plan-view.js)."""
        box = self.canvas.bounding_box()
        assert box is not None
        units, start = 0.0, 0.0
        for i, b in enumerate(plan["beats"]):
            if i > 0 and b["bar_position"] == 0:
                units += 0.4
            if i == beat:
                start = units
            units += 1
        per_unit = 2 * math.pi / (units + 0.4)
        angle = -math.pi / 2 + (start + 0.44) * per_unit
        centre = box["width"] / 2
        outer = centre - 10
        radius = outer * 0.93
        return centre + radius * math.cos(angle), centre + radius * math.sin(angle)


def reference_path(plan: dict[str, Any], seed: int, steps: int, **settings: Any) -> list[int]:
    """The beats the reference walker plays for this plan, seed and settings, from the start."""
    walker = EndlessWalk(prepare_graph(plan), seed=seed, settings=Settings(**settings))
    return [walker.next().beat for _ in range(steps)]
