"""Connection flood (issue 11 item 4): while one client holds 2,000 idle sockets, 100 slowloris
connections trickle their heads and a few clients send oversized heads, a server with the default
limits keeps /healthz p99 under 100 ms, serves authenticated GETs, stays under 256 MiB RSS, and
its descriptor count returns to the baseline once the attackers leave."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import resource
import selectors
import socket
import statistics
import threading
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from bench.servers import PeakRss
from tests.fixtures.service import AUTH_R, AUTH_W, start_server
from tests.reliability.probes import health_watch

pytestmark = pytest.mark.drill

IDLE = 2000
SLOWLORIS = 100
OVERSIZED = 4
WINDOW = 20.0
MIB = 1024 * 1024


def raise_descriptor_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        assert hard == resource.RLIM_INFINITY or hard >= needed, f"nofile hard limit {hard}"
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class Attack:
    """The attackers, each a thread until `stop` is set; sockets are kept in the lists."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.stop = threading.Event()
        self.idle: list[socket.socket] = []
        self.slow: list[socket.socket] = []
        self.refused_heads: list[int | None] = []
        self.threads: list[threading.Thread] = []

    def connect(self) -> socket.socket | None:
        try:
            return socket.create_connection(self.address, timeout=5)
        except OSError:
            return None

    def start(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self.threads.append(thread)

    def hold_idle(self) -> None:
        """Open IDLE sockets that never send; reopen (at most 200 a second) what the server
        closes, so IDLE are held throughout."""
        while len(self.idle) < IDLE and not self.stop.is_set():
            if (sock := self.connect()) is not None:
                self.idle.append(sock)
        while not self.stop.wait(1):
            with selectors.DefaultSelector() as watch:
                for sock in self.idle:
                    watch.register(sock, selectors.EVENT_READ, sock)
                closed: list[socket.socket] = [key.data for key, _ in watch.select(0)]
            for gone in closed[:200]:
                self.idle.remove(gone)
                gone.close()
                if (fresh := self.connect()) is not None:
                    self.idle.append(fresh)

    def slowloris(self) -> None:
        """SLOWLORIS connections each send one header byte a second, reconnecting when cut."""
        while not self.stop.is_set():
            while len(self.slow) < SLOWLORIS and (sock := self.connect()) is not None:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
                self.slow.append(sock)
            for sock in list(self.slow):
                try:
                    sock.sendall(b"s")
                except OSError:
                    self.slow.remove(sock)
                    sock.close()
            self.stop.wait(1)

    def oversized(self) -> None:
        """Heads of up to 8 MiB, one after the other."""
        while not self.stop.is_set():
            sock = self.connect()
            if sock is None:
                continue
            with sock:
                try:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: big\r\nX-Big: ")
                    for _ in range(8):
                        sock.sendall(b"b" * MIB)
                except OSError:
                    pass
                answer = b""
                with contextlib.suppress(OSError):
                    answer = sock.recv(65536)
            self.refused_heads.append(int(answer.split()[1]) if answer[:5] == b"HTTP/" else None)
            self.stop.wait(0.2)

    def end(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        for sock in self.idle + self.slow:
            sock.close()


def p99_ms(ordered: list[float]) -> float:
    return round(ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000, 1)


def run_attack(url: str, ready: EventType, stop: EventType, results: Queue[dict[str, Any]]) -> None:
    """The attack, in a process of its own so that its threads never slow the probes down."""
    attack = Attack(url)
    attack.start(attack.hold_idle)
    deadline = time.monotonic() + 60
    while len(attack.idle) < IDLE and time.monotonic() < deadline:
        time.sleep(0.1)
    held = len(attack.idle)
    attack.start(attack.slowloris)
    for _ in range(OVERSIZED):
        attack.start(attack.oversized)
    time.sleep(1)
    ready.set()
    stop.wait(120)
    attack.end()
    results.put({"idle_held": held, "refused_heads": attack.refused_heads})


def test_flood_of_idle_slow_and_oversized_connections(tmp_path: Path) -> None:
    raise_descriptor_limit(IDLE + SLOWLORIS + 512)
    server = start_server(tmp_path, {})
    process = psutil.Process(server.process.pid)
    figures: dict[str, Any] = {}
    forked = multiprocessing.get_context("fork")
    ready, stop, results = forked.Event(), forked.Event(), forked.Queue()
    try:
        url = f"{server.url}/v1/objects/flood/object"
        assert httpx.put(url, content=b"f" * 4096, headers=AUTH_W).status_code == 201
        time.sleep(0.5)
        baseline = process.num_fds()

        with health_watch(server.url) as quiet:  # the same probes without the attack
            time.sleep(5)
        attacker = forked.Process(target=run_attack, args=(server.url, ready, stop, results))
        gets: list[int | None] = []
        with PeakRss(server.process.pid, every=0.05) as rss:
            attacker.start()
            assert ready.wait(90), "the attack did not get going"
            with health_watch(server.url) as health, httpx.Client(timeout=5) as client:
                end = time.monotonic() + WINDOW
                while time.monotonic() < end:
                    try:
                        gets.append(client.get(url, headers=AUTH_R).status_code)
                    except httpx.TransportError:
                        gets.append(None)
                    time.sleep(0.1)
                open_during = process.num_fds()
            stop.set()
            attack = results.get(timeout=60)
            attacker.join(30)

        deadline = time.monotonic() + 30
        while process.num_fds() > baseline and time.monotonic() < deadline:
            time.sleep(0.2)
        after = process.num_fds()
        latencies = sorted(seconds for status, seconds in health if status == 200)
        before = sorted(seconds for _, seconds in quiet)
        refused: list[int | None] = attack["refused_heads"]
        figures = {
            "idle_sockets_held": attack["idle_held"],
            "healthz_probes": len(health),
            "healthz_ok": len(latencies),
            "healthz_p99_ms_without_attack": p99_ms(before),
            "healthz_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "healthz_p99_ms": p99_ms(latencies),
            "authenticated_gets": len(gets),
            "authenticated_gets_ok": gets.count(200),
            "peak_rss_mib": round(rss.peak / MIB, 1),
            "fds_baseline": baseline,
            "fds_during": open_during,
            "fds_after": after,
            "oversized_heads": len(refused),
            "oversized_answered_431": refused.count(431),
        }
        (tmp_path / "flood-figures.json").write_text(json.dumps(figures, indent=1))
        print("connection flood:", json.dumps(figures))
    finally:
        stop.set()
        server.stop()

    assert figures["idle_sockets_held"] == IDLE, figures
    assert figures["healthz_ok"] == figures["healthz_probes"], figures
    assert figures["healthz_p99_ms"] < 100, figures
    assert figures["authenticated_gets_ok"] == figures["authenticated_gets"], figures
    assert figures["peak_rss_mib"] < 256, figures
    assert after <= baseline, figures
    assert figures["oversized_heads"], figures
    assert set(refused) <= {431, None}, figures
    assert "Traceback" not in server.output()
