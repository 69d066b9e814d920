"""`make mutation`'s verdict: read mutmut's results, leave out the equivalent mutants that
docs/testing.md lists (each with the reason), and fail under the required score.

    python -m tests.mutation [--min-score 0.9]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "testing.md"
KILLED = {"killed", "timeout", "caught by type check"}
_RESULT = re.compile(r"^\s+(\S+): (.+)$")
_EQUIVALENT = re.compile(r"^\| `(service\.[\w.]+__mutmut_\d+)` \|")


def results() -> dict[str, str]:
    """Mutant name -> status, from `mutmut results --all true`."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {m.group(1): m.group(2) for line in out.splitlines() if (m := _RESULT.match(line))}


def equivalent() -> set[str]:
    """The names in docs/testing.md's table of equivalent mutants."""
    return {m.group(1) for line in DOC.read_text().splitlines() if (m := _EQUIVALENT.match(line))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-score", type=float, default=0.90)
    args = parser.parse_args()
    found = results()
    listed = equivalent()
    stale = sorted(name for name in listed if found.get(name, "killed") in KILLED)
    real = {name: status for name, status in found.items() if name not in listed}
    killed = sum(status in KILLED for status in real.values())
    score = killed / len(real) if real else 0.0
    print(f"mutants: {len(found)}  by status: {dict(Counter(found.values()))}")
    print(f"equivalent (docs/testing.md): {len(listed)}")
    print(f"killed {killed} of {len(real)} non-equivalent mutants: {score:.1%}")
    for name, status in sorted(real.items()):
        if status not in KILLED:
            print(f"  not killed: {name} ({status})  -> mutmut show {name}")
    if stale:
        print(f"listed as equivalent but killed or gone (update docs/testing.md): {stale}")
    return 0 if score >= args.min_score and not stale else 1


if __name__ == "__main__":
    raise SystemExit(main())
