"""OpenTelemetry tracing, off unless the standard OTEL_* variables ask for it.

On: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, or
`OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`); `OTEL_SDK_DISABLED=true` wins.
Everything else is the SDK's own reading of the environment: service name and resource
(`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`), sampler (`OTEL_TRACES_SAMPLER[_ARG]`),
batching (`OTEL_BSP_*`), OTLP over HTTP/protobuf (`OTEL_EXPORTER_OTLP_*`), W3C trace context
and baggage propagation (`OTEL_PROPAGATORS`).

Spans come from the maintained instrumentations: FastAPI/ASGI for each request, botocore for
S3 calls, requests for the GCS client's HTTP; InstrumentedStore adds one span per storage
operation (every backend, the local store included). Off, none of this is even imported.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger("bucketport")
# Probes would be most of the spans and tell nothing; OTEL_PYTHON_FASTAPI_EXCLUDED_URLS overrides.
PROBES = "/healthz$,/readyz$,/metrics$"
_provider: TracerProvider | None = None


def tracing_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return any(
        environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter() -> SpanExporter:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if names == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if names != "otlp":
        logger.warning("OTEL_TRACES_EXPORTER=%s is not included; exporting with otlp", names)
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    if protocol != "http/protobuf":
        logger.warning("OTLP protocol %s is not included; sending http/protobuf", protocol)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def start_tracing(processor: SpanProcessor | None = None) -> TracerProvider:
    """The process's tracer provider, made once: installed globally, the storage SDKs
    instrumented, spans exported in batches by OTLP. A test passes its own processor (the
    SDK's in-memory exporter) instead, or adds it to the provider already made."""
    global _provider  # noqa: PLW0603 (one provider per process, as the SDK intends)
    if _provider is None:
        from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        _provider = TracerProvider(resource=Resource.create())  # sampler: OTEL_TRACES_SAMPLER
        if processor is None:
            _provider.add_span_processor(BatchSpanProcessor(_exporter()))
        trace.set_tracer_provider(_provider)
        BotocoreInstrumentor().instrument(tracer_provider=_provider)  # type: ignore[no-untyped-call]
        RequestsInstrumentor().instrument(tracer_provider=_provider)
    if processor is not None:
        _provider.add_span_processor(processor)
    return _provider


def instrument(app: FastAPI, provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=None if os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") else PROBES,
        # one span per request: not one more for each body chunk sent or received
        exclude_spans=["receive", "send"],
    )


class SpanIds(logging.Filter):
    """Puts the active span's ids on each record (`trace_id`, `span_id`), as the OpenTelemetry
    log correlation spec names them; records outside a span get none."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True
