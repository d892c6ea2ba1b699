"""The safe URL fetcher: URL form, the address rule per hop, pinning, caps, timeouts, errors.

Every test runs under the network guard of conftest.py: connecting anywhere but loopback raises and
unknown names never reach DNS. Tests of refusals also assert that nothing was even attempted.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from functions import fetch
from functions.addresses import classify_address
from functions.fetch import FetchError, FetchPolicy, check_url, fetch_url, fetch_urls, name_from_url

SONG = b"RIFF" + bytes(range(256)) * 40  # bytes the fetcher passes on untouched; nothing decodes them here


def policy(**overrides) -> FetchPolicy:
    return FetchPolicy(**{"max_bytes": 1_000_000, "allow_private": True, **overrides})


def soon(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def fetch_error(url: str, *, seconds: float = 5.0, **overrides) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch_url(url, policy=policy(**overrides), deadline=soon(seconds))
    return info.value


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the address rule pass 127.0.0.1 (the test server) and judge every other address as usual."""
    monkeypatch.setattr(
        fetch,
        "classify_address",
        lambda address: None if str(address) == "127.0.0.1" else classify_address(address),
    )


def test_the_network_guard_refuses_other_addresses(network_guard) -> None:
    import socket

    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="network guard"):
        sock.connect(("10.255.255.1", 80))
    assert network_guard.refused == [("10.255.255.1", 80)]


# --- the URL's form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/song.mp3",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:audio/wav;base64,UklGRg==",
        "//example.com/song.mp3",
        "example.com/song.mp3",
        "http://user:secret@example.com/song.mp3",
        "https://user@example.com/song.mp3",
        "http://",
        "http:///song.mp3",
        "http://example.com:99999/song.mp3",
        "http://example.com:0/song.mp3",
        "http://256.0.0.1/",
    ],
)
def test_urls_of_the_wrong_form_are_refused_before_any_lookup(url: str, network_guard) -> None:
    with pytest.raises(FetchError) as info:
        check_url(url, policy=policy(allow_private=False))
    assert info.value.code == "invalid_url" and info.value.status_code == 400
    assert network_guard.lookups == [] and network_guard.refused == []


MALFORMED = [
    # (URL, what the message must say is wrong)
    ("http://[::1/a.wav", "'[' or ']' without its pair"),
    ("http://]/x", "'[' or ']' without its pair"),
    ("http://[x]/", "the host in brackets is not an IP address"),
    ("http://[::1]]/", "not a valid host or port"),
    ("http://[::1]x/", "not a valid host or port"),
    ("http://exa mple.com/", "invalid character ' '"),
    ("http://a..b/", "has an empty label"),
    ("http://" + "a" * 64 + ".com/", "at most 63 characters between dots"),
    ("http://%zz/", "not a valid host or port"),
]


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_a_malformed_url_says_what_is_wrong(url: str, problem: str, network_guard) -> None:
    with pytest.raises(FetchError) as info:
        fetch_urls([url], policy=policy(allow_private=False), timeout_s=5)
    assert info.value.code == "invalid_url" and info.value.status_code == 400
    assert info.value.detail.startswith(f"{url!r} is not a valid URL: ") and problem in info.value.detail
    assert network_guard.lookups == [] and network_guard.refused == []


# --- the address rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1:9001/2018-06-01/runtime/invocation/next",  # Lambda's runtime API
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1%25eth0]/",
        "http://10.0.0.1/",
        "https://192.168.0.1/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0:8000/",
        "http://0/",
    ],
)
def test_ip_literals_that_are_not_public_are_refused_without_dns_or_connection(
    url: str, network_guard
) -> None:
    error = fetch_error(url, allow_private=False)
    assert error.code == "url_refused" and error.status_code == 400
    assert "Only public addresses" in error.detail
    assert "start it with MUSICREMIXER_ALLOW_PRIVATE_URLS=1" in error.detail  # how a local user gets there
    assert network_guard.lookups == [] and network_guard.refused == []


