"""The one bounded thread pool in which every blocking SDK or file call runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple, Unpack

import anyio.to_thread
from anyio import CapacityLimiter

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class Blocking:
    """Runs blocking callables off the event loop, at most `threads` at a time.

    Each adapter gets one instance from the factory; its size matches the SDK's connection pool
    so a thread never waits for a connection while holding a slot.
    """

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter = CapacityLimiter(threads)

    async def run(self, func: Callable[[Unpack[Ts]], T], *args: *Ts, abandon: bool = False) -> T:
        """Run `func(*args)` in the pool.

        With `abandon`, a cancelled caller returns at once and the thread finishes on its own;
        readiness checks use it so that a hung store cannot hold a probe past its deadline.
        """
        return await anyio.to_thread.run_sync(
            func, *args, limiter=self._limiter, abandon_on_cancel=abandon
        )

    @property
    def busy(self) -> int:
        return int(self._limiter.borrowed_tokens)
