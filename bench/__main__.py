"""`python -m bench run [--quick] [--only SUITE ...]`"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import report, suite


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the benchmarks, print a table, write results")
    run.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    run.add_argument("--only", nargs="+", choices=list(suite.SUITES), help="a subset")
    run.add_argument("--out", type=Path, default=report.RESULTS, help="results directory")
    args = parser.parse_args()

    # 1000 slow clients need more descriptors than the usual soft limit; children inherit it.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = suite.QUICK if args.quick else suite.FULL
    mode = "quick" if args.quick else "full"
    work = Path(tempfile.mkdtemp(prefix="bucketport-bench-"))
    work.chmod(0o755)  # nginx workers may run as another user
    metrics: dict[str, suite.Metric] = {}
    try:
        bench = suite.Bench(work, sizes)
        for name in args.only or suite.SUITES:
            start = time.monotonic()
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            metrics.update(suite.SUITES[name](bench))
            print(f"[bench] {name} done in {time.monotonic() - start:.0f}s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.write(metrics, mode, args.out)
    print(report.table(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
