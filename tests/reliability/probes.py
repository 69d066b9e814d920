"""Watching a live server while a drill hurts it: /healthz in a loop, waiting on /readyz."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


@contextmanager
def health_watch(url: str, every: float = 0.05) -> Iterator[list[tuple[int | None, float]]]:
    """Polls /healthz until the block ends; yields (status or None, seconds) per probe."""
    seen: list[tuple[int | None, float]] = []
    stop = threading.Event()

    def watch() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                start = time.monotonic()
                try:
                    status: int | None = client.get(f"{url}/healthz").status_code
                except httpx.TransportError:
                    status = None
                seen.append((status, time.monotonic() - start))
                stop.wait(every)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def wait_ready(url: str, expected: int, within: float = 20) -> float:
    """Seconds until /readyz answers `expected`; fails after `within`."""
    start = time.monotonic()
    status = None
    while time.monotonic() - start < within:
        status = httpx.get(f"{url}/readyz", timeout=10).status_code
        if status == expected:
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"/readyz stayed {status}, not {expected}, for {within}s")
