"""Fetch a song from a URL without letting the URL reach anything it should not.

The rules (docs/ARCHITECTURE.md §5: on Lambda the credentials are environment variables and the runtime API
listens on 127.0.0.1):

- only ``http`` and ``https``, no credentials in the URL;
- the host is resolved once and refused if *any* of its addresses is not public
  (:func:`functions.addresses.classify_address`), unless the policy allows private addresses;
- the connection goes to the address that was checked, never to a second lookup of the name (no DNS
  rebinding); TLS still checks the certificate against the URL's host name;
- redirects are followed by hand, at most a few, each hop checked the same way;
- connect and read timeouts, and one overall deadline that covers connecting, TLS, the headers and
  the body of every hop (:class:`functions.deadline.Deadline`); the body streams in under a running byte
  cap (a Content-Length is used only to refuse early, never trusted to bound the read);
- proxy and other environment settings are ignored (no :class:`requests.Session`, no ``trust_env``).
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import parse_url

from functions.addresses import IPAddress, classify_address, ip_address, parse_ip_literal
from functions.deadline import Deadline
from functions.errors import ApiError
from functions.media import non_audio_reason

MAX_REDIRECTS = 5
CONNECT_TIMEOUT_S = 5.0
MAX_ADDRESSES_TRIED = 3
_CHUNK_BYTES = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HEADERS = {
    "User-Agent": "MusicRemixer (+https://github.com/)",
    "Accept": "audio/*, application/ogg;q=0.9, application/octet-stream;q=0.8, */*;q=0.1",
    # Audio barely compresses; asking for the bytes as they are keeps the byte cap honest.
    "Accept-Encoding": "identity",
}


class FetchError(ApiError):
    """A URL could not be fetched; ``code`` says why (see :data:`functions.errors.STATUS_BY_CODE`)."""


@dataclass(frozen=True)
class Fetched:
    """A fetched input: the final URL (after redirects), a display name, and the bytes."""

    url: str
    name: str
    content_type: str
    data: bytes


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to, in the resolver's order, without duplicates.

    IP literals in any spelling are read without a lookup (:func:`parse_ip_literal`).
    """
    literal = parse_ip_literal(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True, kw_only=True)
class FetchPolicy:
    """How to fetch: the byte cap, whether private addresses are allowed, timeouts, TLS trust.

    ``resolve`` and ``verify`` are for tests (a fake resolver; a test CA bundle).
    """

    max_bytes: int
    allow_private: bool = False
    max_redirects: int = MAX_REDIRECTS
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    verify: bool | str = True
    resolve: Callable[[str, int], list[IPAddress]] = field(default=resolve_host)


@dataclass(frozen=True)
class Hop:
    """One checked request target: the normalized URL, where it points, and the addresses allowed."""

    url: str
    scheme: str
    host: str  # as in the URL (IPv6 in brackets); the TLS server name and the Host header
    netloc: str
    port: int
    addresses: tuple[IPAddress, ...]


def fetch_urls(urls: Sequence[str], *, policy: FetchPolicy, timeout_s: float) -> list[Fetched]:
    """Fetch each URL in turn under one overall deadline of ``timeout_s`` seconds for them all.

    Every URL is checked for form (scheme, credentials) before any is fetched, so a typo in the
    third URL does not cost the time of fetching the first two.
    """
    for url in urls:
        _check_form(url)
    deadline = time.monotonic() + timeout_s
    return [fetch_url(url, policy=policy, deadline=deadline) for url in urls]


def fetch_url(url: str, *, policy: FetchPolicy, deadline: float) -> Fetched:
    """Fetch one URL, following at most ``policy.max_redirects`` redirects, before ``deadline``.

    ``deadline`` is a :func:`time.monotonic` time; it holds for everything, a server that drips its
    headers included. Raises :class:`FetchError`.
    """
    with Deadline(deadline) as watch:
        hop, response, data = _follow(url, policy=policy, watch=watch)
    reason = non_audio_reason(None, data)
    if reason:
        raise FetchError("not_audio", _not_audio_detail(hop.url, reason))
    return Fetched(url=hop.url, name=name_from_url(hop.url), content_type=_content_type(response), data=data)


def _follow(url: str, *, policy: FetchPolicy, watch: Deadline) -> tuple[Hop, requests.Response, bytes]:
    """Follow the redirects from ``url`` to the body: the last hop, its response and the bytes."""
    current = url
    previous: str | None = None
    for _ in range(policy.max_redirects + 1):
        hop = _check_hop(current, previous, policy=policy)
        with _opened(hop, policy=policy, watch=watch) as response:
            location = response.headers.get("location")
            if response.status_code in _REDIRECT_STATUSES and location:
                previous, current = hop.url, _join(hop.url, location)
                continue
            _check_response(response, url=hop.url, max_bytes=policy.max_bytes)
            data = _read_capped(response, url=hop.url, max_bytes=policy.max_bytes, watch=watch)
        return hop, response, data
    raise FetchError(
        "too_many_redirects",
        f"{url} redirected more than {policy.max_redirects} times: link to the file's final address.",
    )


