"""The metrics: each one a measurement of the service and of its baseline in the same run."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import load, servers
from tests.fixtures.cloud import AWS_ENV
from tests.fixtures.service import AUTH_W, REPO, TOKENS, WRITER, free_port
from tests.reliability.probes import health_watch

MIB = 1024 * 1024
BUCKET = "bench-objects"


@dataclass(frozen=True)
class Sizes:
    local: int
    cloud: int
    repeats: int
    wrk_seconds: int
    rss_big: int
    rss_small: int
    slow_clients: int
    slow_object: int
    cold_repeats: int
    quick: bool = False
    """Suites that are too slow for `make bench-quick` look at this and skip or shrink."""


FULL = Sizes(512 * MIB, 64 * MIB, 5, 10, 2048 * MIB, 64 * MIB, 1000, 2 * MIB, 7)
QUICK = Sizes(64 * MIB, 16 * MIB, 3, 2, 128 * MIB, 64 * MIB, 1000, MIB // 4, 3, True)
"""`make bench-quick` stays under two minutes on 2 shared cores (75-90 s at a load average of
3-4): 2 s wrk rounds, and the 1000 slow clients each read 256 KiB (2.5 s at 100 KiB/s)."""


@dataclass
class Metric:
    value: float
    unit: str
    baseline: str
    target: float
    higher_is_better: bool
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


@dataclass
class Bench:
    work: Path
    sizes: Sizes
    files: dict[int, Path] = field(default_factory=dict)

    def data(self, size: int) -> Path:
        """A file of `size` bytes (a random MiB repeated), made once per run."""
        if size not in self.files:
            block = os.urandom(MIB)
            path = self.work / "data" / f"{size}.bin"
            path.parent.mkdir(exist_ok=True)
            with path.open("wb") as out:
                for offset in range(0, size, MIB):
                    out.write(block[: min(MIB, size - offset)])
            self.files[size] = path
        return self.files[size]


Suite = Callable[[Bench], dict[str, Metric]]
SUITES: dict[str, Suite] = {}
"""Every suite by name, in the order they run. A new module adds its own with `register`:
put it under bench/suites/ and `python -m bench` imports it (no list to edit here)."""


def register(name: str) -> Callable[[Suite], Suite]:
    def add(run: Suite) -> Suite:
        if name in SUITES:
            raise ValueError(f"two benchmark suites are called {name!r}")
        SUITES[name] = run
        return run

    return add


def load_suites() -> dict[str, Suite]:
    """SUITES, after importing every module under bench/suites/ (each registers itself)."""
    import importlib
    import pkgutil

    from bench import suites

    for module in sorted(pkgutil.iter_modules(suites.__path__), key=lambda m: m.name):
        importlib.import_module(f"{suites.__name__}.{module.name}")
    return SUITES


def median_seconds(run: Callable[[], float], repeats: int) -> float:
    return statistics.median(run() for _ in range(repeats))


def interleaved(
    a: Callable[[], float], b: Callable[[], float], repeats: int
) -> tuple[float, float]:
    """Medians of a and b, run in turns so that noise on the machine hits both alike."""
    times_a, times_b = [], []
    for _ in range(repeats):
        times_a.append(a())
        times_b.append(b())
    return statistics.median(times_a), statistics.median(times_b)


def throughput(size: int, seconds: float) -> float:
    return round(size / seconds / MIB, 1)


# -- local store ---------------------------------------------------------------------------


@register("local")
def local_transfers(bench: Bench) -> dict[str, Metric]:
    size, repeats = bench.sizes.local, bench.sizes.repeats
    source = bench.data(size)
    bare_root = bench.work / "bare-files"
    bare_root.mkdir(exist_ok=True)
    with servers.service(bench.work, {}) as svc, servers.bare(bench.work, bare_root) as bare:
        url = f"{svc.url}/v1/objects/big.bin"
        up_svc, up_bare = interleaved(
            lambda: load.upload(url, source, AUTH_W),
            lambda: load.upload(f"{bare}/files/big.bin", source),
            repeats,
        )
        with servers.nginx(bench.work, source.parent) as nginx:
            down_svc, down_nginx = interleaved(
                lambda: load.download(url, size, AUTH_W),
                lambda: load.download(f"{nginx}/{source.name}", size),
                repeats,
            )
    return {
        "download_local_vs_nginx": Metric(
            round(down_nginx / down_svc, 3),
            "ratio",
            "nginx sendfile",
            0.9,
            True,
            {
                "size_mib": size // MIB,
                "service_mib_s": throughput(size, down_svc),
                "baseline_mib_s": throughput(size, down_nginx),
            },
        ),
        "upload_local_vs_bare": Metric(
            round(up_bare / up_svc, 3),
            "ratio",
            "bare Starlette writing a file (fsync)",
            0.85,
            True,
            {
                "size_mib": size // MIB,
                "service_mib_s": throughput(size, up_svc),
                "baseline_mib_s": throughput(size, up_bare),
            },
        ),
    }


# -- cloud stores --------------------------------------------------------------------------


def s3_client(endpoint: str) -> Any:
    """boto3 straight to the emulator, with the service's own settings: checksums only where S3
    requires them, path-style addressing."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        config=Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"},
        ),
    )


