"""Fixtures for the function's tests.

- Every test here runs with a network guard: a connection to anything but loopback raises, and host
  names other than ``localhost`` and the fake ones a test declares never reach DNS. Even a broken
  address rule cannot send a packet off the machine.
- ``audio_server``: a local HTTP server on 127.0.0.1 whose routes a test sets up.
- ``fake_library``: a stand-in for ``musicremixer.remix``/``plan_remix`` for tests of routing,
  validation and errors; end-to-end tests use the real library.
- ``make_client``: a TestClient for an app with chosen settings; ``live_server``: a real uvicorn.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from functions.app import create_app
from functions.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx is what requirements-dev.txt pins.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


# --- the network guard --------------------------------------------------------------------------


@dataclass
class NetworkGuard:
    """What the tests tried: connections refused (non-loopback) and names looked up."""

    refused: list[Any] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    # Fake DNS: name -> addresses, or a function giving the addresses of each lookup in turn.
    hosts: dict[str, list[str] | Callable[[], list[str]]] = field(default_factory=dict)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    """Refuse every connection that is not to loopback, and every DNS lookup but the fake ones."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
            guard.refused.append(address)
            raise ConnectionRefusedError(f"test network guard: no connection to {address} (loopback only)")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        guard.lookups.append(name)
        if name in guard.hosts:
            answer = guard.hosts[name]
            addresses = answer() if callable(answer) else answer
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in addresses
            ]
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
            is_literal = True
        except ValueError:
            is_literal = False
        if is_literal or name in ("localhost", "testserver"):
            return real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no DNS for {name!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return guard


# --- a local HTTP server for test audio ---------------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class AudioServer:
    """A server on 127.0.0.1; ``routes[path]`` answers a GET. ``requests`` logs (path, headers)."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes, content_type: str = "audio/wav", status: int = 200) -> str:
        """Answer ``path`` with ``body``; returns its URL."""

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = route
        return self.url(path)


@pytest.fixture
def audio_server() -> Iterator[AudioServer]:
    """A threaded HTTP server on a free loopback port, stopped after the test."""
    state = AudioServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers.items())))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404, "Not Found")
                return
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)  # the client may hang up, as a capped or timed-out fetch should

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()


# --- a stand-in for the library ----------------------------------------------------------------

MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}


@dataclass
class FakeLibrary:
    """Records calls; returns ``size`` bytes derived from the inputs and seed (so tests can compare)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    size: int = 1000
    duration: float = 12.5
    error: Exception | None = None

    def plan(self, seed: int) -> dict[str, Any]:
        return {"version": 1, "seed": seed, "duration": self.duration, "sequence": [{"beat": 0, "time": 0.0}]}

    def remix(self, sources: Any, **options: Any) -> Any:
        from musicremixer import RemixResult

        self.calls.append({"sources": [(s.name, s.data) for s in sources], **options})
        if self.error is not None:
            raise self.error
        seed = 42 if options.get("seed") is None else options["seed"]
        fmt = options.get("format", "wav")
        digest = hashlib.sha256(repr(([s.data for s in sources], seed, fmt)).encode()).digest()
        data = (digest * (self.size // len(digest) + 1))[: self.size]
        return RemixResult(
            data=data,
            media_type=MEDIA_TYPES[fmt],
            format=fmt,
            plan=self.plan(seed),
            seed=seed,
            duration=self.duration,
        )

    def plan_remix(self, sources: Any, **options: Any) -> dict[str, Any]:
        self.calls.append({"sources": [(s.name, s.data) for s in sources], **options})
        if self.error is not None:
            raise self.error
        return self.plan(42 if options.get("seed") is None else options["seed"])


@pytest.fixture
def fake_library(monkeypatch: pytest.MonkeyPatch) -> FakeLibrary:
    """Replace ``musicremixer.remix`` and ``plan_remix`` (the routes look them up per request)."""
    import musicremixer

    fake = FakeLibrary()
    monkeypatch.setattr(musicremixer, "remix", fake.remix)
    monkeypatch.setattr(musicremixer, "plan_remix", fake.plan_remix)
    return fake


# --- apps -----------------------------------------------------------------------------------------


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)``: a TestClient for a new app; server errors come back as responses."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(Settings(**overrides)), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """A client for an app with the default settings."""
    return make_client()


def start_uvicorn(app: Any) -> tuple[Any, threading.Thread, str]:
    """Run ``app`` under uvicorn in a thread on a free loopback port; returns (server, thread, url)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def stop_uvicorn(server: Any, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)


def multipart_body(
    files: list[tuple[str, bytes, str]], fields: dict[str, str] | None = None, *, field_name: str = "files"
) -> tuple[bytes, str]:
    """Encode a multipart/form-data body by hand (for Lambda events); returns (body, Content-Type)."""
    parts: list[tuple[str, str | tuple[str, bytes, str]]] = list((fields or {}).items())
    parts += [(field_name, file) for file in files]
    return multipart_parts(parts)


def multipart_parts(parts: list[tuple[str, str | tuple[str, bytes, str]]]) -> tuple[bytes, str]:
    """Encode ``(name, text)`` and ``(name, (filename, bytes, type))`` parts in this order."""
    boundary = "musicremixer-test-boundary-7f3a"
    out = []
    for name, value in parts:
        if isinstance(value, str):
            out.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        else:
            filename, data, content_type = value
            head = (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            )
            out.append(head.encode() + data + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="session")
def short_song() -> bytes:
    """12 s of 4/4 at 120 BPM, mono, 22.05 kHz, as WAV: quick to remix for real."""
    from tests.synth import synthetic_song

    return synthetic_song(bpm=120, meter=4, bars=6, sr=22050, channels=1).to_bytes("wav")


@pytest.fixture(scope="session")
def other_song() -> bytes:
    """16 s of 3/4 at 135 BPM, mono, 22.05 kHz, as WAV (a second, different input)."""
    from tests.synth import synthetic_song

    return synthetic_song(bpm=135, meter=3, bars=12, sr=22050, channels=1, seed=3).to_bytes("wav")
