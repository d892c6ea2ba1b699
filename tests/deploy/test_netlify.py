"""netlify.toml: the page published, /api/* proxied to the function, and a CSP the page satisfies.

The browser tests serve frontend/ the way netlify.toml says (tests/deploy/netlify_site.py): its
headers on every file, its /api/* rule turned into API Gateway events for the Mangum handler.
"""

from __future__ import annotations

import json
import re
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.deploy.config import CSP, ROOT, netlify
from tests.deploy.netlify_site import NetlifySite, netlify_pattern


def api_rule() -> dict:
    rules = [r for r in netlify().get("redirects", []) if netlify_pattern(r["from"]).fullmatch("/api/remix")]
    assert rules, "no [[redirects]] rule covers /api/*"
    return rules[0]  # Netlify applies the first rule that matches


def page_headers() -> dict[str, str]:
    headers: dict[str, str] = {}
    for rule in netlify().get("headers", []):
        if netlify_pattern(rule["for"]).fullmatch("/index.html"):
            headers.update(rule["values"])
    return headers


def parse_csp(policy: str) -> dict[str, str]:
    directives = (d.strip().split(None, 1) for d in policy.split(";") if d.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def test_publishes_the_page():
    publish = ROOT / netlify()["build"]["publish"]
    assert publish.resolve() == ROOT / "frontend"
    assert (publish / "index.html").is_file()
    # Nothing to build: the page is published as it is.
    assert not netlify()["build"].get("command")


def test_api_is_proxied_to_the_function():
    rule = api_rule()
    assert rule["from"] == "/api/*"
    assert rule["status"] == 200, "a rewrite (proxy), not a redirect: the browser must see one origin"
    assert rule.get("force") is True, "even if a file of that name were published"
    # The function serves the API at its root: /api/remix must reach <function URL>/remix.
    assert re.fullmatch(r"https://[^/]+/:splat", rule["to"]), rule["to"]


def test_the_page_calls_the_api_under_the_proxy():
    class Meta(HTMLParser):
        base = "api/"  # the page's default

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "meta" and attrs.get("name") == "musicremixer-api":
                Meta.base = attrs.get("content") or "api/"

    Meta().feed((ROOT / "frontend" / "index.html").read_text())
    # Resolved against the page at the site's root, the API base must land under /api/.
    assert Meta.base.lstrip("./").startswith("api/") or Meta.base.startswith("/api/"), Meta.base


def test_security_headers():
    headers = page_headers()
    assert parse_csp(headers["Content-Security-Policy"]) == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "strict-origin-when-cross-origin", "same-origin")
    assert headers["X-Frame-Options"] == "DENY"


@pytest.fixture(scope="module")
def site():
    from functions.handler import handler

    running = NetlifySite(netlify(), ROOT, function=handler)
    yield running
    running.close()


def test_the_proxy_reaches_the_function_at_its_root(site):
    # Through the rule, as the browser would call it: /api/health is the function's /health.
    with urllib.request.urlopen(site.url + "api/health", timeout=30) as response:
        assert response.status == 200
        assert json.load(response)["status"] == "ok"
    assert site.proxied[-1] == "/health"
    with urllib.request.urlopen(site.url, timeout=30) as response:
        assert response.headers["Content-Security-Policy"] == page_headers()["Content-Security-Policy"]


# --- the page under its CSP, in a real browser ------------------------------------------------

# Collects every CSP violation the page reports, from before its first script runs.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${where})`);
});
"""


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, accept_downloads=True)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: page.console_messages.append(f"uncaught: {e}"))
    return context, page


def csp_problems(page) -> list[str]:
    reported = page.evaluate("window.__cspViolations")
    logged = [m for m in page.console_messages if "Content Security Policy" in m or "Refused to" in m]
    return reported + logged


@pytest.mark.browser
def test_page_runs_under_its_csp(browser):
    from playwright.sync_api import expect

    site = NetlifySite(netlify(), ROOT)  # the page only: its API calls are answered below
    limits = {
        "max_inputs": 4,
        "max_input_bytes": 50_000_000,
        "max_input_seconds": 600,
        "max_response_bytes": 4_500_000,
        "fetch_timeout_s": 8,
        "formats": ["wav", "flac", "ogg", "mp3"],
        "max_duration_s": 3600,
    }
    context, page = open_page(browser, site.url)
    try:

        def api(route):
            if route.request.url.endswith("/api/limits"):
                route.fulfill(status=200, content_type="application/json", body=json.dumps(limits))
            else:
                route.fulfill(
                    status=404, content_type="application/json", body='{"detail":"stub","code":"x"}'
                )

        page.route("**/api/**", api)
        response = page.goto(site.url)
        assert response.headers["content-security-policy"] == page_headers()["Content-Security-Policy"]
        # The page's modules ran (they read the limits), under the policy.
        expect(page.locator("#limits-hint")).not_to_have_text(re.compile("Checking"))
        page.wait_for_load_state("networkidle")
        assert csp_problems(page) == []
    finally:
        context.close()
        site.close()


@pytest.mark.browser
def test_remix_through_the_proxy_under_the_csp(browser, site, tmp_path: Path):
    # The whole journey as deployed: the page, Netlify's rewrite, API Gateway's event, the Mangum
    # handler; then playing (blob: media) and the drawing, all under the page's CSP.
    from playwright.sync_api import expect

    from tests.frontend.remix_page import RemixPage
    from tests.synth import synthetic_song

    song = tmp_path / "groove.wav"
    song.write_bytes(synthetic_song(bpm=120, meter=4, bars=6, sr=22050, channels=1, seed=3).to_bytes("wav"))
    context, page = open_page(browser, site.url)
    try:
        ui = RemixPage(page, site.url).open()
        ui.choose_files(song)
        ui.length.fill("16")
        remixed = ui.remix()
        assert remixed.plan["sequence"]
        assert "/remix" in site.proxied
        expect(ui.canvas).to_be_visible()
        page.evaluate(
            "() => { const a = document.querySelector('#player'); a.muted = true; return a.play(); }"
        )
        page.wait_for_function("() => document.querySelector('#player').currentTime > 0.5", timeout=15_000)
        assert ui.audio_state()["src"].startswith("blob:")
        assert csp_problems(page) == []
        assert not [m for m in page.console_messages if m.startswith(("error", "uncaught"))]
    finally:
        context.close()