def test_a_name_resolving_to_a_private_address_is_refused(network_guard) -> None:
    network_guard.hosts["intranet.test"] = ["10.1.2.3"]
    error = fetch_error("http://intranet.test/song.wav", allow_private=False)
    assert error.code == "url_refused"
    assert "intranet.test is 10.1.2.3, a private address" in error.detail
    assert network_guard.refused == []


def test_a_name_is_refused_if_any_of_its_addresses_is_not_public(network_guard) -> None:
    network_guard.hosts["mixed.test"] = ["93.184.215.14", "::1"]
    error = fetch_error("http://mixed.test/song.wav", allow_private=False)
    assert error.code == "url_refused" and "::1" in error.detail
    assert network_guard.refused == []


def test_localhost_is_refused(network_guard) -> None:
    assert fetch_error("http://localhost:9001/", allow_private=False).code == "url_refused"
    assert network_guard.refused == []


def test_a_public_address_passes_the_rule_and_the_guard_stops_the_connection(network_guard) -> None:
    # The rule lets 93.184.215.14 through; the test's guard (standing in for the internet) refuses it.
    network_guard.hosts["public.test"] = ["93.184.215.14"]
    error = fetch_error("http://public.test/song.wav", allow_private=False)
    assert error.code == "fetch_failed" and error.status_code == 502
    assert network_guard.refused == [("93.184.215.14", 80)]  # the checked address, and only it


def test_allow_private_lifts_the_rule(audio_server) -> None:
    url = audio_server.serve("/song.wav", SONG)
    assert fetch_url(url, policy=policy(allow_private=True), deadline=soon()).data == SONG
    assert fetch_error(url, allow_private=False).code == "url_refused"


# --- connecting to the checked address --------------------------------------------------------------


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(
    audio_server, network_guard, loopback_is_public
) -> None:
    answers = iter([["127.0.0.1"]])
    network_guard.hosts["rebind.test"] = lambda: next(answers, ["10.0.0.1"])  # later lookups: private
    audio_server.serve("/song.wav", SONG)
    fetched = fetch_url(
        audio_server.url("/song.wav", host="rebind.test"), policy=policy(allow_private=False), deadline=soon()
    )
    assert fetched.data == SONG
    assert network_guard.lookups.count("rebind.test") == 1
    assert network_guard.refused == []
    assert audio_server.requests[-1][1]["Host"] == f"rebind.test:{audio_server.port}"


def test_proxy_environment_variables_are_ignored(audio_server, network_guard, monkeypatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = audio_server.serve("/song.wav", SONG)
    assert fetch_url(url, policy=policy(), deadline=soon()).data == SONG
    assert network_guard.refused == []


def test_a_refused_connection_is_a_fetch_failure() -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = fetch_error(f"http://127.0.0.1:{port}/song.wav")
    assert error.code == "fetch_failed" and error.status_code == 502
    assert "Could not connect" in error.detail


# --- redirects --------------------------------------------------------------------------------------


def redirect(audio_server, path: str, location: str, status: int = 302) -> str:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    audio_server.routes[path] = route
    return audio_server.url(path)


def test_redirects_are_followed(audio_server) -> None:
    audio_server.serve("/final/song.wav", SONG)
    redirect(audio_server, "/b", "/final/song.wav", status=301)
    url = redirect(audio_server, "/a", audio_server.url("/b"), status=307)
    fetched = fetch_url(url, policy=policy(), deadline=soon())
    assert fetched.data == SONG
    assert fetched.url == audio_server.url("/final/song.wav") and fetched.name == "song.wav"


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/secret",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://2130706434/",  # 127.0.0.2 (only 127.0.0.1 passes in this test)
        "http://0x7f.2/",
        "http://intranet.test/",
    ],
)
def test_every_redirect_hop_is_checked(
    audio_server, network_guard, loopback_is_public, location: str
) -> None:
    network_guard.hosts["intranet.test"] = ["192.168.7.7"]
    url = redirect(audio_server, "/go", location)
    error = fetch_error(url, allow_private=False)
    assert error.code == "url_refused"
    assert network_guard.refused == []
    assert [path for path, _headers in audio_server.requests] == ["/go"]


