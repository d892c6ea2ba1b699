"""Threads for the blocking work of a request, in bounded pools of their own.

Fetching URLs and remixing block, so they run in worker threads. Left in the one thread pool that
everything shares (anyio's 40 threads), 40 slow downloads held every thread and ``/health``, the
page's files and every upload waited behind them. Here each kind of work has its own cap: a
request over it waits its turn (in the event loop, holding no thread), and the shared pool stays
free for the quick things. One :class:`Workers` per app (:func:`functions.app.create_app`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
from fastapi import Request

#: URL fetches at once; each may hold MAX_INPUT_BYTES per URL and FETCH_TIMEOUT_S of a thread.
FETCHES_IN_FLIGHT = 8
#: Remixes (decode to encode) at once: they are CPU-bound, so more than a few only share the cores,
#: and each holds its songs in memory.
REMIXES_IN_FLIGHT = 4

T = TypeVar("T")


@dataclass(frozen=True)
class Workers:
    """The caps on an app's blocking work: URL fetches, and remixes."""

    fetches: anyio.CapacityLimiter
    remixes: anyio.CapacityLimiter

    @classmethod
    def new(cls, *, fetches: int = FETCHES_IN_FLIGHT, remixes: int = REMIXES_IN_FLIGHT) -> Workers:
        """Fresh limiters (they bind to the event loop that first uses them)."""
        return cls(fetches=anyio.CapacityLimiter(fetches), remixes=anyio.CapacityLimiter(remixes))

    async def fetch(self, func: Callable[..., T], *args: object) -> T:
        """Run ``func(*args)`` in a thread, at most :data:`FETCHES_IN_FLIGHT` at once."""
        return await anyio.to_thread.run_sync(func, *args, limiter=self.fetches)

    async def remix(self, func: Callable[..., T], *args: object) -> T:
        """Run ``func(*args)`` in a thread, at most :data:`REMIXES_IN_FLIGHT` at once."""
        return await anyio.to_thread.run_sync(func, *args, limiter=self.remixes)


def get_workers(request: Request) -> Workers:
    """The workers of the app serving ``request``."""
    return request.app.state.workers
