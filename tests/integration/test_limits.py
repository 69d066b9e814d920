"""Bounds that hold before any work: request heads, JSON bodies, idle and slow clients, open
connections and uploads in flight, against a real server over raw sockets (issue 11 items 1-3,
15, 16; issue 10 items 7 and 12). Timeouts are set to a second here, so each test is quick; the
load drill is tests/reliability/test_connection_flood.py."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixtures.service import AUTH_R, AUTH_W, WRITER, LiveServer, start_server
from tests.reliability.rawhttp import exchange

PROBLEM = "application/problem+json"


def connect(server: LiveServer, timeout: float = 10) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (b"" if it closes or resets without answering)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.2)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def read_answer(sock: socket.socket) -> bytes:
    """One response, head and Content-Length body, without waiting for the connection to end."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head_, _, body = data.partition(b"\r\n\r\n")
    lengths = [x for x in head_.lower().split(b"\r\n") if x.startswith(b"content-length:")]
    want = int(lengths[0].split(b":")[1]) if lengths else 0
    while len(body) < want and (chunk := sock.recv(65536)):
        body += chunk
    return head_ + b"\r\n\r\n" + body


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def head(method: str, target: str, *lines: str) -> bytes:
    return (
        f"{method} {target} HTTP/1.1\r\nHost: test\r\n" + "".join(f"{x}\r\n" for x in lines)
    ).encode()


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Timeouts of one second."""
    base = tmp_path_factory.mktemp("quick")
    server = start_server(
        base,
        {
            "BUCKETPORT_IDLE_TIMEOUT_SECONDS": "1",
            "BUCKETPORT_HEADER_TIMEOUT_SECONDS": "1",
            "BUCKETPORT_BODY_TIMEOUT_SECONDS": "1",
        },
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Few connections and uploads, generous timeouts, keep-alive longer than uvicorn's 5 s."""
    base = tmp_path_factory.mktemp("capped")
    server = start_server(
        base,
        {
            "BUCKETPORT_MAX_CONNECTIONS": "30",
            "BUCKETPORT_MAX_CONCURRENT_UPLOADS": "2",
            "BUCKETPORT_KEEP_ALIVE_SECONDS": "8",
            "BUCKETPORT_IDLE_TIMEOUT_SECONDS": "60",
            "BUCKETPORT_HEADER_TIMEOUT_SECONDS": "60",
        },
    )
    yield server
    server.stop()


# -- item 1: authenticate before reading any body; JSON bodies are capped ------------------------
def test_presign_answers_401_before_reading_a_body(capped: LiveServer) -> None:
    with connect(capped) as sock:
        # 150 MB announced, not one byte sent: the answer must not wait for the body.
        sock.sendall(
            head("POST", "/v1/presign", "Content-Type: application/json")
            + b"Content-Length: 150000000\r\n\r\n"
        )
        answer = read_answer(sock)
    assert status_of(answer) == 401, answer[:200]
    assert PROBLEM.encode() in answer


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_presign_json_body_over_the_cap_is_413(capped: LiveServer, chunked: bool) -> None:
    with connect(capped) as sock:
        request = head(
            "POST",
            "/v1/presign",
            f"Authorization: Bearer {WRITER}",
            "Content-Type: application/json",
        )
        if chunked:
            piece = b'{"key": "' + b"k" * 8000
            sock.sendall(request + b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(3):  # 24 KB, over the 16 KiB default, and never finished
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        else:
            sock.sendall(request + b"Content-Length: 1048576\r\n\r\n")
        answer = read_answer(sock)
    assert status_of(answer) == 413, answer[:200]
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["code"] == "too_large"
    assert "16384" in body["detail"]


# -- item 2: request heads are bounded before they are parsed -----------------------------------
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ([("X-Big", "a" * 20_000)], "header_too_large"),
        ([(f"X-H{i}", "v") for i in range(150)], "too_many_headers"),
    ],
    ids=["20-kB-header", "150-headers"],
)
def test_oversized_heads_get_431(
    quick: LiveServer, headers: list[tuple[str, str]], code: str
) -> None:
    response = exchange(quick.url, "GET", "/healthz", headers)
    assert response.status == 431
    assert response.headers["content-type"] == PROBLEM
    assert json.loads(response.body)["code"] == code
    assert httpx.get(f"{quick.url}/healthz").status_code == 200


def test_a_megabytes_long_header_is_cut_off_not_parsed(quick: LiveServer) -> None:
    start = time.monotonic()
    with connect(quick) as sock:
        sock.sendall(head("GET", "/healthz") + b"X-Huge: ")
        try:
            for _ in range(64):  # up to 64 MiB; the server stops listening long before
                sock.sendall(b"h" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_all(sock)
    assert status_of(answer) in (431, None)
    assert time.monotonic() - start < 20
    assert httpx.get(f"{quick.url}/healthz").status_code == 200


# -- item 3: idle, slow-head and slow-body clients are dropped -----------------------------------
def test_a_connection_that_never_sends_is_closed(quick: LiveServer) -> None:
    with connect(quick) as sock:
        assert read_all(sock) == b""  # closed by the server (the socket timeout is 10 s)


def test_a_trickled_head_gets_408(quick: LiveServer) -> None:
    with connect(quick) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.3)
        sock.sendall(b"Host: slow\r\n")  # ... and never the blank line
        answer = read_all(sock)
    assert status_of(answer) == 408, answer[:200]
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "header_timeout"


