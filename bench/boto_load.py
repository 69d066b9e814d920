"""The baseline for small S3 GETs: boto3 `get_object` in N threads against one key, for a while.

Run as its own process (`python -m bench.boto_load …`), so its GIL is not the benchmark's; it
prints one JSON line: requests, seconds, errors and the p99 latency in ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time

import boto3
from botocore.config import Config

from tests.fixtures.cloud import AWS_ENV


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.boto_load")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4)
    args = parser.parse_args()
    client = boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        # The service's own client settings, so both sides pay for the same SDK work.
        config=Config(
            max_pool_connections=args.threads,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"},
        ),
    )
    client.get_object(Bucket=args.bucket, Key=args.key)["Body"].read()  # warm the pool
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def worker() -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                client.get_object(Bucket=args.bucket, Key=args.key)["Body"].read()
            except Exception:
                failed += 1
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors += failed

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else 0.0
    json.dump(
        {
            "requests": len(latencies),
            "seconds": elapsed,
            "errors": errors,
            "p99_ms": round(p99 * 1000, 2),
        },
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
