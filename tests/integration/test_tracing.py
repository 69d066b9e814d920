"""OpenTelemetry: off unless OTEL_* says so; on, a request span with one span per storage call
below it (and the SDK's HTTP spans below that), W3C context honoured, OTLP export, log lines
carrying the ids."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from service.app import create_app
from service.observability.tracing import start_tracing, tracing_enabled
from service.settings import Settings
from tests.contract.conftest import gcs_bucket, s3_bucket
from tests.fixtures.cloud import aws_env, gcs_env
from tests.fixtures.service import AUTH_W, REPO, start_server
from tests.integration.test_cloud_api import cloud_settings

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    start_tracing(SimpleSpanProcessor(memory))
    yield memory
    memory.shutdown()  # later tests' spans (botocore stays instrumented) are not kept


def traced_put(client: TestClient, exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    exporter.clear()
    response = client.put("/v1/objects/t/x.txt", content=b"hi", headers=AUTH_W | TRACEPARENT)
    assert response.status_code == 201
    return list(exporter.get_finished_spans())


def only(spans: list[ReadableSpan], test: Callable[[ReadableSpan], bool]) -> ReadableSpan:
    (found,) = [span for span in spans if test(span)]
    return found


def test_one_put_gives_a_request_span_with_a_storage_child(
    make_settings: Callable[..., Settings], exporter: InMemorySpanExporter
) -> None:
    provider = start_tracing()
    with TestClient(create_app(make_settings(), tracer_provider=provider)) as client:
        spans = traced_put(client, exporter)
    server = only(spans, lambda span: span.kind == SpanKind.SERVER)
    assert server.name == "PUT /v1/objects/{key:key}"
    assert server.context is not None
    assert format(server.context.trace_id, "032x") == TRACE_ID  # W3C traceparent honoured
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == PARENT_ID
    storage = only(spans, lambda span: span.name == "storage put")
    assert storage.parent is not None
    assert storage.parent.span_id == server.context.span_id
    assert dict(storage.attributes or {}) == {
        "storage.backend": "local",
        "storage.operation": "put",
    }
    assert len(spans) == 2  # no span per body chunk


@pytest.mark.parametrize("kind", ["s3", "gcs"])
def test_the_sdk_calls_nest_under_the_storage_span(
    kind: str,
    make_settings: Callable[..., Settings],
    moto_endpoint: str,
    gcs_endpoint: str,
    exporter: InMemorySpanExporter,
) -> None:
    endpoint = {"s3": moto_endpoint, "gcs": gcs_endpoint}[kind]
    if kind == "s3":
        bucket, env = s3_bucket(endpoint)[1], aws_env()
    else:
        bucket, env = gcs_bucket(endpoint), gcs_env(endpoint)
    settings = cloud_settings(kind, make_settings, endpoint, bucket)
    with env, TestClient(create_app(settings, tracer_provider=start_tracing())) as client:
        spans = traced_put(client, exporter)
    storage = only(spans, lambda span: span.name == "storage put")
    assert storage.context is not None
    calls = [
        span
        for span in spans
        if span.kind == SpanKind.CLIENT
        and span.parent is not None
        and span.parent.span_id == storage.context.span_id
    ]
    assert calls, [(span.name, span.kind) for span in spans]  # botocore / requests spans
    assert all(format(span.context.trace_id, "032x") == TRACE_ID for span in calls)


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "files"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ],
)
def test_tracing_is_opt_in(environ: dict[str, str], on: bool) -> None:
    assert tracing_enabled(environ) is on


def test_off_means_no_sdk_and_no_middleware(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from service.app import create_app\n"
        "from service.settings import Settings\n"
        f"app = create_app(Settings(auth_enabled=False, storage_url='file://{tmp_path}'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')),"
        " getattr(app, '_is_instrumented_by_opentelemetry', False))\n"
    )
    env = {"PATH": "", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[] False"


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver (protobuf), as a collector listens on :4318/v1/traces."""

    received: list[ExportTraceServiceRequest]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.path == "/v1/traces"
        self.received.append(ExportTraceServiceRequest.FromString(body))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def exported_spans(received: list[ExportTraceServiceRequest]) -> list[tuple[str, Any, Any]]:
    return [
        (
            {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"],
            span,
            resource,
        )
        for request in list(received)
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]


def test_a_live_server_exports_by_otlp_and_logs_the_ids(tmp_path: Path) -> None:
    Receiver.received = []
    collector = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_address[1]}",
        "OTEL_SERVICE_NAME": "files-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    server = start_server(tmp_path, env)
    try:
        put = httpx.put(
            f"{server.url}/v1/objects/traced.txt",
            content=b"hi",
            headers=AUTH_W | TRACEPARENT | {"X-Request-ID": "traced-1"},
        )
        assert put.status_code == 201
        deadline = time.monotonic() + 30
        names: set[str] = set()
        while time.monotonic() < deadline and not {"storage put"} <= names:
            time.sleep(0.2)
            names = {span.name for _, span, _ in exported_spans(Receiver.received)}
    finally:
        server.stop()
        collector.shutdown()
    spans = exported_spans(Receiver.received)
    assert {service for service, _, _ in spans} == {"files-under-test"}
    request = [span for _, span, _ in spans if span.name == "PUT /v1/objects/{key:key}"]
    storage = [span for _, span, _ in spans if span.name == "storage put"]
    assert len(request) == len(storage) == 1
    assert request[0].trace_id.hex() == TRACE_ID
    assert storage[0].parent_span_id == request[0].span_id
    lines = [json.loads(line) for line in server.output().splitlines()]
    (access,) = [line for line in lines if line.get("request_id") == "traced-1"]
    assert access["trace_id"] == TRACE_ID
    assert access["span_id"] == request[0].span_id.hex()
    assert not any("trace_id" in line for line in lines if line.get("logger") == "uvicorn.error")
