"""The application factory: settings in, a ready ASGI app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from service.api import objects, presign, problems, system
from service.api.auth import TokenTable
from service.api.date import DateHeader
from service.api.limits import bounded_bodies
from service.lifecycle import Lifecycle, Readiness, Slots
from service.observability.metrics import InstrumentedStore, Metrics
from service.observability.middleware import RequestObserver
from service.settings import Settings
from service.storage.factory import open_store, presign_secret

logger = logging.getLogger("bucketport")

DESCRIPTION = """\
Store and serve objects on S3, Google Cloud Storage or local disk through one API.

Authenticate with `Authorization: Bearer <token>`; tokens carry `read` and/or `write` scopes.
Every error is `application/problem+json` (RFC 9457) with a stable `code`.
"""


def create_app(settings: Settings | None = None, lifecycle: Lifecycle | None = None) -> FastAPI:
    settings = settings or Settings()
    lifecycle = lifecycle or Lifecycle()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Clients are made once per process here, and closed once on the way out.
        store = InstrumentedStore(open_store(settings), metrics)
        app.state.store = store
        app.state.readiness = Readiness(
            store,
            cache_seconds=settings.readiness_cache_seconds,
            timeout=min(settings.storage_timeout_seconds, 5.0),
        )
        logger.info("storage backend %s ready to serve", store.backend)
        if not settings.auth_enabled:
            logger.warning("authentication is OFF: anyone who can reach this port can write")
        if settings.presign_secret is None:
            logger.warning(
                "BUCKETPORT_PRESIGN_SECRET is not set: local signed URLs hold only for this process"
            )
        try:
            yield
        finally:
            await store.aclose()

    app = FastAPIOffline(
        title="bucketport",
        version=system.app_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
        static_url="/docs/assets",
    )
    app.state.settings = settings
    app.state.tokens = TokenTable(settings.tokens)
    app.state.presign_secret = presign_secret(settings)
    app.state.metrics = metrics
    app.state.lifecycle = lifecycle
    app.state.uploads = Slots(settings.max_concurrent_uploads)
    problems.install(app)
    app.include_router(objects.router)
    app.include_router(presign.router)
    app.include_router(system.router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "PUT", "DELETE", "POST"],
            allow_headers=["*"],
            expose_headers=["ETag", "Content-Range", "x-request-id", "x-checksum-sha256"],
        )
    app.add_middleware(system.fast_healthz)
    app.add_middleware(bounded_bodies, max_json_bytes=settings.max_json_bytes)
    app.add_middleware(DateHeader)
    app.add_middleware(RequestObserver, metrics=metrics)
    app.add_middleware(lifecycle.middleware)
    return app
