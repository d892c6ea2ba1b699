"""``musicremixer serve`` under slow clients and slow URLs, on a real uvicorn on 127.0.0.1.

- While 40 fetches drip their headers, ``/health``, ``/limits``, the page and an upload still answer
  at once (fetches have a pool of their own), and every fetch ends at its deadline.
- Connections that never finish their headers are dropped; so is a kept-alive one that starts a
  second request and stalls; past the connection cap new requests get 503.
- An upload whose body stalls gets a 408 that says why.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests

from functions import inputs
from functions.local import create_local_app
from functions.server import MAX_CONNECTIONS, server_options
from functions.settings import Settings
from functions.workers import FETCHES_IN_FLIGHT


@contextmanager
def running(app: Any, **overrides: Any) -> Iterator[tuple[str, int]]:
    """``app`` under uvicorn with ``musicremixer serve``'s options (and ``overrides``); (url, port)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {**server_options(), **overrides}
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_serve_passes_the_timeouts_and_the_cap() -> None:
    options = server_options()
    assert options["timeout_keep_alive"] == 5 and options["limit_concurrency"] == MAX_CONNECTIONS
    assert options["http"].__name__ == "HeaderTimeoutProtocol"


def test_health_the_page_and_uploads_answer_while_40_fetches_drip(audio_server, short_song, tmp_path) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:  # headers a byte every 0.1 s, for a minute
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nX-Pad: " + b"p" * 600:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if audio_server.stop.wait(0.1):
                return

    audio_server.routes["/drip.wav"] = drip
    (tmp_path / "index.html").write_text("<!doctype html><title>page</title>")
    timeout_s = 2.0
    app = create_local_app(Settings(allow_private_urls=True, fetch_timeout_s=timeout_s), frontend=tmp_path)
    with running(app) as (url, _port), ThreadPoolExecutor(max_workers=41) as pool:
        started = time.monotonic()
        fetches = [
            pool.submit(requests.post, f"{url}/api/remix", json={"urls": [audio_server.url("/drip.wav")]},
                        timeout=120)
            for _ in range(40)
        ]  # fmt: skip
        time.sleep(0.5)  # the first fetches are now dripping, the rest queued
        probes: list[float] = []
        for path in ("/api/health", "/api/limits", "/", "/api/health", "/api/limits", "/"):
            before = time.monotonic()
            assert requests.get(f"{url}{path}", timeout=10).status_code == 200
            probes.append(time.monotonic() - before)
        before = time.monotonic()
        analyzed = requests.post(f"{url}/api/analyze", files={"files": ("s.wav", short_song, "audio/wav")},
                                 timeout=60)  # fmt: skip
        upload_s = time.monotonic() - before
        in_flight = sum(not f.done() for f in fetches)
        answers = [f.result() for f in fetches]
        drained_s = time.monotonic() - started
    print(
        f"\n40 dripping fetches: probes {max(probes) * 1000:.0f} ms at most, an upload analysis "
        f"{upload_s:.2f} s, all 40 answered in {drained_s:.1f} s"
    )
    assert max(probes) < 0.5, probes
    assert analyzed.status_code == 200 and upload_s < 15
    assert in_flight > 20  # the probes really ran while the fetches were held
    assert {r.status_code for r in answers} == {504}
    assert {r.json()["code"] for r in answers} == {"fetch_timeout"}
    # Each fetch ends at its deadline; FETCHES_IN_FLIGHT at a time.
    waves = -(-40 // FETCHES_IN_FLIGHT)
    assert drained_s < waves * timeout_s + 10, drained_s


def _is_closed(sock: socket.socket, wait_s: float) -> bool:
    sock.settimeout(wait_s)
    try:
        return sock.recv(4096) == b""
    except TimeoutError:
        return False
    except OSError:  # reset
        return True


def test_connections_that_never_finish_their_headers_are_dropped(tmp_path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    app = create_local_app(Settings(), frontend=tmp_path)
    with running(app, **server_options(header_timeout_s=1.0)) as (url, port):
        half_open = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
        for i, sock in enumerate(half_open):
            if i % 3:  # a third send nothing at all, the others half a request
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        opened = time.monotonic()
        assert requests.get(f"{url}/api/health", timeout=5).status_code == 200  # others still served
        closed = [_is_closed(sock, wait_s=max(0.1, opened + 3 - time.monotonic())) for sock in half_open]
        elapsed = time.monotonic() - opened
        for sock in half_open:
            sock.close()
    print(f"\n300 half-open connections: {sum(closed)} closed by the server within {elapsed:.1f} s")
    assert all(closed)


def test_a_kept_alive_connection_that_stalls_on_its_next_request_is_dropped(tmp_path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    app = create_local_app(Settings(), frontend=tmp_path)
    # Keep-alive long, so that only the header timeout can close the connection.
    options = {**server_options(header_timeout_s=1.0), "timeout_keep_alive": 60}
    with running(app, **options) as (_url, port), socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(5)
        answer = b""
        while b'"status":"ok"' not in answer:  # the whole first response, body included
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 1")  # and then nothing
        started = time.monotonic()
        assert _is_closed(sock, wait_s=5)
        assert 0.5 < time.monotonic() - started < 3


@pytest.mark.parametrize("cap", [5])
def test_past_the_connection_cap_requests_get_503(tmp_path, cap) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    app = create_local_app(Settings(), frontend=tmp_path)
    with running(app, limit_concurrency=cap) as (url, port):
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(cap)]
        time.sleep(0.2)
        assert requests.get(f"{url}/api/health", timeout=5).status_code == 503
        for sock in idle:
            sock.close()
        time.sleep(0.2)
        assert requests.get(f"{url}/api/health", timeout=5).status_code == 200


def test_an_upload_whose_body_stalls_gets_a_408(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(inputs, "BODY_IDLE_S", 0.5)
    (tmp_path / "index.html").write_text("<!doctype html>")
    app = create_local_app(Settings(), frontend=tmp_path)
    head = (
        b"POST /api/remix HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
        b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.wav"\r\n\r\nRIFF'
    )
    with running(app) as (_url, port), socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head)  # and then nothing more
        started = time.monotonic()
        sock.settimeout(5)
        answer = b""
        while b"request_timeout" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"URL instead" in answer
    assert 0.4 < time.monotonic() - started < 3
