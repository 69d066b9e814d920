"""Running the app under uvicorn: connection limits; on SIGTERM an unready window, then a drain."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import resource
import signal
import socket
from collections.abc import Generator
from types import FrameType

import uvicorn

from service.app import create_app
from service.connections import Limits, guarded_protocol
from service.lifecycle import Lifecycle
from service.settings import Settings

logger = logging.getLogger("bucketport")


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT, /readyz turns 503 while the server keeps serving as usual
    for `shutdown_delay` seconds, so probes and endpoint controllers see it and stop sending
    traffic (with or without a preStop hook); then in-flight requests get up to `drain_seconds`,
    and uvicorn shuts down as usual. A second signal stops at once."""

    def __init__(
        self,
        config: uvicorn.Config,
        lifecycle: Lifecycle,
        *,
        shutdown_delay: float,
        drain_seconds: float,
    ):
        super().__init__(config)
        self.lifecycle = lifecycle
        self.shutdown_delay = shutdown_delay
        self.drain_seconds = drain_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Unlike uvicorn's own, this does not re-raise the signal after shutdown, so a
        # drained process exits 0.
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain is not None or self._loop is None:
            self.force_exit = self.should_exit
            self.should_exit = True
            return
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        self._drain = asyncio.ensure_future(self._drain_then_exit())

    async def _drain_then_exit(self) -> None:
        self.lifecycle.draining = True
        logger.info(
            "shutting down: readiness is 503; serving %gs more, then draining up to %gs",
            self.shutdown_delay,
            self.drain_seconds,
        )
        await asyncio.sleep(self.shutdown_delay)
        logger.info("draining: %d request(s) in flight", self.lifecycle.in_flight)
        if not await self.lifecycle.drain(self.drain_seconds):
            logger.warning(
                "drain time is up with %d request(s) in flight", self.lifecycle.in_flight
            )
        self.should_exit = True


RESERVED_DESCRIPTORS = 64
"""Descriptors kept back from connections: files, storage connections, logs (plus two per
storage thread)."""


def connection_budget(settings: Settings) -> int:
    """Raise the soft descriptor limit as far as the connections need and the hard limit allows;
    answer how many connections fit, so the server refuses connections before accept() fails."""
    reserved = RESERVED_DESCRIPTORS + 2 * settings.storage_threads
    wanted = settings.max_connections + reserved
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft - reserved < settings.max_connections:
        fits = max(soft - reserved, 1)
        logger.warning(
            "descriptor limit %d allows %d connections, not max_connections=%d",
            soft,
            fits,
            settings.max_connections,
        )
        return fits
    return settings.max_connections


def serve(settings: Settings, *, host: str, port: int) -> None:
    lifecycle = Lifecycle()
    limits = dataclasses.replace(Limits.of(settings), max_connections=connection_budget(settings))
    config = uvicorn.Config(
        create_app(settings, lifecycle),
        host=host,
        port=port,
        http=guarded_protocol(limits),
        timeout_keep_alive=settings.keep_alive_seconds,
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=False,  # the app dates its responses (service.api.date)
        # Drain already waited for requests; this only bounds closing idle connections.
        timeout_graceful_shutdown=5,
    )
    DrainingServer(
        config,
        lifecycle,
        shutdown_delay=settings.shutdown_delay_seconds,
        drain_seconds=settings.drain_seconds,
    ).run()