def check_url(url: str, *, policy: FetchPolicy) -> Hop:
    """Check a URL's form, resolve its host once and check every address; the :class:`Hop` to fetch."""
    scheme, host, netloc, port, normalized = _check_form(url)
    try:
        addresses = policy.resolve(host.strip("[]"), port)
    except ValueError as exc:
        raise FetchError("invalid_url", f"{url} is not a valid URL: {exc}.") from None
    except OSError:  # socket.gaierror: no such host, or no resolver
        raise FetchError(
            "fetch_failed", f"Could not find the host {host!r} of {url}: check the URL."
        ) from None
    if not addresses:
        raise FetchError("fetch_failed", f"The host {host!r} of {url} has no address: check the URL.")
    if not policy.allow_private:
        for address in addresses:
            why = classify_address(address)
            if why:
                named = f"{address} is" if host.strip("[]") == str(address) else f"{host} is {address},"
                raise FetchError(
                    "url_refused",
                    f"{url} is refused: {named} a {why} address. Only public addresses can be fetched; "
                    "upload the file instead, or, to fetch from your own machine or network with the "
                    "local server, start it with MUSICREMIXER_ALLOW_PRIVATE_URLS=1.",
                )
    return Hop(url=normalized, scheme=scheme, host=host, netloc=netloc, port=port, addresses=tuple(addresses))


def _check_hop(url: str, previous: str | None, *, policy: FetchPolicy) -> Hop:
    """:func:`check_url`, saying which redirect led to a URL that can't be fetched."""
    try:
        return check_url(url, policy=policy)
    except FetchError as exc:
        if previous is None or exc.code != "invalid_url":
            raise
        detail = f"{previous} redirected to a URL that can't be fetched: {exc.detail}"
        raise FetchError("invalid_url", detail) from None


def _join(base: str, location: str) -> str:
    """The absolute URL a ``Location`` header points to (:func:`urljoin` raises on bad brackets)."""
    try:
        return urljoin(base, location)
    except ValueError as exc:
        raise FetchError(
            "invalid_url",
            f"{base} redirected to {location!r}, which is not a valid URL: {_split_problem(exc)}.",
        ) from None