def test_a_redirect_to_another_scheme_is_refused(audio_server) -> None:
    url = redirect(audio_server, "/go", "file:///etc/passwd")
    error = fetch_error(url)
    assert error.code == "invalid_url"
    assert error.detail.startswith(f"{url} redirected to a URL that can't be fetched: 'file:///etc/passwd'")


@pytest.mark.parametrize(("location", "problem"), MALFORMED)
def test_a_redirect_to_a_malformed_url_says_what_is_wrong(
    audio_server, network_guard, location: str, problem: str
) -> None:
    url = redirect(audio_server, "/go", location)
    error = fetch_error(url, allow_private=True)
    assert error.code == "invalid_url" and error.status_code == 400
    assert error.detail.startswith(f"{url} redirected to ") and problem in error.detail
    assert [path for path, _headers in audio_server.requests] == ["/go"]
    assert network_guard.refused == []


def test_redirect_loops_stop(audio_server) -> None:
    url = redirect(audio_server, "/loop", "/loop")
    error = fetch_error(url, max_redirects=3)
    assert error.code == "too_many_redirects" and error.status_code == 502
    assert len(audio_server.requests) == 4  # the first request and three redirects


# --- what comes back --------------------------------------------------------------------------------


def test_a_404_is_a_fetch_failure_naming_the_status(audio_server) -> None:
    error = fetch_error(audio_server.url("/missing.wav"))
    assert error.code == "fetch_failed" and error.status_code == 502
    assert "404" in error.detail


def test_a_server_error_is_a_fetch_failure(audio_server) -> None:
    url = audio_server.serve("/broken", b"oops", content_type="text/plain", status=500)
    error = fetch_error(url)
    assert error.code == "fetch_failed" and "500" in error.detail


def test_an_html_page_is_not_audio(audio_server) -> None:
    url = audio_server.serve("/player", b"<!DOCTYPE html><html><body>Listen!</body></html>", "text/html")
    error = fetch_error(url)
    assert error.code == "not_audio" and error.status_code == 415
    assert "HTML page" in error.detail


def test_an_html_page_served_as_octet_stream_is_still_not_audio(audio_server) -> None:
    url = audio_server.serve("/song.mp3", b"\n  <!doctype html><html></html>", "application/octet-stream")
    assert fetch_error(url).code == "not_audio"


@pytest.mark.parametrize(
    "content_type", ["audio/mpeg", "audio/wav", "application/octet-stream", "video/ogg", ""]
)
def test_audio_and_unlabelled_bodies_are_passed_on(audio_server, content_type: str) -> None:
    url = audio_server.serve("/song", SONG, content_type=content_type)
    assert fetch_url(url, policy=policy(), deadline=soon()).data == SONG


