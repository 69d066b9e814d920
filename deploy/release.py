"""Release steps that must behave the same on GitHub and here (stdlib only: runs on a bare runner).

python3 deploy/release.py check-version v1.2.3
    fails unless the tag, pyproject.toml's version and the chart's version and appVersion agree
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def project() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"name": data["name"], "version": data["version"]}


def chart_dir() -> Path:
    return ROOT / "helm" / project()["name"]


def chart_field(name: str) -> str:
    text = (chart_dir() / "Chart.yaml").read_text()
    match = re.search(rf"^{name}:\s*\"?([^\"\s]+)\"?\s*$", text, re.MULTILINE)
    if not match:
        raise SystemExit(f"release: Chart.yaml has no {name}")
    return match.group(1)


def check_version(tag: str) -> list[str]:
    """The mismatches between a release tag and the versions in the repository."""
    wanted = tag.removeprefix("v")
    found = {
        "pyproject.toml version": project()["version"],
        "Chart.yaml version": chart_field("version"),
        "Chart.yaml appVersion": chart_field("appVersion"),
    }
    return [f"{where} is {value}, tag {tag} says {wanted}" for where, value in found.items()
            if value != wanted]  # fmt: skip


def main(argv: list[str]) -> int:
    match argv:
        case ["check-version", tag]:
            problems = check_version(tag)
            for line in problems:
                print(f"release: {line}", file=sys.stderr)
            return 1 if problems else 0
        case _:
            print(__doc__, file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
