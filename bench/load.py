"""Load generators: curl for single large transfers, wrk for small requests, and boto3 for the
small-GET baseline on S3."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CURL = ["curl", "--silent", "--show-error", "--output", "/dev/null", "--http1.1"]
# Same request shape for the service and every baseline: no 100-continue round trip.
NO_EXPECT = ["-H", "Expect:"]


def _curl(args: list[str], ok: set[int]) -> tuple[float, int]:
    out = subprocess.run(
        [*CURL, "--write-out", "%{http_code} %{time_total} %{size_download}", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    ).stdout.split()
    status, seconds, size = int(out[0]), float(out[1]), int(out[2])
    if status not in ok:
        raise RuntimeError(f"curl {args[-1]}: HTTP {status}")
    return seconds, size


def download(url: str, size: int, headers: dict[str, str] | None = None) -> float:
    """Seconds to GET `url` to /dev/null; checks status and length."""
    seconds, got = _curl([*_headers(headers), url], {200})
    if got != size:
        raise RuntimeError(f"GET {url}: {got} bytes, expected {size}")
    return seconds


def upload(url: str, path: Path, headers: dict[str, str] | None = None) -> float:
    """Seconds to PUT the file at `path` (streamed by curl, Content-Length known)."""
    extra = {"Content-Type": "application/octet-stream", **(headers or {})}
    seconds, _ = _curl([*NO_EXPECT, *_headers(extra), "--upload-file", str(path), url], {200, 201})
    return seconds


def _headers(headers: dict[str, str] | None) -> list[str]:
    return [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, token: str, *, connections: int, seconds: int, threads: int = 1) -> WrkResult:
    """wrk against `url` with `Authorization: Bearer <token>` on every request."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        script.flush()
        out = subprocess.run(
            [
                "wrk",
                *("-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"),
                # A slow answer on a busy machine is a latency, not an error (default 2 s).
                *("--timeout", "10s"),
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99, out
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(rps, float(p99.group(1)) * _UNITS[p99.group(2)], errors)


def boto3_gets(endpoint: str, bucket: str, key: str, *, threads: int, seconds: int) -> WrkResult:
    """boto3 `get_object` of one key in `threads` threads, in a process of its own."""
    out = subprocess.run(
        [
            sys.executable,
            *("-m", "bench.boto_load", "--endpoint", endpoint, "--bucket", bucket),
            *("--key", key, "--threads", str(threads), "--seconds", str(seconds)),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    result = json.loads(out)
    return WrkResult(result["requests"] / result["seconds"], result["p99_ms"], result["errors"])
