"""`python -m bench run [--quick] [--only SUITE ...]` and `python -m bench docs`."""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import docs, report, suite


def main() -> int:
    suites = suite.load_suites()
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the benchmarks, print a table, write results")
    run.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    run.add_argument("--only", nargs="+", choices=list(suites), help="a subset")
    run.add_argument("--out", type=Path, default=report.RESULTS, help="results directory")
    commands.add_parser("docs", help="rewrite the figures in docs/performance.md from results")
    args = parser.parse_args()
    if args.command == "docs":
        docs.update()
        return 0

    # 1000 slow clients need more descriptors than the usual soft limit; children inherit it.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = suite.QUICK if args.quick else suite.FULL
    # Only a full run of every suite is `latest` (what docs/performance.md shows).
    stem = "partial" if args.only else "quick" if args.quick else "latest"
    work = Path(tempfile.mkdtemp(prefix="bucketport-bench-"))
    work.chmod(0o755)  # nginx workers may run as another user
    metrics: dict[str, suite.Metric] = {}
    failed: list[str] = []
    try:
        bench = suite.Bench(work, sizes)
        for name in args.only or suites:
            start = time.monotonic()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            try:
                metrics.update(suites[name](bench))
            except Exception:  # one broken suite must not cost the others' results
                traceback.print_exc()
                failed.append(name)
            print(f"[bench] {name} done in {time.monotonic() - start:.0f}s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failed:  # an incomplete run is never `latest`
        stem = "partial"
    report.write(metrics, "quick" if args.quick else "full", args.out, stem)
    if stem == "latest" and args.out == report.RESULTS:
        docs.update()
    print(report.table(metrics))
    print(f"[bench] results in {args.out}/{stem}.json", file=sys.stderr)
    if failed:
        print(f"[bench] FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
