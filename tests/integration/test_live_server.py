"""Against a real uvicorn process started the way `make run` starts it."""

import hashlib
import json
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixtures.service import AUTH_R, AUTH_W, LiveServer, start_server

MIB = 1024 * 1024


def pattern(total: int, chunk: int = MIB) -> Iterator[bytes]:
    """A deterministic, incompressible-enough body produced chunk by chunk, never held whole."""
    block = hashlib.sha256(b"seed").digest() * (chunk // 32)
    sent = 0
    counter = 0
    while sent < total:
        piece = (counter.to_bytes(8, "big") + block)[: min(chunk, total - sent)]
        counter += 1
        sent += len(piece)
        yield piece


def sha256_of(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def raw_request(server: LiveServer, request: bytes) -> bytes:
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.mark.slow
def test_256_mib_round_trip_with_checksum(live_server: LiveServer) -> None:
    size = 256 * MIB
    expected = sha256_of(pattern(size))
    with httpx.Client(base_url=live_server.url, timeout=120) as client:
        response = client.put("/v1/objects/big/256.bin", content=pattern(size), headers=AUTH_W)
        assert response.status_code == 201, response.text
        assert response.json()["size"] == size
        with client.stream("GET", "/v1/objects/big/256.bin", headers=AUTH_R) as download:
            assert download.headers["content-length"] == str(size)
            assert sha256_of(download.iter_bytes()) == expected


def test_client_disconnect_mid_upload_leaves_nothing(
    live_server: LiveServer, tmp_path: Path
) -> None:
    store = tmp_path / "live-store"
    parts = urlsplit(live_server.url)
    head = (
        "PUT /v1/objects/partial.bin HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        f"Authorization: {AUTH_W['Authorization']}\r\n"
        f"Content-Length: {64 * MIB}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(head)
        for chunk in pattern(8 * MIB):
            sock.sendall(chunk)
        deadline = time.monotonic() + 10
        while not any((store / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any((store / "tmp").iterdir()), "the upload should be in progress"
    deadline = time.monotonic() + 10
    while any((store / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((store / "tmp").iterdir()) == [], "the temp file is removed"
    response = httpx.get(f"{live_server.url}/v1/objects/partial.bin", headers=AUTH_R)
    assert response.status_code == 404
    assert list((store / "objects").iterdir()) == []


def test_sigterm_during_download_completes_it_and_exits_zero(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"BUCKETPORT_DRAIN_SECONDS": "30"})
    size = 64 * MIB
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert client.put("/v1/objects/d.bin", content=pattern(size), headers=AUTH_W).is_success
            digest = hashlib.sha256()
            with client.stream("GET", "/v1/objects/d.bin", headers=AUTH_R) as download:
                reader = download.iter_bytes(MIB)
                digest.update(next(reader))
                server.process.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                with httpx.Client(base_url=server.url, timeout=5) as probe:
                    ready = probe.get("/readyz")
                    assert ready.status_code == 503
                    assert ready.json()["code"] == "draining"
                    assert probe.get("/healthz").status_code == 200
                for chunk in reader:
                    digest.update(chunk)
                    time.sleep(0.001)
            assert digest.hexdigest() == sha256_of(pattern(size))
        assert server.process.wait(30) == 0
    finally:
        server.stop()
    log = server.output()
    assert "draining" in log
    assert "Traceback" not in log


def test_raw_dot_segments_never_leave_the_route(live_server: LiveServer) -> None:
    for path in ("/v1/objects/../../etc/passwd", "/v1/objects/a/../b", "/v1/objects/./x"):
        answer = raw_request(
            live_server,
            f"GET {path} HTTP/1.1\r\nHost: x\r\n{_auth_line()}Connection: close\r\n\r\n".encode(),
        )
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"400", (path, answer[:300])
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["code"] == "invalid_key"


def _auth_line() -> str:
    return f"Authorization: {AUTH_R['Authorization']}\r\n"


def test_json_access_log_has_one_line_per_request(live_server: LiveServer) -> None:
    headers = {
        **AUTH_R,
        "X-Request-ID": "trace-me-1",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    httpx.get(f"{live_server.url}/v1/objects/none", headers=headers)
    time.sleep(0.2)
    lines = [json.loads(line) for line in live_server.output().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == "trace-me-1"]
    assert len(access) == 1
    entry = access[0]
    assert entry["method"] == "GET"
    assert entry["route"] == "/v1/objects/{key:key}"
    assert entry["status"] == 404
    assert "trace_id" not in entry  # tracing is off: ids come from spans (test_tracing.py)
    assert entry["principal"] == "reader"
    assert isinstance(entry["duration_ms"], float)
    assert "reader-token" not in live_server.output(), "tokens never reach the log"


def test_make_run_style_start_warns_auth_is_off(tmp_path: Path) -> None:
    server = start_server(
        tmp_path,
        {
            "BUCKETPORT_AUTH_ENABLED": "false",
            "BUCKETPORT_AUTH_TOKENS": "[]",
            "BUCKETPORT_DRAIN_SECOND": "3",  # a typo is pointed out, not silently ignored
        },
    )
    try:
        assert httpx.put(f"{server.url}/v1/objects/k", content=b"x").status_code == 201
    finally:
        assert server.stop() == 0
    warnings = [json.loads(line) for line in server.output().splitlines() if "OFF" in line]
    assert warnings
    assert warnings[0]["severity"] == "WARNING"
    assert (
        "BUCKETPORT_DRAIN_SECOND is not a setting and is ignored; "
        "did you mean BUCKETPORT_DRAIN_SECONDS?" in server.output()
    )


def test_every_line_is_json_a_log_platform_ingests(live_server: LiveServer) -> None:
    httpx.get(f"{live_server.url}/healthz")
    live_server.stop()
    lines = live_server.output().splitlines()
    entries = [json.loads(line) for line in lines]  # uvicorn's lines included: no plain text
    assert any(entry["logger"] == "uvicorn.error" for entry in entries)
    for entry in entries:
        assert entry["severity"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        stamp = datetime.fromisoformat(entry["time"])
        assert stamp.utcoffset() == timedelta(0), entry["time"]  # RFC 3339, UTC
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)", entry["time"])
        assert "color_message" not in entry
    assert "\x1b" not in live_server.output(), "no ANSI escapes"


def test_stored_objects_are_private_to_the_service(tmp_path: Path, live_server: LiveServer) -> None:
    httpx.put(f"{live_server.url}/v1/objects/p", content=b"x", headers=AUTH_W)
    stored = next((tmp_path / "live-store" / "objects").iterdir())
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert os.stat(tmp_path / "live-store" / "objects").st_mode & 0o002 == 0
