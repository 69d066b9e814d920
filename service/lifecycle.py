"""Process lifecycle: is the store reachable (readiness), and draining on shutdown."""

from __future__ import annotations

import asyncio
import time

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from service.storage.base import BackendTimeout, ObjectStore, StorageError


class Readiness:
    """Answers "can this process serve objects?" with a short cache and one check at a time,
    so a burst of probes never becomes a burst of storage calls."""

    def __init__(self, store: ObjectStore, *, cache_seconds: float, timeout: float) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self._checked_at = -float("inf")
        self._problem: str | None = None

    async def problem(self) -> str | None:
        """None when ready, otherwise why not."""
        async with self._lock:
            if time.monotonic() - self._checked_at >= self._cache_seconds:
                self._problem = await self._check()
                self._checked_at = time.monotonic()
            return self._problem

    async def _check(self) -> str | None:
        try:
            with anyio.fail_after(self._timeout):
                await self._store.check()
        except TimeoutError:
            return BackendTimeout(f"No answer from the store within {self._timeout:g}s.").detail
        except StorageError as exc:
            return exc.detail
        return None


class Lifecycle:
    """Counts requests in flight so shutdown can wait for them, and flags the drain."""

    def __init__(self) -> None:
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def track(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            self.in_flight += 1
            self._idle.clear()
            try:
                await app(scope, receive, send)
            finally:
                self.in_flight -= 1
                if self.in_flight == 0:
                    self._idle.set()

        return track

    async def drain(self, seconds: float) -> bool:
        """Flag the drain, then wait up to `seconds` for in-flight requests; True if all ended."""
        self.draining = True
        with anyio.move_on_after(seconds):
            await self._idle.wait()
            return True
        return False


class Slots:
    """A ceiling on concurrent work: a caller over it is refused at once, never queued (a queue
    would hold the client's connection and body while it waits)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken = 0

    def take(self) -> bool:
        if self.taken >= self.limit:
            return False
        self.taken += 1
        return True

    def give_back(self) -> None:
        self.taken -= 1