def _s3_direct(endpoint: str) -> tuple[Callable[[str, Path], None], Callable[[str], int]]:
    client = s3_client(endpoint)

    def put(key: str, path: Path) -> None:
        with path.open("rb") as body:
            client.put_object(Bucket=BUCKET, Key=key, Body=body)

    def get(key: str) -> int:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
        return sum(len(chunk) for chunk in body.iter_chunks(MIB))

    return put, get


def _gcs_direct(endpoint: str) -> tuple[Callable[[str, Path], None], Callable[[str], int]]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project="bench",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": endpoint},
    )
    bucket = client.bucket(BUCKET)

    def put(key: str, path: Path) -> None:
        bucket.blob(key).upload_from_filename(str(path))

    def get(key: str) -> int:
        bucket.blob(key).download_to_filename(os.devnull)
        return -1

    return put, get


def cloud_transfers(bench: Bench, kind: str) -> dict[str, Metric]:
    size, repeats = bench.sizes.cloud, max(2, bench.sizes.repeats - 2)
    source = bench.data(size)
    sdk = {"s3": "boto3", "gcs": "google-cloud-storage"}[kind]
    metrics: dict[str, Metric] = {}
    with servers.emulator(kind, bench.work, BUCKET) as store:
        put, get = (_s3_direct if kind == "s3" else _gcs_direct)(store.url)
        with servers.service(bench.work, store.service_env(BUCKET)) as svc:
            url = f"{svc.url}/v1/objects/through-service.bin"

            def direct_put() -> float:
                start = time.perf_counter()
                put("direct.bin", source)
                return time.perf_counter() - start

            def direct_get() -> float:
                start = time.perf_counter()
                got = get("direct.bin")
                assert got in (size, -1), got
                return time.perf_counter() - start

            up_svc, up_direct = interleaved(
                lambda: load.upload(url, source, AUTH_W), direct_put, repeats
            )
            down_svc, down_direct = interleaved(
                lambda: load.download(url, size, AUTH_W), direct_get, repeats
            )
            if kind == "s3":
                metrics |= _s3_small_gets(bench, svc.url, store.url)
    baseline = f"{sdk} straight to the {'moto' if kind == 's3' else 'fake-gcs'} server"
    for direction, svc_s, direct_s in (
        ("download", down_svc, down_direct),
        ("upload", up_svc, up_direct),
    ):
        metrics[f"{direction}_{kind}_vs_direct"] = Metric(
            round(direct_s / svc_s, 3),
            "ratio",
            baseline,
            0.9,
            True,
            {
                "size_mib": size // MIB,
                "service_mib_s": throughput(size, svc_s),
                "baseline_mib_s": throughput(size, direct_s),
            },
        )
    return metrics


S3_SMALL_CONNECTIONS = 8


