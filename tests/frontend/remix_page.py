"""The page as the tests use it: controls found by their labels, as a person finds them."""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

REMIX_TIMEOUT_MS = 120_000  # a cold first remix imports the whole pipeline


@dataclass
class Remixed:
    """What the server answered (read off the wire) next to what the page made of it."""

    plan: dict[str, Any]
    audio: bytes
    filename: str
    media_type: str


class RemixPage:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.urls = page.get_by_label("Song URLs")
        self.files = page.get_by_label("Or upload audio files")
        self.length = page.get_by_label("Length")
        self.jumpiness = page.get_by_label("Jumpiness")
        self.seed = page.get_by_label("Seed")
        self.new_seed = page.get_by_role("button", name="New seed", exact=True)
        self.format = page.get_by_label("Format")
        self.remix_button = page.get_by_role("button", name="Remix", exact=True)
        self.cancel_button = page.get_by_role("button", name="Cancel")
        self.again_button = page.get_by_role("button", name="Remix again with a new seed")
        self.message = page.locator("#message")
        self.result = page.get_by_role("region", name="3. Your remix")
        self.player = page.locator("#player")
        self.download = page.get_by_role("link", name=re.compile(r"^Download"))
        self.canvas = page.get_by_role("img", name=re.compile("remix plan"))

    def open(self) -> RemixPage:
        self.page.goto(self.base_url)
        # The limits are read on load; wait for them so the page checks against them.
        expect(self.page.locator("#limits-hint")).not_to_have_text(re.compile("Checking"))
        return self

    def choose_files(self, *paths: Path) -> None:
        self.files.set_input_files(list(paths))

    def wait_idle(self) -> None:
        expect(self.page.locator("#remix-form")).to_have_attribute(
            "aria-busy", "false", timeout=REMIX_TIMEOUT_MS
        )

    def remix(
        self, *, button: Locator | None = None, while_working: Callable[[], None] | None = None
    ) -> Remixed:
        """Press Remix (or ``button``) and return the server's answer once the page plays it.

        ``while_working`` runs after the press, before the answer is awaited.
        """
        with self.page.expect_response(
            lambda r: r.url.endswith("/api/remix") and r.request.method == "POST", timeout=REMIX_TIMEOUT_MS
        ) as info:
            (button or self.remix_button).click()
            if while_working is not None:
                while_working()
        response = info.value
        assert response.ok, f"remix answered {response.status}: {response.text()}"
        body = response.json()
        self.wait_idle()
        expect(self.message).to_be_hidden()
        expect(self.result).to_be_visible()
        audio = body["audio"]
        return Remixed(
            plan=body["plan"],
            audio=base64.b64decode(audio["base64"]),
            filename=audio["filename"],
            media_type=audio["media_type"],
        )

    def fail(self) -> tuple[str, str]:
        """Press Remix, expect a message, and return its title and detail."""
        self.remix_button.click()
        self.wait_idle()
        return self.read_message()

    def read_message(self) -> tuple[str, str]:
        expect(self.message).to_be_visible()
        return (
            self.page.locator("#message-title").inner_text(),
            self.page.locator("#message-detail").inner_text(),
        )

    def canvas_data(self) -> dict[str, str]:
        return self.canvas.evaluate("canvas => ({...canvas.dataset})")

    def audio_state(self) -> dict[str, Any]:
        return self.player.evaluate(
            "audio => ({duration: audio.duration, src: audio.currentSrc,"
            " error: audio.error && audio.error.code, readyState: audio.readyState})"
        )

    def expect_usable(self) -> None:
        """After an error: the controls work again and the message can be read."""
        expect(self.remix_button).to_be_enabled()
        expect(self.cancel_button).to_be_hidden()
        for control in (self.urls, self.length, self.seed, self.format, self.new_seed):
            expect(control).to_be_enabled()
        expect(self.message).to_be_focused()


def jumps_in(plan: dict[str, Any]) -> int:
    """Jumps the remix takes within songs: consecutive sequence entries that are not consecutive
    beats, except where a transition to another song starts (its ``step``)."""
    steps = {transition["step"] for transition in plan.get("transitions", [])}
    sequence = plan["sequence"]
    return sum(
        1
        for step, (a, b) in enumerate(itertools.pairwise(sequence), start=1)
        if b["beat"] != a["beat"] + 1 and step not in steps
    )