def raw_answer(audio_server, path: str, head: bytes) -> str:
    """A route that answers with ``head`` byte for byte (status line and headers), then hangs up."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(head + b"\r\n\r\nRIFF")
        handler.close_connection = True

    audio_server.routes[path] = route
    return audio_server.url(path)


@pytest.mark.parametrize(
    ("length", "shown"),
    [(b"\xb2", "²"), (b"-5", "-5"), (b"1e3", "1e3"), (b"0x10", "0x10"), (b"", ""), (b"\xd9\xa3", "Ù£")],
)
def test_an_unreadable_content_length_is_a_502_quoting_it(audio_server, length: bytes, shown: str) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: " + length
    url = raw_answer(audio_server, "/len", head)
    error = fetch_error(url)
    assert error.code == "fetch_failed" and error.status_code == 502
    assert f"sent 'Content-Length: {shown}', which is not a number of bytes" in error.detail


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        (b"HTTP/1.1 abc OK", "its status line was 'HTTP/1.1 abc OK'"),
        (b"hello there", "its status line was 'hello there'"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 20", "multiple unmatching values"),
        (b"HTTP/1.1 200 OK" + b"".join(b"\r\nX-%d: 1" % i for i in range(150)), "more than 100 headers"),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000, "more than 65536 bytes"),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_http_is_a_502_saying_so(audio_server, head: bytes, problem: str) -> None:
    error = fetch_error(raw_answer(audio_server, "/bad", head))
    assert error.code == "fetch_failed" and error.status_code == 502
    assert "answered with something that is not valid HTTP" in error.detail and problem in error.detail
    assert "Could not connect" not in error.detail


# --- the byte cap -----------------------------------------------------------------------------------


def test_a_declared_length_over_the_cap_is_refused_before_reading(audio_server) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/wav")
        handler.send_header("Content-Length", str(10**9))
        handler.end_headers()
        handler.wfile.write(b"\0" * 1000)
        audio_server.stop.wait(5)

    audio_server.routes["/big"] = route
    started = time.monotonic()
    error = fetch_error(audio_server.url("/big"), max_bytes=100_000)
    assert error.code == "input_too_large" and error.status_code == 413
    assert "1,000,000,000 bytes" in error.detail
    assert time.monotonic() - started < 3


def stream_forever(audio_server, path: str, *, headers: dict[str, str], chunked: bool) -> dict[str, int]:
    """A route that streams up to 64 MB; returns a dict whose 'sent' counts the body bytes written."""
    sent = {"sent": 0, "finished": 0}

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        chunk = b"\x55" * 65536
        for _ in range(1024):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            sent["sent"] += len(chunk)
        if chunked:
            handler.wfile.write(b"0\r\n\r\n")
        sent["finished"] = 1

    audio_server.routes[path] = route
    return sent


def test_the_cap_holds_when_content_length_lies(audio_server) -> None:
    # Says 10 bytes, streams 64 MB chunked: the cap counts what arrives, not what was promised.
    sent = stream_forever(
        audio_server,
        "/liar",
        headers={"Content-Type": "audio/wav", "Content-Length": "10", "Transfer-Encoding": "chunked"},
        chunked=True,
    )
    error = fetch_error(audio_server.url("/liar"), max_bytes=200_000)
    assert error.code == "input_too_large" and error.status_code == 413
    assert "more than 200,000 bytes" in error.detail
    assert not sent["finished"]


def test_the_cap_holds_without_content_length(audio_server) -> None:
    sent = stream_forever(
        audio_server, "/endless", headers={"Content-Type": "audio/wav", "Connection": "close"}, chunked=False
    )
    assert fetch_error(audio_server.url("/endless"), max_bytes=200_000).code == "input_too_large"
    assert not sent["finished"]


def test_a_body_exactly_at_the_cap_is_accepted(audio_server) -> None:
    url = audio_server.serve("/exact", SONG)
    assert fetch_url(url, policy=policy(max_bytes=len(SONG)), deadline=soon()).data == SONG
    assert fetch_error(url, max_bytes=len(SONG) - 1).code == "input_too_large"


# --- timeouts ---------------------------------------------------------------------------------------


def test_a_server_that_never_answers_times_out(audio_server) -> None:
    audio_server.routes["/silent"] = lambda handler: audio_server.stop.wait(10)
    started = time.monotonic()
    error = fetch_error(audio_server.url("/silent"), seconds=0.5)
    assert error.code == "fetch_timeout" and error.status_code == 504
    assert time.monotonic() - started < 3


def test_the_deadline_holds_against_a_server_that_trickles(audio_server) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/wav")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for _ in range(100):  # a byte every 0.1 s: each read is quick, the whole never ends
            handler.wfile.write(b"x")
            handler.wfile.flush()
            if audio_server.stop.wait(0.1):
                return

    audio_server.routes["/trickle"] = route
    started = time.monotonic()
    error = fetch_error(audio_server.url("/trickle"), seconds=0.6)
    assert error.code == "fetch_timeout"
    assert time.monotonic() - started < 3  # the server would trickle for 10 s


def drip(audio_server, path: str, head: bytes, *, every_s: float = 0.05) -> str:
    """A route that sends ``head`` one byte at a time: each read is quick, the whole takes forever."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        for byte in head:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if audio_server.stop.wait(every_s):
                return

    audio_server.routes[path] = route
    return audio_server.url(path)


