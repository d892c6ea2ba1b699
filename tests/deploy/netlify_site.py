"""The site as Netlify serves it, on 127.0.0.1: netlify.toml's published folder, headers and proxy.

Requests under a ``[[redirects]]`` proxy rule (status 200 to an https URL) become API Gateway HTTP API
events for an in-process Lambda handler (the Mangum instance), the way Netlify forwards them to the
function's URL and API Gateway invokes it: the rule's ``:splat`` is the path the function sees, and
Lambda's 6 MB payload limits apply both ways.
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.cold_start import LAMBDA_PAYLOAD_BYTES, http_api_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def netlify_pattern(pattern: str) -> re.Pattern[str]:
    """A Netlify path pattern (``/api/*``, ``/:name``) as a regex; ``*`` is captured as the splat."""
    out = ""
    for part in re.split(r"(\*|:\w+)", pattern):
        if part == "*":
            out += "(?P<splat>.*)"
        elif part.startswith(":"):
            out += f"(?P<{part[1:]}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(out)


def invoke(function: Handler, event: dict[str, Any]) -> dict[str, Any]:
    """Call a Lambda handler as the runtime does: on a thread of its own with a fresh event loop.

    Mangum runs the app on the current thread's event loop, which in a test may be someone else's
    running loop (Playwright's); a thread of its own keeps the two apart.
    """
    result: dict[str, Any] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            result["response"] = function(event, None)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="lambda-invoke")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["response"]


class NetlifySite:
    """Serve ``config`` (netlify.toml, parsed) from ``root`` on a free 127.0.0.1 port."""

    def __init__(self, config: dict[str, Any], root: Path, *, function: Handler | None = None) -> None:
        self.config = config
        self.publish = root / config["build"]["publish"]
        self.function = function
        self.proxied: list[str] = []  # paths the function was called with
        site = self

        class Request(BaseHTTPRequestHandler):
            def do_GET(self):
                site.handle(self)

            def do_POST(self):
                site.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Request)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="netlify-site", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def headers_for(self, path: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for rule in self.config.get("headers", []):
            if netlify_pattern(rule["for"]).fullmatch(path):
                out.update(rule["values"])
        return out

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path, _, query = request.path.partition("?")
        for rule in self.config.get("redirects", []):
            match = netlify_pattern(rule["from"]).fullmatch(path)
            if match and rule.get("status") == 200 and rule["to"].startswith("https://"):
                target = rule["to"].replace(":splat", match.groupdict().get("splat") or "")
                return self.proxy(request, urlsplit(target).path or "/", query)
        if request.command != "GET":
            return self.send(request, 405, b"", "text/plain", path)
        file = self.publish / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        if not file.resolve().is_relative_to(self.publish.resolve()) or not file.is_file():
            return self.send(request, 404, b"Not found", "text/plain", path)
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self.send(request, 200, file.read_bytes(), media_type, path)

    def proxy(self, request: BaseHTTPRequestHandler, path: str, query: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if self.function is None:
            return self.send(request, 502, b"no function", "text/plain", path)
        content_type = request.headers.get("Content-Type")
        textual = content_type is None or content_type.startswith(("application/json", "text/"))
        event = http_api_event(
            request.command,
            path,
            body,
            content_type,
            binary=not textual,
            query=query,
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
        )
        if len(json.dumps(event)) > LAMBDA_PAYLOAD_BYTES:
            return self.send(
                request, 413, b'{"message":"Request Entity Too Large"}', "application/json", path
            )
        self.proxied.append(path)
        response = invoke(self.function, event)
        if len(json.dumps(response)) > LAMBDA_PAYLOAD_BYTES:
            # What API Gateway answers when Lambda refuses an oversized response.
            return self.send(request, 502, b'{"message":"Internal Server Error"}', "application/json", path)
        raw = response.get("body") or ""
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
        headers = dict(response.get("headers") or {})
        media_type = headers.pop("content-type", "application/json")
        self.send(request, response["statusCode"], data, media_type, path, extra=headers)

    def send(self, request, status: int, body: bytes, media_type: str, path: str, *, extra=None) -> None:
        request.send_response(status)
        request.send_header("Content-Type", media_type)
        request.send_header("Content-Length", str(len(body)))
        for name, value in {**(extra or {}), **self.headers_for(path)}.items():
            if name.lower() not in ("content-length", "content-type"):
                request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)
