"""`terraform fmt` without terraform: hclwrite's formatter, compiled to WebAssembly and
shipped on npm as @cdktf/hcl-tools, run over terraform/.

    python -m tests.terraform.hclfmt          # list unformatted files, exit 1 if any
    python -m tests.terraform.hclfmt --write  # format them in place
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.terraform.tfconfig import REPO, TERRAFORM

HCL_TOOLS = "@cdktf/hcl-tools@0.21.0"
PREFIX = REPO / ".tools" / "hcl-tools"
SCRIPT = Path(__file__).with_name("hclfmt.js")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed (node and npm come from the machine image)")
    return found


def ensure_installed() -> None:
    """Install the formatter under .tools/ once (idempotent, quiet)."""
    if (PREFIX / "node_modules" / "@cdktf" / "hcl-tools" / "package.json").is_file():
        return
    subprocess.run(
        [
            _tool("npm"),
            "install",
            "--prefix",
            str(PREFIX),
            "--no-audit",
            "--no-fund",
            "--silent",
            "--no-save",
            HCL_TOOLS,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def files() -> list[Path]:
    return sorted([*TERRAFORM.rglob("*.tf"), *TERRAFORM.rglob("*.tftest.hcl")])


def run(
    paths: list[Path] | None = None, *, write: bool = False
) -> subprocess.CompletedProcess[str]:
    """Check (or with write, format) paths, by default every file under terraform/."""
    ensure_installed()
    env = {**os.environ, "NODE_PATH": str(PREFIX / "node_modules")}
    args = [_tool("node"), str(SCRIPT), *(str(f) for f in (paths or files()))]
    return subprocess.run(
        [*args, "--write"] if write else args,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def main() -> int:
    result = run(write="--write" in sys.argv[1:])
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
