"""The application factory: settings in, a ready ASGI app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from service.api import objects, presign, problems, system
from service.api.auth import TokenTable
from service.api.date import DateHeader
from service.api.limits import bounded_bodies
from service.connections import REFUSAL_STATUSES
from service.lifecycle import Lifecycle, Readiness, Slots
from service.observability.metrics import InstrumentedStore, Metrics
from service.observability.middleware import RequestObserver
from service.observability.tracing import instrument, start_tracing, tracing_enabled
from service.settings import Settings
from service.storage.factory import open_store, presign_secret

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

logger = logging.getLogger("bucketport")

DESCRIPTION = """\
Store and serve objects on S3, Google Cloud Storage or local disk through one API.

Authenticate with `Authorization: Bearer <token>`; tokens carry `read` and/or `write` scopes.
Every error is `application/problem+json` (RFC 9457) with a stable `code`.
"""
LICENSE = {"name": "Apache-2.0", "identifier": "Apache-2.0"}
DOCS_ASSETS = "/docs/assets"  # Swagger UI's and ReDoc's files, served by fastapi-offline


async def redoc_page(request: Request) -> HTMLResponse:
    """ReDoc from this service's own files. Its attribution logo lives on a CDN: images from
    elsewhere are not loaded, so the page needs nothing outside the service."""
    root = request.scope.get("root_path", "")
    page = get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
        with_google_fonts=False,
    )
    page.headers["Content-Security-Policy"] = "img-src 'self' data:"
    return page


def operation_id(route: APIRoute) -> str:
    """The route function's name (put_object, list_objects, ...): what generated clients call
    their methods, so renaming one is an API change (tests/integration/test_openapi.py)."""
    return route.name


def create_app(
    settings: Settings | None = None,
    lifecycle: Lifecycle | None = None,
    tracer_provider: TracerProvider | None = None,
) -> FastAPI:
    """The app; traced when OTEL_* variables turn tracing on (or a test passes a provider)."""
    settings = settings or Settings()
    lifecycle = lifecycle or Lifecycle()
    metrics = Metrics()
    if tracer_provider is None and tracing_enabled():
        tracer_provider = start_tracing()
    tracer = tracer_provider.get_tracer("bucketport") if tracer_provider else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Clients are made once per process here, and closed once on the way out.
        store = InstrumentedStore(open_store(settings), metrics, tracer)
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
        license_info=LICENSE,
        # one server: the path prefix the service is reached under (FastAPI would otherwise
        # put the root path in front of "/", and a client could pick the wrong one)
        servers=[{"url": settings.root_path or "/"}],
        generate_unique_id_function=operation_id,
        responses=problems.responses(*REFUSAL_STATUSES),
        lifespan=lifespan,
        static_url=DOCS_ASSETS,
        redoc_url=None,  # below, offline in full
    )
    # Set on the instance rather than passed above (FastAPI deprecates the argument, meaning
    # servers should set it): this way the prefix holds with any server, and requests that
    # arrive with the prefix (proxy keeps it) or without it (proxy strips it) both route.
    app.root_path = settings.root_path or ""
    app.state.settings = settings
    app.state.tokens = TokenTable(settings.tokens)
    app.state.presign_secret = presign_secret(settings)
    app.state.metrics = metrics
    app.state.lifecycle = lifecycle
    app.add_api_route("/redoc", redoc_page, include_in_schema=False)
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
    if tracer_provider is not None:
        instrument(app, tracer_provider)  # outermost: the access log line sees the span
    return app