def name_from_url(url: str) -> str:
    """A display name for a fetched input: the last path segment (``song.mp3``), else the host."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return segment or parts.hostname or "song"


def _check_form(url: str) -> tuple[str, str, str, int, str]:
    try:
        split = urlsplit(url) if isinstance(url, str) else None
    except ValueError as exc:  # unbalanced IPv6 brackets, or a bracketed host that is no address
        raise FetchError("invalid_url", f"{url!r} is not a valid URL: {_split_problem(exc)}.") from None
    scheme = split.scheme.lower() if split is not None else ""
    if scheme not in ("http", "https"):
        shown = f"'{scheme}:'" if scheme else "no scheme"
        raise FetchError(
            "invalid_url", f"{url!r} has {shown}: only http:// and https:// URLs can be fetched."
        )
    try:
        # requests normalizes the URL as it will send it (IDNA host, percent-encoding); the host we
        # resolve and check is read back from that normalized form, not from the raw string.
        normalized = requests.Request("GET", url).prepare().url or ""
        parsed = parse_url(normalized)
    except (
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        ValueError,
        UnicodeError,
    ) as exc:
        raise FetchError("invalid_url", f"{url!r} is not a valid URL: {exc}.") from None
    if parsed.auth or "@" in (split.netloc if split is not None else ""):
        raise FetchError(
            "invalid_url", f"{url!r} has credentials in it: URLs with a user or password are refused."
        )
    if not parsed.host:
        raise FetchError("invalid_url", f"{url!r} has no host name.")
    if _port_of(split) == 0:  # requests would quietly drop it and send to port 80
        raise FetchError("invalid_url", f"{url!r} has port 0: a port is a number from 1 to 65535.")
    problem = _host_name_problem(parsed.host)
    if problem:
        raise FetchError("invalid_url", f"{url!r} is not a valid URL: {problem}.")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return str(parsed.scheme), parsed.host, parsed.netloc or parsed.host, port, normalized


def _port_of(split: SplitResult | None) -> int | None:
    try:
        return split.port if split is not None else None
    except ValueError:  # out of range: urllib3 refuses it next, with its own message
        return None


def _host_name_problem(host: str) -> str | None:
    """What makes ``host`` (already IDNA-encoded by requests) no valid DNS name, if anything."""
    if host.startswith("[") or _is_ip_literal(host):
        return None
    labels = host.removesuffix(".").split(".")
    if any(not label for label in labels):
        return f"the host name {host!r} has an empty label (two dots in a row, or a leading dot)"
    if any(len(label) > 63 for label in labels) or len(host) > 253:
        return f"the host name {host[:80]!r} is too long (at most 63 characters between dots, 253 in all)"
    return None


def _is_ip_literal(host: str) -> bool:
    try:
        return parse_ip_literal(host) is not None
    except ValueError:
        return True  # a numeric host out of range: check_url says so


def _split_problem(exc: ValueError) -> str:
    """What :func:`urllib.parse.urlsplit`'s complaint means, in the words of a URL's writer."""
    text = str(exc)
    example = "(an IPv6 address goes in brackets, as in http://[2001:db8::1]/song.wav)"
    if "Invalid IPv6 URL" in text:
        return f"its host has a '[' or ']' without its pair {example}"
    if "does not appear to be an IPv4 or IPv6 address" in text:
        return f"the host in brackets is not an IP address {example}"
    return text


class _PinnedAdapter(HTTPAdapter):
    """Send a request to one checked address, whatever the URL's host name resolves to by now.

    The Host header and the TLS server name (SNI and certificate check) stay the URL's host name.
    """

    def __init__(self, hop: Hop, address: IPAddress, *, watch: Deadline) -> None:
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)
        self._hop = hop
        self._address = str(address)
        self._watch = watch
        self._pools: list[HTTPConnectionPool] = []

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> HTTPConnectionPool:
        # Proxies are ignored on purpose: the connection must go to the address that was checked.
        if request.url != self._hop.url:  # only the hop's own request is ever sent here
            raise FetchError(
                "invalid_url", f"Refusing to send {request.url} through the check of {self._hop.url}."
            )
        pool: HTTPConnectionPool
        if self._hop.scheme == "https":
            server_name = self._hop.host.strip("[]")
            pool = _WatchedHTTPSPool(
                self._address,
                self._hop.port,
                maxsize=1,
                server_hostname=server_name,
                assert_hostname=server_name,
                watch=self._watch,
            )
        else:
            pool = _WatchedHTTPPool(self._address, self._hop.port, maxsize=1, watch=self._watch)
        self._pools.append(pool)
        return pool

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        request.headers["Host"] = self._hop.netloc

    def close(self) -> None:
        for pool in self._pools:
            pool.close()
        super().close()


class _WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection whose socket the fetch's :class:`Deadline` watches from the start."""

    def __init__(self, *args: Any, watch: Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watch.watch(sock)  # before TLS: a dripped handshake is covered too
        return sock


class _WatchedHTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, watch: Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watch.watch(sock)
        return sock


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


@contextmanager
def _opened(hop: Hop, *, policy: FetchPolicy, watch: Deadline) -> Iterator[requests.Response]:
    """Send the hop's GET to its checked addresses in turn until one answers; close it after use."""
    failure: FetchError | None = None
    for address in hop.addresses[:MAX_ADDRESSES_TRIED]:
        remaining = _remaining(watch, hop.url)
        adapter = _PinnedAdapter(hop, address, watch=watch)
        request = requests.Request("GET", hop.url, headers=_HEADERS).prepare()
        try:
            response = adapter.send(
                request,
                stream=True,
                timeout=(min(policy.connect_timeout_s, remaining), remaining),
                verify=policy.verify,
                proxies={},
            )
        except requests.exceptions.ReadTimeout:
            adapter.close()
            raise _timeout(hop.url) from None
        except requests.exceptions.RequestException as exc:
            adapter.close()
            if watch.expired:  # the deadline shut the socket: whatever broke, it was too slow
                raise _timeout(hop.url) from None
            failure, another_may_do = _failure(hop, exc)
            if not another_may_do:
                raise failure from None
            continue
        try:
            yield response
        finally:
            response.close()
            adapter.close()
        return
    raise failure or FetchError("fetch_failed", f"Could not connect to {hop.url}.")


def _failure(hop: Hop, exc: requests.exceptions.RequestException) -> tuple[FetchError, bool]:
    """The error for a request that failed before its response, and whether another address may do.

    Only failures to reach the address (refused, reset, unreachable, no answer to connect) are
    worth another address; a broken TLS handshake or an answer that is not HTTP is the server's.
    """
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError("fetch_failed", f"{hop.url}: the secure connection failed ({_short(exc)})."), False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _timeout(hop.url), True
    malformed = _malformed_answer(exc)
    if malformed:  # it connected and answered, in something that is not HTTP
        detail = (
            f"{hop.url} answered with something that is not valid HTTP ({malformed}): check "
            "the link, or download the file and upload it instead."
        )
        return FetchError("fetch_failed", detail), False
    return FetchError("fetch_failed", f"Could not connect to {hop.url} ({_short(exc)})."), True


def _check_response(response: requests.Response, *, url: str, max_bytes: int) -> None:
    if response.status_code not in (200, 203):
        reason = f" {response.reason}" if response.reason else ""
        raise FetchError(
            "fetch_failed",
            f"{url} answered {response.status_code}{reason}: check that the link opens the file in a "
            "browser, or download it and upload it instead.",
        )
    why = non_audio_reason(response.headers.get("content-type"))
    if why:
        raise FetchError("not_audio", _not_audio_detail(url, why))
    declared = declared_length(response.headers.get("content-length"), url=url)
    if declared is not None and declared > max_bytes:
        raise FetchError("input_too_large", _too_large_detail(url, f"{declared:,} bytes", max_bytes))


def declared_length(value: str | None, *, url: str) -> int | None:
    """A response's ``Content-Length`` in bytes; ``None`` when absent.

    Anything but ASCII digits (``²``, ``-5``, ``1e3``, two values) is the server's mistake: a
    :class:`FetchError` (502) that quotes what it sent.
    """
    if value is None:
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise FetchError(
            "fetch_failed",
            f"{url} sent 'Content-Length: {value}', which is not a number of bytes: the server is "
            "misbehaving; download the file and upload it instead.",
        )
    return int(text)


def _malformed_answer(exc: BaseException) -> str | None:
    """What was wrong with what the server sent (a bad status line or header), if that was the failure."""
    for inner in _chain(exc):
        if isinstance(inner, http.client.BadStatusLine):
            return f"its status line was {inner.line.strip()[:100]!r}"
        if isinstance(inner, http.client.HTTPException | urllib3.exceptions.InvalidHeader):
            return str(inner)[:200]
        if isinstance(inner, requests.exceptions.InvalidHeader):
            return str(inner)[:200]
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it wraps (requests and urllib3 nest them as causes or arguments)."""
    seen: list[BaseException] = []
    pending = [exc]
    while pending and len(seen) < 20:
        current = pending.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        yield current
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
        if current.__cause__ is not None:  # not __context__: often a parser's internal slip, not the reason
            pending.append(current.__cause__)


def _read_capped(response: requests.Response, *, url: str, max_bytes: int, watch: Deadline) -> bytes:
    """Read the body under the byte cap and the deadline, whatever Content-Length said."""
    raw = response.raw
    body = bytearray()
    try:
        while True:
            _set_read_timeout(raw, _remaining(watch, url))
            chunk = raw.read1(_CHUNK_BYTES, decode_content=False)  # returns as soon as bytes arrive
            if not chunk:
                if watch.expired:  # the end came from the deadline's shutdown, not the server
                    raise _timeout(url)
                return bytes(body)
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(
                    "input_too_large", _too_large_detail(url, f"more than {max_bytes:,} bytes", max_bytes)
                )
    except (TimeoutError, urllib3.exceptions.TimeoutError):
        raise _timeout(url) from None
    except (OSError, urllib3.exceptions.HTTPError) as exc:
        if watch.expired:
            raise _timeout(url) from None
        raise FetchError("fetch_failed", f"The download of {url} broke off ({_short(exc)}).") from None


def _set_read_timeout(raw: urllib3.BaseHTTPResponse, seconds: float) -> None:
    # The socket timeout bounds each read; shrinking it as the deadline nears makes the deadline
    # hold even for a server that trickles a byte at a time.
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _remaining(watch: Deadline, url: str) -> float:
    remaining = watch.remaining()
    if remaining <= 0:
        raise _timeout(url)
    return remaining


def _timeout(url: str) -> FetchError:
    return FetchError(
        "fetch_timeout",
        f"{url} was too slow to answer: try again, use a faster host, or upload the file instead.",
    )


def _too_large_detail(url: str, size: str, max_bytes: int) -> str:
    return (
        f"{url} is {size}; the limit is {max_bytes:,} bytes per input: "
        "link to a shorter or compressed file (MP3, OGG)."
    )


def _not_audio_detail(url: str, reason: str) -> str:
    return (
        f"{url} is {reason}, not an audio file: link to the file itself (a .wav, .flac, .ogg or .mp3), "
        "not to the page that plays it."
    )


def _content_type(response: requests.Response) -> str:
    return response.headers.get("content-type", "")


def _short(exc: BaseException) -> str:
    # requests' messages nest the whole urllib3 chain; the innermost reason is what a person needs.
    *_, inner = _chain(exc)
    text = str(inner)
    return text.split(": ", 1)[-1][:200] if text else type(inner).__name__