def _s3_small_gets(bench: Bench, service_url: str, store_url: str) -> dict[str, Metric]:
    """1 KiB GETs through the service (wrk) and with boto3 `get_object` straight to moto (a
    process of its own with as many threads as wrk has connections)."""
    small = bench.work / "s3-small.bin"
    small.write_bytes(os.urandom(1024))
    load.upload(f"{service_url}/v1/objects/small.bin", small, AUTH_W)
    seconds, connections = bench.sizes.wrk_seconds, S3_SMALL_CONNECTIONS
    got = rates(
        lambda: load.wrk(
            f"{service_url}/v1/objects/small.bin",
            WRITER,
            connections=connections,
            seconds=seconds,
        ),
        lambda: load.boto3_gets(
            store_url, BUCKET, "small.bin", threads=connections, seconds=seconds
        ),
        1 if bench.sizes.quick else 2,
    )
    return {
        "small_get_s3_vs_boto3": Metric(
            got.pop("ratio"),
            "ratio",
            "boto3 get_object straight to the moto server, same concurrency",
            0.6,
            True,
            {"connections": connections, **got},
        )
    }


register("s3")(lambda bench: cloud_transfers(bench, "s3"))
register("gcs")(lambda bench: cloud_transfers(bench, "gcs"))


# -- small requests ------------------------------------------------------------------------


def rates(
    service: Callable[[], load.WrkResult], baseline: Callable[[], load.WrkResult], rounds: int = 2
) -> dict[str, Any]:
    """Request rates of the service and its baseline, measured in turns; mean rate, worst p99."""
    runs: dict[str, list[load.WrkResult]] = {"service": [], "baseline": []}
    for _ in range(rounds):
        runs["baseline"].append(baseline())
        runs["service"].append(service())
    errors = sum(r.errors for v in runs.values() for r in v)
    if errors:
        raise RuntimeError(f"the load generator saw {errors} errors")
    rps = {k: statistics.mean(r.requests_per_second for r in v) for k, v in runs.items()}
    p99_ms = {k: max(r.p99_ms for r in v) for k, v in runs.items()}
    return {
        "ratio": round(rps["service"] / rps["baseline"], 3),
        "service_rps": round(rps["service"]),
        "baseline_rps": round(rps["baseline"]),
        "service_p99_ms": p99_ms["service"],
        "baseline_p99_ms": p99_ms["baseline"],
    }


@register("small")
def small_gets(bench: Bench) -> dict[str, Metric]:
    root = bench.work / "small"
    root.mkdir(exist_ok=True)
    (root / "small.bin").write_bytes(os.urandom(1024))
    seconds, connections = bench.sizes.wrk_seconds, 32

    def wrk(url: str) -> Callable[[], load.WrkResult]:
        return lambda: load.wrk(url, WRITER, connections=connections, seconds=seconds)

    with servers.service(bench.work, {}) as svc, servers.bare(bench.work, root) as bare:
        load.upload(f"{svc.url}/v1/objects/small.bin", root / "small.bin", AUTH_W)
        rounds = 1 if bench.sizes.quick else 2  # the quick run stays within two minutes
        get = rates(wrk(f"{svc.url}/v1/objects/small.bin"), wrk(f"{bare}/files/small.bin"), rounds)
        health = rates(wrk(f"{svc.url}/healthz"), wrk(f"{bare}/hello"), rounds)
    return {
        "small_get_vs_bare": Metric(
            get.pop("ratio"),
            "ratio",
            "bare Starlette returning the file, same wrk connections",
            0.5,
            True,
            {"connections": connections, **get},
        ),
        "healthz_vs_bare": Metric(
            health.pop("ratio"),
            "ratio",
            "bare Starlette hello route, same wrk connections",
            0.7,
            True,
            {"connections": connections, **health},
        ),
    }


# -- memory --------------------------------------------------------------------------------


