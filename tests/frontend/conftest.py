"""Fixtures for the page's tests: the real local server, a host for test audio, and a browser.

The local server (``functions.local.create_local_app()``: the page at ``/``, the API under
``/api/``) runs under uvicorn in a thread on a free 127.0.0.1 port. Each server is built with its
own settings, given as the ``MUSICREMIXER_*`` variables the deployed function reads (e.g.
``MUSICREMIXER_ALLOW_PRIVATE_URLS=1``); they all share the process and its imported library.

The browser is Debian's chromium driven by Playwright (its own browser download can't be used
here), headless, with the background services that would call the network turned off.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# --- the local server ------------------------------------------------------------------------


class LiveServer:
    """``functions.local.create_local_app()`` under uvicorn in a thread, on 127.0.0.1."""

    def __init__(self, env: Mapping[str, str]) -> None:
        import uvicorn

        from functions.local import create_local_app
        from functions.settings import Settings

        app = create_local_app(Settings.from_env(env))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"uvicorn-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the local server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@contextmanager
def live_server(**settings: object) -> Iterator[LiveServer]:
    """A local server whose settings are read from ``MUSICREMIXER_<NAME>`` variables set from ``settings``."""
    env = {f"MUSICREMIXER_{name.upper()}": str(value) for name, value in settings.items()}
    server = LiveServer(env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    """The default limits, with loopback URLs allowed so tests can serve their own audio."""
    with live_server(allow_private_urls=1) as running:
        yield running


@pytest.fixture(scope="session")
def tight_server() -> Iterator[LiveServer]:
    """Small limits (1 MB, 8 s a song) so 'too large' and 'too long' need only small test files."""
    with live_server(allow_private_urls=1, max_input_bytes=1_000_000, max_input_seconds=8) as running:
        yield running


@pytest.fixture(scope="session")
def public_server() -> Iterator[LiveServer]:
    """As deployed: only public addresses may be fetched."""
    with live_server(allow_private_urls=0) as running:
        yield running


# --- test audio, and a host that serves it ----------------------------------------------------


@dataclass
class AudioHost:
    """A tiny HTTP server on 127.0.0.1 serving fixed bodies at fixed paths."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    url: str = ""

    def add(self, path: str, body: bytes, content_type: str) -> str:
        self.files[path] = (body, content_type)
        return self.url + path.lstrip("/")


@pytest.fixture(scope="session")
def audio_host() -> Iterator[AudioHost]:
    host = AudioHost()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = host.files.get(self.path)
            if found is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body, content_type = found
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host.url = f"http://127.0.0.1:{httpd.server_port}/"
    thread = threading.Thread(target=httpd.serve_forever, name="audio-host", daemon=True)
    thread.start()
    yield host
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def song_wav() -> bytes:
    """16 s (8 bars of 4/4 at 120 BPM), stereo, 44.1 kHz: 2.8 MB of WAV."""
    from tests.synth import synthetic_song

    return synthetic_song(bpm=120, meter=4, bars=8, sr=44100, channels=2).to_bytes("wav")


@pytest.fixture(scope="session")
def small_song_wav() -> bytes:
    """12 s (6 bars of 4/4 at 120 BPM), mono, 22.05 kHz: 0.5 MB of WAV."""
    from tests.synth import synthetic_song

    return synthetic_song(bpm=120, meter=4, bars=6, sr=22050, channels=1, seed=3).to_bytes("wav")


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture
def page(browser):
    """A fresh page (1000 by 900) whose console errors and uncaught exceptions the test can check."""
    context = browser.new_context(viewport={"width": 1000, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    new_page = context.new_page()
    new_page.console_errors = []
    new_page.on(
        "console", lambda message: message.type == "error" and new_page.console_errors.append(message.text)
    )
    new_page.on("pageerror", lambda error: new_page.console_errors.append(f"uncaught: {error}"))
    yield new_page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
