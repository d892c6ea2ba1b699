"""One deadline for a whole fetch: connecting, the TLS handshake, the headers, the body, every hop.

Socket timeouts bound each read, not the sum of them: a server that sends its headers a byte at a
time answers every read in time and holds the request for as long as it likes. A
:class:`Deadline` watches the sockets of a fetch and, when its time is up, shuts them down, which
wakes any read blocked on them (plain or TLS). The fetcher then sees the connection end, asks
:attr:`Deadline.expired`, and reports a timeout.

It keeps a duplicate of each socket it watches, so shutting one down at the deadline can never hit
an unrelated socket that reused a closed descriptor; the duplicates are closed with the deadline.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType


class Deadline:
    """A :func:`time.monotonic` time after which the watched sockets are shut down.

    Use it as a context manager around the fetch: leaving it stops the timer and lets the sockets go.

    Parameters
    ----------
    at : float
        The deadline, as a :func:`time.monotonic` time.
    """

    def __init__(self, at: float) -> None:
        self.at = at
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._expired = False
        self._timer = threading.Timer(max(at - time.monotonic(), 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    @property
    def expired(self) -> bool:
        """Whether the time is up (checked by the clock, not only by the timer having fired)."""
        return self._expired or time.monotonic() >= self.at

    def remaining(self) -> float:
        """Seconds left, 0 once the time is up."""
        return max(self.at - time.monotonic(), 0.0)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the time is up (at once, if it already is)."""
        with self._lock:
            duplicate = sock.dup()
            self._watched.append(duplicate)
            if self._expired:
                _shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for sock in self._watched:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side: nothing left to wake
        sock.shutdown(socket.SHUT_RDWR)
