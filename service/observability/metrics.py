"""Prometheus metrics: RED per route template, bytes, in-flight, storage operations per backend."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from starlette.requests import ClientDisconnect

from service.storage.base import (
    DEFAULT_CONTENT_TYPE,
    NO_CONDITIONS,
    ByteRange,
    Download,
    ExpectedChecksums,
    ObjectInfo,
    ObjectStore,
    Page,
    PresignMethod,
    ReadConditions,
    SignedURL,
    StorageError,
    Written,
)

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

CLIENT_GONE = "client_disconnected"
"""The code, in logs and metrics, of a request whose client went away before its body ended."""
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """One set of metrics on its own registry, so each app instance (and test) starts clean."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        self.requests = Counter(
            "bucketport_http_requests", "HTTP requests.", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "bucketport_http_request_duration_seconds",
            "Time to the end of the response.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "bucketport_http_requests_in_flight", "Requests being served.", registry=r
        )
        self.bytes_in = Counter("bucketport_http_received_bytes", "Request body bytes.", registry=r)
        self.bytes_out = Counter("bucketport_http_sent_bytes", "Response body bytes.", registry=r)
        self.storage_latency = Histogram(
            "bucketport_storage_operation_duration_seconds",
            "Storage operation latency (for get: until the body starts).",
            ["backend", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.storage_errors = Counter(
            "bucketport_storage_operation_errors",
            "Storage operations that failed, by error code.",
            ["backend", "operation", "code"],
            registry=r,
        )


class InstrumentedStore:
    """Wraps any ObjectStore to time each operation and count its errors."""

    def __init__(self, store: ObjectStore, metrics: Metrics, tracer: Tracer | None = None) -> None:
        self.inner = store
        self.backend = store.backend
        self._metrics = metrics
        self._tracer = tracer

    async def _timed(self, operation: str, call: Any) -> Any:
        if self._tracer is None:  # tracing off: not one call more
            return await self._measured(operation, call)
        # One span per operation on every backend; botocore's and requests' spans nest below.
        with self._tracer.start_as_current_span(
            f"storage {operation}",
            attributes={"storage.backend": self.backend, "storage.operation": operation},
        ):
            return await self._measured(operation, call)

    async def _measured(self, operation: str, call: Any) -> Any:
        start = time.perf_counter()
        try:
            return await call
        except StorageError as exc:
            self._metrics.storage_errors.labels(self.backend, operation, exc.code).inc()
            raise
        except ClientDisconnect:
            # The body stopped because the client went away: not the store's failure.
            self._metrics.storage_errors.labels(self.backend, operation, CLIENT_GONE).inc()
            raise
        except Exception:
            self._metrics.storage_errors.labels(self.backend, operation, "internal").inc()
            raise
        finally:
            self._metrics.storage_latency.labels(self.backend, operation).observe(
                time.perf_counter() - start
            )

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match_any: bool = False,
        if_match: str | None = None,
        checksums: ExpectedChecksums | None = None,
        max_bytes: int | None = None,
    ) -> Written:
        call = self.inner.put(
            key,
            chunks,
            content_type=content_type,
            metadata=metadata,
            if_none_match_any=if_none_match_any,
            if_match=if_match,
            checksums=checksums,
            max_bytes=max_bytes,
        )
        written: Written = await self._timed("put", call)
        return written

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        conditions: ReadConditions = NO_CONDITIONS,
    ) -> Download:
        call = self.inner.get(key, byte_range=byte_range, conditions=conditions)
        download: Download = await self._timed("get", call)
        return download

    async def head(self, key: str) -> ObjectInfo:
        info: ObjectInfo = await self._timed("head", self.inner.head(key))
        return info

    async def delete(self, key: str) -> None:
        await self._timed("delete", self.inner.delete(key))

    async def list(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page:
        call = self.inner.list(prefix, delimiter=delimiter, cursor=cursor, limit=limit)
        page: Page = await self._timed("list", call)
        return page

    async def presign(
        self, key: str, method: PresignMethod, expires_in: int, content_type: str | None = None
    ) -> SignedURL:
        call = self.inner.presign(key, method, expires_in, content_type)
        signed: SignedURL = await self._timed("presign", call)
        return signed

    async def check(self) -> None:
        await self._timed("check", self.inner.check())

    async def aclose(self) -> None:
        await self.inner.aclose()