def _peak_rss_round_trip(bench: Bench, size: int) -> int:
    """Peak RSS of a fresh service while an object of `size` goes up and comes back down."""
    source = bench.data(size)
    with servers.service(bench.work, {}) as svc:
        url = f"{svc.url}/v1/objects/rss-{size}.bin"
        with servers.PeakRss(svc.process.pid) as rss:
            load.upload(url, source, AUTH_W)
            load.download(url, size, AUTH_W)
    return rss.peak


@register("memory")
def memory(bench: Bench) -> dict[str, Metric]:
    small = _peak_rss_round_trip(bench, bench.sizes.rss_small)
    big = _peak_rss_round_trip(bench, bench.sizes.rss_big)
    label = f"{bench.sizes.rss_big // MIB} MiB"
    return {
        "rss_2gib_mib": Metric(
            round(big / MIB, 1),
            "MiB",
            f"peak RSS, {label} up and down",
            150,
            False,
            {"size_mib": bench.sizes.rss_big // MIB},
        ),
        "rss_growth_2gib_vs_64mib": Metric(
            round(big / small, 3),
            "ratio",
            f"peak RSS with a {bench.sizes.rss_small // MIB} MiB object",
            1.15,
            False,
            {"small_peak_mib": round(small / MIB, 1), "big_peak_mib": round(big / MIB, 1)},
        ),
    }


# -- slow clients --------------------------------------------------------------------------


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@register("slow")
def slow_clients(bench: Bench) -> dict[str, Metric]:
    size, clients = bench.sizes.slow_object, bench.sizes.slow_clients
    source = bench.data(size)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    with servers.service(bench.work, {}) as svc:
        load.upload(f"{svc.url}/v1/objects/slow.bin", source, AUTH_W)
        port = svc.url.rsplit(":", 1)[1]
        command = [
            sys.executable,
            "-m",
            "bench.slow_clients",
            "--port",
            port,
            "--path",
            "/v1/objects/slow.bin",
            "--token",
            WRITER,
            "--sha",
            digest,
            "--clients",
            str(clients),
        ]
        with servers.PeakRss(svc.process.pid) as rss, health_watch(svc.url, 0.02) as health:
            result = subprocess.run(
                command, cwd=REPO, capture_output=True, text=True, check=True, timeout=600
            )
    outcome = json.loads(result.stdout)
    latencies = [seconds * 1000 for status, seconds in health if status == 200]
    failed_probes = len(health) - len(latencies)
    errors = int(outcome["errors"]) + failed_probes
    return {
        "slow_clients_health_p99_ms": Metric(
            round(p99(latencies), 2),
            "ms",
            "/healthz p99 during the slow downloads",
            100,
            False,
            {
                "clients": clients,
                "object_mib": round(size / MIB, 2),
                "rate_kib_s": 100,
                "errors": errors,
                "first_errors": outcome["first_errors"],
                "completed": outcome["completed"],
                "probes": len(health),
                "seconds": round(outcome["seconds"], 1),
                "peak_rss_mib": round(rss.peak / MIB, 1),
            },
        )
    }


# -- cold start ----------------------------------------------------------------------------


def _ready_after(env: dict[str, str]) -> float:
    port = free_port()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with servers.stopping(process):
        while process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - start
            except OSError:
                time.sleep(0.005)
    raise RuntimeError("the service exited before it was ready")


def _import_floor() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import fastapi, uvicorn"], check=True, cwd=REPO)
    return time.perf_counter() - start


@register("cold")
def cold_start(bench: Bench) -> dict[str, Metric]:
    env = {
        **os.environ,
        "BUCKETPORT_STORAGE_URL": f"file://{bench.work / 'cold-store'}",
        "BUCKETPORT_AUTH_TOKENS": json.dumps(TOKENS),
        **servers.NO_SHUTDOWN_DELAY,
    }
    ready, floor = interleaved(lambda: _ready_after(env), _import_floor, bench.sizes.cold_repeats)
    return {
        "cold_start_vs_import_floor": Metric(
            round(ready / floor, 3),
            "ratio",
            "python -c 'import fastapi, uvicorn'",
            2,
            False,
            {"ready_ms": round(ready * 1000), "import_floor_ms": round(floor * 1000)},
        )
    }
