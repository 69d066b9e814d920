"""Running the app under uvicorn with a graceful drain on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Generator
from types import FrameType

import uvicorn

from service.app import create_app
from service.lifecycle import Lifecycle
from service.observability.logging import logging_config
from service.observability.tracing import tracing_enabled
from service.settings import Settings

logger = logging.getLogger("bucketport")


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT, /readyz turns 503 while the server keeps accepting, so the
    load balancer stops sending traffic; once in-flight requests finish (or the drain time is
    up) uvicorn shuts down as usual. A second signal stops at once."""

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_seconds: float):
        super().__init__(config)
        self.lifecycle = lifecycle
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
        logger.info("draining: readiness is 503; waiting up to %gs", self.drain_seconds)
        if not await self.lifecycle.drain(self.drain_seconds):
            logger.warning(
                "drain time is up with %d request(s) in flight", self.lifecycle.in_flight
            )
        self.should_exit = True


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    if workers > 1:
        # uvicorn's supervisor starts each worker from the import string; workers shut down
        # with uvicorn's own graceful stop (readiness does not flip first): prefer replicas.
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # each worker process applies it: the parent's configuration does not carry over
            log_config=logging_config(
                settings.log_level, settings.log_format, tracing=tracing_enabled()
            ),
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=int(settings.drain_seconds) or 1,
        )
        return
    lifecycle = Lifecycle()
    config = uvicorn.Config(
        create_app(settings, lifecycle),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        # Drain already waited for requests; this only bounds closing idle connections.
        timeout_graceful_shutdown=5,
    )
    DrainingServer(config, lifecycle, settings.drain_seconds).run()