def test_a_stalled_upload_is_dropped_and_leaves_nothing(quick: LiveServer) -> None:
    store = Path(quick.log).parent / "live-store"
    with connect(quick) as sock:
        sock.sendall(
            head("PUT", "/v1/objects/stalled.bin", f"Authorization: Bearer {WRITER}")
            + b"Content-Length: 1048576\r\n\r\n"
            + b"s" * 100_000
        )
        assert read_all(sock) == b""  # dropped after a second without progress
    deadline = time.monotonic() + 10
    while list((store / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((store / "tmp").iterdir()) == []
    assert httpx.head(f"{quick.url}/v1/objects/stalled.bin", headers=AUTH_R).status_code == 404
    assert_counted_as_client_disconnect(quick)


# -- item 16: a client that goes away mid-upload is the client's doing ---------------------------
def assert_counted_as_client_disconnect(server: LiveServer) -> None:
    deadline = time.monotonic() + 10
    while "client_disconnected" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server.output()
    assert "Traceback" not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    puts = [x for x in lines if x.get("logger") == "bucketport.access" and x["method"] == "PUT"]
    assert puts
    assert puts[-1]["status"] == 499
    assert not [x for x in lines if x.get("status") == 500 or x.get("level") == "ERROR"]
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'method="PUT",route="/v1/objects/{key:key}",status="499"' in metrics
    assert 'status="500"' not in metrics
    assert 'code="client_disconnected",operation="put"' in metrics
    assert 'code="internal"' not in metrics


def test_a_client_that_disconnects_mid_upload_is_logged_as_499(capped: LiveServer) -> None:
    with connect(capped) as sock:
        sock.sendall(
            head("PUT", "/v1/objects/gone.bin", f"Authorization: Bearer {WRITER}")
            + b"Content-Length: 4194304\r\n\r\n"
            + b"g" * 1_000_000
        )
        time.sleep(0.5)
    assert_counted_as_client_disconnect(capped)
    assert httpx.head(f"{capped.url}/v1/objects/gone.bin", headers=AUTH_R).status_code == 404


# -- item 15: Content-Length numbers no parser can hold -----------------------------------------
@pytest.mark.parametrize("length", ["99999999999999999999999", "18446744073709551616"])
def test_huge_content_length_is_400_problem(quick: LiveServer, length: str) -> None:
    response = exchange(
        quick.url,
        "PUT",
        "/v1/objects/huge",
        [("Authorization", f"Bearer {WRITER}"), ("Content-Length", length)],
    )
    assert response.status == 400
    assert response.headers["content-type"] == PROBLEM


# -- item 3: a cap on open connections ------------------------------------------------------------
def test_at_the_connection_cap_idle_connections_make_room(capped: LiveServer) -> None:
    idle = [connect(capped) for _ in range(40)]  # over the cap of 30; none sends a byte
    try:
        for _ in range(5):
            assert httpx.get(f"{capped.url}/healthz", timeout=5).status_code == 200
        closed = [i for i, sock in enumerate(idle) if closed_by_server(sock)]
        # The longest-waiting ones were closed to make room; the newest still wait.
        assert len(closed) >= 10
        assert closed[:10] == list(range(10))
        assert not closed_by_server(idle[-1])
    finally:
        for sock in idle:
            sock.close()


def test_at_the_connection_cap_with_none_idle_newcomers_get_503(capped: LiveServer) -> None:
    busy = [connect(capped) for _ in range(30)]
    try:
        for sock in busy:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # a head under way: not idle
        time.sleep(0.5)
        with connect(capped) as sock:
            answer = read_all(sock)
        assert status_of(answer) == 503, answer[:200]
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "too_many_connections"
    finally:
        for sock in busy:
            sock.close()
    time.sleep(0.5)
    assert httpx.get(f"{capped.url}/healthz", timeout=5).status_code == 200


# -- issue 10 item 7: the keep-alive timeout is a setting ---------------------------------------
def test_keep_alive_outlasts_uvicorns_default(capped: LiveServer) -> None:
    with connect(capped) as sock:
        sock.sendall(head("GET", "/healthz") + b"\r\n")
        assert status_of(read_answer(sock)) == 200
        time.sleep(6)  # uvicorn's default keep-alive is 5 s; the setting here is 8 s
        sock.sendall(head("GET", "/healthz") + b"\r\n")
        assert status_of(read_answer(sock)) == 200


# -- issue 10 item 12: uploads in flight are bounded ---------------------------------------------
def test_uploads_over_the_bound_get_503_with_retry_after(capped: LiveServer) -> None:
    holders = [connect(capped) for _ in range(2)]
    try:
        for i, sock in enumerate(holders):
            sock.sendall(
                head("PUT", f"/v1/objects/held-{i}", f"Authorization: Bearer {WRITER}")
                + b"Content-Length: 2000000\r\n\r\n"
                + b"h" * 1000
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            metrics = httpx.get(f"{capped.url}/metrics").text
            if "bucketport_http_requests_in_flight 3.0" in metrics:  # two PUTs and this GET
                break
            time.sleep(0.05)
        over = httpx.put(f"{capped.url}/v1/objects/third", content=b"3", headers=AUTH_W)
        assert over.status_code == 503
        assert over.headers["content-type"] == PROBLEM
        assert over.json()["code"] == "too_many_uploads"
        assert int(over.headers["retry-after"]) > 0
        assert httpx.get(f"{capped.url}/v1/objects/third", headers=AUTH_R).status_code == 404
    finally:
        for sock in holders:
            sock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        again = httpx.put(f"{capped.url}/v1/objects/third", content=b"3", headers=AUTH_W)
        if again.status_code != 503:
            break
        time.sleep(0.1)
    assert again.status_code == 201
