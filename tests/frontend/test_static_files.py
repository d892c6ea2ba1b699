"""The page's files as Netlify publishes them: no inline script or style (the CSP forbids both),
no build step (every module import points at a file that is there), nothing fetched from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True


def _page() -> _Collector:
    collector = _Collector()
    collector.feed((FRONTEND / "index.html").read_text(encoding="utf-8"))
    return collector


def test_no_inline_script_or_style():
    page = _page()
    assert not page.inline_script
    for tag, attrs in page.tags:
        assert tag != "style", "an inline <style> block"
        assert "style" not in attrs, f"a style attribute on <{tag}>"
        assert not any(name.startswith("on") for name in attrs), f"an inline event handler on <{tag}>"
        if tag == "script":
            assert attrs.get("type") == "module" and attrs.get("src"), attrs
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"^(https?:)?//", value), f"<{tag} {name}={value}> loads from elsewhere"
            assert not value.startswith("javascript:"), value


def test_every_module_import_resolves():
    page = _page()
    entry = [attrs["src"] for tag, attrs in page.tags if tag == "script"]
    assert entry == ["js/main.js"]
    styles = [attrs["href"] for tag, attrs in page.tags if tag == "link" and attrs.get("rel") == "stylesheet"]
    assert all((FRONTEND / href).is_file() for href in styles)
    for module in (FRONTEND / "js").glob("*.js"):
        source = module.read_text(encoding="utf-8")
        for target in re.findall(r"""^import .* from "([^"]+)";$""", source, flags=re.MULTILINE):
            assert target.startswith("./"), f"{module.name} imports {target}: no bare or remote imports"
            assert (module.parent / target).is_file(), f"{module.name} imports {target}, which is missing"
        assert "innerHTML" not in source, f"{module.name}: build DOM nodes, don't parse HTML strings"
        assert ".style." not in source and 'setAttribute("style"' not in source, module.name


def test_no_remote_fonts_or_urls_in_css():
    css = (FRONTEND / "css" / "style.css").read_text(encoding="utf-8")
    assert "@import" not in css and "@font-face" not in css
    assert "url(" not in css
