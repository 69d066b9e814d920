"""Memory under a crowd of uploads: 64 clients each PUT 100 MiB at once to a service on S3 (moto),
with `max_concurrent_uploads` in force; refused clients wait their Retry-After and try again.
The peak RSS is reported against the chart's default memory limit, with the headroom left
(issue 10 item 12: this is the measurement behind the setting's default)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import yaml

from bench import servers
from bench.suite import BUCKET, MIB, Bench, Metric, register
from service.settings import Settings
from tests.fixtures.service import AUTH_W, REPO

CLIENTS = 64
CHART_VALUES = REPO / "helm" / "bucketport" / "values.yaml"
HEADROOM = 0.2
"""Share of the limit kept free: the goal is a peak under 80% of it."""


def chart_memory_limit_mib() -> float:
    limit = str(yaml.safe_load(CHART_VALUES.read_text())["resources"]["limits"]["memory"])
    units = {"Mi": 1, "Gi": 1024, "M": 1e6 / MIB, "G": 1e9 / MIB}
    for suffix, factor in units.items():
        if limit.endswith(suffix):
            return float(limit.removesuffix(suffix)) * factor
    return float(limit) / MIB


@dataclass
class Crowd:
    refused: int = 0
    stored: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(url: str, source: Path, crowd: Crowd, deadline: float) -> None:
    try:
        _upload_until_stored(url, source, crowd, deadline)
    except httpx.HTTPError as exc:
        with crowd.lock:
            crowd.failures.append(repr(exc))


def _upload_until_stored(url: str, source: Path, crowd: Crowd, deadline: float) -> None:
    with httpx.Client(timeout=httpx.Timeout(60, read=None, write=None)) as client:
        while time.monotonic() < deadline:
            with source.open("rb") as body:
                response = client.put(url, content=body, headers=AUTH_W)
            if response.status_code == 503:
                with crowd.lock:
                    crowd.refused += 1
                time.sleep(float(response.headers.get("retry-after", "1")))
                continue
            if response.status_code not in (200, 201):
                with crowd.lock:
                    crowd.failures.append(f"{response.status_code} {response.text[:200]}")
                return
            client.delete(url, headers=AUTH_W)  # keeps the emulator's disk small
            with crowd.lock:
                crowd.stored += 1
            return
    with crowd.lock:
        crowd.failures.append("gave up: deadline")


def crowd_peak_rss(
    bench: Bench, size: int, bound: int, clients: int
) -> tuple[float, float, Crowd, float]:
    """(idle RSS MiB, peak RSS MiB, what the clients saw, seconds) for `clients` uploads of size."""
    source = bench.data(size)
    crowd = Crowd()
    with servers.emulator("s3", bench.work, BUCKET) as store:
        env = store.service_env(BUCKET) | {"BUCKETPORT_MAX_CONCURRENT_UPLOADS": str(bound)}
        with servers.service(bench.work, env) as svc:
            idle = psutil.Process(svc.process.pid).memory_info().rss
            start = time.monotonic()
            deadline = start + 1800
            with servers.PeakRss(svc.process.pid) as rss, ThreadPoolExecutor(clients) as pool:
                for i in range(clients):
                    url = f"{svc.url}/v1/objects/crowd/{i}.bin"
                    pool.submit(_client, url, source, crowd, deadline)
            seconds = time.monotonic() - start
    return idle / MIB, rss.peak / MIB, crowd, seconds


@register("uploads")
def concurrent_uploads(bench: Bench) -> dict[str, Metric]:
    bound = Settings.model_fields["max_concurrent_uploads"].default
    # The quick run sends two rounds of the bound: refused clients wait Retry-After (5 s)
    # between rounds, so 64 clients alone took 40 s.
    size = (12 if bench.sizes.quick else 100) * MIB
    clients = 2 * bound if bench.sizes.quick else CLIENTS
    idle, peak, crowd, seconds = crowd_peak_rss(bench, size, bound, clients)
    limit = chart_memory_limit_mib()
    return {
        "rss_64_uploads_s3_mib": Metric(
            round(peak, 1),
            "MiB",
            f"the chart's memory limit ({limit:g} MiB) less {HEADROOM:.0%} headroom",
            round(limit * (1 - HEADROOM), 1),
            False,
            {
                "clients": clients,
                "size_mib": size // MIB,
                "max_concurrent_uploads": bound,
                "idle_rss_mib": round(idle, 1),
                "per_upload_mib": round((peak - idle) / bound, 1),
                "limit_mib": limit,
                "headroom_mib": round(limit - peak, 1),
                "refused_503": crowd.refused,
                "stored": crowd.stored,
                "failures": len(crowd.failures),
                "first_errors": crowd.failures[:3],
                "seconds": round(seconds, 1),
            },
        )
    }
