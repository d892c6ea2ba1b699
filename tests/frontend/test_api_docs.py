"""The API docs page works without internet: Swagger UI comes from the local server, in chromium
with every request off 127.0.0.1 blocked."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["api/docs", "docs"])
def test_the_docs_render_with_the_network_blocked(browser, server, path):
    context = browser.new_context()
    blocked: list[str] = []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(server.url + path)
        # Swagger UI drew the document: its title, and the operations the API has.
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("MusicRemixer", timeout=20_000)
        expect(page.locator(".opblock-summary-path", has_text="/remix")).to_be_visible()
        expect(page.locator(".opblock-summary-path", has_text="/health")).to_be_visible()
        assert page.locator(".errors-wrapper").count() == 0  # no "failed to load API definition"
    finally:
        context.close()
    assert blocked == [] and errors == []