DRIPPED_HEADERS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\n" + b"X-Pad: " + b"p" * 400 + b"\r\n\r\nRIFF"
)


def test_the_deadline_holds_against_a_server_that_drips_its_headers(audio_server) -> None:
    url = drip(audio_server, "/drip", DRIPPED_HEADERS)  # 23 s of headers at 20 bytes a second
    started = time.monotonic()
    error = fetch_error(url, seconds=0.6)
    elapsed = time.monotonic() - started
    assert error.code == "fetch_timeout" and error.status_code == 504
    assert elapsed < 1.5, elapsed


def test_the_deadline_holds_across_redirects(audio_server) -> None:
    # A quick redirect, then a hop that drips: the deadline set at the start still holds.
    drip(audio_server, "/drip", DRIPPED_HEADERS)
    url = redirect(audio_server, "/go", "/drip")
    started = time.monotonic()
    assert fetch_error(url, seconds=0.6).code == "fetch_timeout"
    assert time.monotonic() - started < 1.5
    assert [path for path, _ in audio_server.requests] == ["/go", "/drip"]


def test_the_deadline_shuts_a_watched_socket_and_lets_it_go() -> None:
    import socket

    from functions.deadline import Deadline

    ours, theirs = socket.socketpair()
    with ours, theirs:
        started = time.monotonic()
        with Deadline(time.monotonic() + 0.3) as deadline:
            deadline.watch(ours)
            assert not deadline.expired
            ours.settimeout(5)
            assert ours.recv(1) == b""  # woken by the shutdown, not by the 5 s timeout
            assert deadline.expired and deadline.remaining() == 0
        assert 0.25 < time.monotonic() - started < 2
        late = Deadline(time.monotonic() - 1)
        with late:
            late.watch(theirs)  # already past: shut at once
            assert theirs.recv(1) == b""


def test_one_deadline_covers_all_urls(audio_server) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        audio_server.stop.wait(0.4)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(SONG)))
        handler.end_headers()
        handler.wfile.write(SONG)

    audio_server.routes["/slow.wav"] = slow
    urls = [audio_server.url("/slow.wav")] * 3  # 1.2 s in all; each alone fits the 1 s deadline
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_urls(urls, policy=policy(), timeout_s=1.0)
    assert info.value.code == "fetch_timeout"
    assert time.monotonic() - started < 3


def test_every_url_is_checked_before_any_is_fetched(audio_server) -> None:
    good = audio_server.serve("/song.wav", SONG)
    with pytest.raises(FetchError) as info:
        fetch_urls([good, "ftp://example.com/b.wav"], policy=policy(), timeout_s=5)
    assert info.value.code == "invalid_url"
    assert audio_server.requests == []


# --- TLS through the pinned address -----------------------------------------------------------------


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for songs.test; (port, CA file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=songs.test",
         "-addext", "subjectAltName=DNS:songs.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(SONG)))
            self.end_headers()
            self.wfile.write(SONG)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], str(cert)
    server.shutdown()
    server.server_close()


def test_tls_checks_the_certificate_against_the_url_host_while_connecting_to_the_checked_address(
    https_server, network_guard
) -> None:
    port, ca_file = https_server
    network_guard.hosts["songs.test"] = ["127.0.0.1"]
    network_guard.hosts["other.test"] = ["127.0.0.1"]
    fetched = fetch_url(f"https://songs.test:{port}/song.wav", policy=policy(verify=ca_file), deadline=soon())
    assert fetched.data == SONG
    error = fetch_error(f"https://other.test:{port}/song.wav", verify=ca_file)  # same address, wrong name
    assert error.code == "fetch_failed" and "secure connection" in error.detail


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://example.com/music/My%20Song.mp3", "My Song.mp3"),
        ("https://example.com/music/song.wav?token=1", "song.wav"),
        ("https://example.com/music/", "music"),
        ("https://example.com", "example.com"),
    ],
)
def test_names_come_from_the_url_path(url: str, name: str) -> None:
    assert name_from_url(url) == name
