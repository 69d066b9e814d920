"""`python -m service sync` against `rclone copy` and `aws s3 sync` on the same data and the same
S3 emulator (moto) in the same run: a directory of 300 mixed files up to a bucket and back,
first copy and a no-change re-run, each tool with its own default parallelism.

The emulator restarts before every round so that memory and bucket sizes are alike for all.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.suite import MIB, Bench, Metric, register
from tests.fixtures.cloud import AWS_ENV
from tests.fixtures.emulators import Emulator, create_bucket
from tests.fixtures.service import REPO

FILES = 300
QUICK_FILES = 60
AWS = REPO / ".tools" / "awscli" / "bin" / "aws"
TOOLS = ("service", "rclone", "aws")
STEPS = ("up", "up_again", "down", "down_again")


def make_tree(root: Path, quick: bool) -> tuple[int, int]:
    """300 files: many small (1-64 KiB), some medium (256 KiB-2 MiB), a few larger than the
    8 MiB part size of the service and the AWS CLI (multipart uploads; rclone 1.60 sends up
    to its 200 MiB `--s3-upload-cutoff` in one PUT). Returns (files, total bytes).
    The quick run has 60 files, one of them large: 12 tool runs in about 15 s."""
    rng = random.Random(12)  # noqa: S311 (file sizes, the same in every run)
    large = [9 * MIB] if quick else [9 * MIB, 12 * MIB, 20 * MIB, 24 * MIB, 40 * MIB]
    medium = 5 if quick else 30
    files = QUICK_FILES if quick else FILES
    sizes = large + [rng.randint(256 * 1024, 2 * MIB) for _ in range(medium)]
    sizes += [rng.randint(1024, 64 * 1024) for _ in range(files - len(sizes))]
    block = os.urandom(max(sizes))
    for number, size in enumerate(sizes):
        path = root / f"dir{number % 7}" / f"sub{number % 3}" / f"file-{number:03}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        offset = rng.randint(0, 1024)
        path.write_bytes(block[offset : offset + size] + number.to_bytes(4, "big"))
    return files, sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def commands(tool: str, endpoint: str, bucket: str, local: Path, up: bool) -> list[str]:
    remote = {
        "service": f"s3://{bucket}/data",
        "rclone": f"bench:{bucket}/data",
        "aws": f"s3://{bucket}/data",
    }[tool]
    source, dest = (str(local), remote) if up else (remote, str(local))
    if tool == "service":
        return [sys.executable, "-m", "service", "sync", source, dest]
    if tool == "rclone":
        return ["rclone", "copy", source, dest]
    return [str(AWS), "--endpoint-url", endpoint, "s3", "sync", "--only-show-errors", source, dest]


def environment(endpoint: str) -> dict[str, str]:
    # A CA bundle for a proxy is of no use on loopback, and rclone's SDK refuses the variable.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BUCKETPORT_") and k != "AWS_CA_BUNDLE"
    }
    return (
        base
        | AWS_ENV
        | {
            "BUCKETPORT_S3_ENDPOINT_URL": endpoint,
            "BUCKETPORT_S3_ADDRESSING_STYLE": "path",
            "RCLONE_CONFIG_BENCH_TYPE": "s3",
            "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ENDPOINT": endpoint,
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": AWS_ENV["AWS_ACCESS_KEY_ID"],
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            "RCLONE_CONFIG_BENCH_REGION": AWS_ENV["AWS_DEFAULT_REGION"],
            "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true",
            "RCLONE_CONFIG": os.devnull,
        }
    )


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {result.stderr[-2000:]}")
    return seconds


def same_tree(a: Path, b: Path) -> bool:
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    return files(a) == files(b)


def started(work: Path) -> Emulator:
    """A fresh moto server; a loaded machine may need more than one try at its 20 s start."""
    for attempt in range(3):
        try:
            return Emulator("s3", work).start()
        except RuntimeError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def one_round(work: Path, tree: Path, tool: str) -> dict[str, float]:
    """The four steps of one tool on a fresh emulator."""
    emulator = started(work)
    try:
        bucket = f"sync-{tool}"
        create_bucket("s3", emulator.url, bucket)
        # The service's digest cache starts empty every round: the first copy hashes every
        # file, the re-run finds what the first copy hashed.
        cache = work / f"cache-{tool}"
        shutil.rmtree(cache, ignore_errors=True)
        env = environment(emulator.url) | {"XDG_CACHE_HOME": str(cache)}
        back = work / f"back-{tool}"
        shutil.rmtree(back, ignore_errors=True)
        times = {
            "up": timed(commands(tool, emulator.url, bucket, tree, True), env),
            "up_again": timed(commands(tool, emulator.url, bucket, tree, True), env),
            "down": timed(commands(tool, emulator.url, bucket, back, False), env),
            "down_again": timed(commands(tool, emulator.url, bucket, back, False), env),
        }
        if not same_tree(tree, back):
            raise RuntimeError(f"{tool}: the round trip changed the files")
        return times
    finally:
        emulator.kill()


@register("sync")
def sync_vs_peers(bench: Bench) -> dict[str, Metric]:
    if shutil.which("rclone") is None or not AWS.exists():
        raise RuntimeError("rclone or the AWS CLI is missing: run `make bench-tools`")
    quick = bench.sizes.quick
    tree = bench.work / "sync-tree"
    files, total = make_tree(tree, quick)
    rounds = 1 if quick else 3
    runs: dict[str, list[dict[str, float]]] = {tool: [] for tool in TOOLS}
    for _ in range(rounds):
        for tool in TOOLS:  # in turns, so that noise on the machine hits every tool alike
            runs[tool].append(one_round(bench.work, tree, tool))
    median = {
        tool: {step: statistics.median(r[step] for r in runs[tool]) for step in STEPS}
        for tool in TOOLS
    }
    first = {tool: median[tool]["up"] + median[tool]["down"] for tool in TOOLS}
    again = {tool: median[tool]["up_again"] + median[tool]["down_again"] for tool in TOOLS}
    best_first = min(("rclone", "aws"), key=lambda tool: first[tool])
    best_again = min(("rclone", "aws"), key=lambda tool: again[tool])
    detail: dict[str, float | int | str] = {"files": files, "total_mib": round(total / MIB, 1)}
    for tool in TOOLS:
        detail[f"{tool}_first_s"] = round(first[tool], 2)
        detail[f"{tool}_mib_s"] = round(2 * total / MIB / first[tool], 1)
    rerun = {f"{tool}_rerun_s": round(again[tool], 2) for tool in TOOLS}
    print(json.dumps({"rounds": rounds, "seconds": median}), file=sys.stderr)
    return {
        "sync_first_copy_vs_best_peer": Metric(
            round(first[best_first] / first["service"], 3),
            "ratio",
            f"faster of rclone copy / aws s3 sync ({best_first}): directory -> moto -> directory",
            0.8,
            True,
            detail,
        ),
        "sync_rerun_vs_best_peer": Metric(
            round(again[best_again] / again["service"], 3),
            "ratio",
            f"faster no-change re-run of rclone copy / aws s3 sync ({best_again})",
            1.0,
            True,
            rerun,
        ),
    }
