"""How ``musicremixer serve`` runs uvicorn: timeouts for slow and idle clients, and a connection cap.

uvicorn drops a connection that sits idle after a response (``timeout_keep_alive``), but not one
that never finishes sending its request's headers: 300 such half-open connections were all still
open after two minutes, and with a connection cap they would lock everyone else out.
:func:`header_timeout_protocol` gives each connection :data:`HEADER_TIMEOUT_S` to send the headers
of each request, from the moment it opens or its last response ends.

On Lambda none of this applies: each request has an instance of its own, behind API Gateway.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a request's headers (from connecting, or from the last response).
HEADER_TIMEOUT_S = 10.0
#: Seconds an idle keep-alive connection stays open after a response.
KEEP_ALIVE_S = 5
#: Connections (and requests in progress) at once; past it, new requests get 503. Generous: the
#: work itself is capped by functions.workers, and half-open connections count until dropped.
MAX_CONNECTIONS = 500


def header_timeout_protocol(seconds: float = HEADER_TIMEOUT_S) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers take over ``seconds``."""

    class HeaderTimeoutProtocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the request's headers are all in
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm()  # the next request's headers must come in time too

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting and self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutProtocol


def server_options(*, header_timeout_s: float = HEADER_TIMEOUT_S) -> dict[str, Any]:
    """Keyword arguments for :class:`uvicorn.Config` (or :func:`uvicorn.run`) beyond app, host, port."""
    return {
        "http": header_timeout_protocol(header_timeout_s),
        "timeout_keep_alive": KEEP_ALIVE_S,
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_graceful_shutdown": 5,
    }
