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


def _set(text: str, pattern: str, value: str) -> str:
    updated, count = re.subn(pattern, lambda m: m.group(1) + value, text, count=1, flags=re.M)
    if count != 1:
        raise SystemExit(f"release: no line matches {pattern!r}")
    return updated


def chart_image(repository: str, tag: str, digest: str, source: str) -> None:
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise SystemExit(f"release: {digest!r} is not an image digest")
    values = chart_dir() / "values.yaml"
    text = values.read_text()
    block = re.search(r"^image:\n(?:[ #].*\n|\n)+", text, re.M)
    if not block:
        raise SystemExit("release: values.yaml has no image block")
    image = block.group()
    image = _set(image, r"^(  repository: ).*$", repository)
    image = _set(image, r"^(  tag: ).*$", f'"{tag}"')
    image = _set(image, r"^(  digest: ).*$", f'"{digest}"')
    values.write_text(text[: block.start()] + image + text[block.end() :])

    chart = chart_dir() / "Chart.yaml"
    text = chart.read_text().replace(chart_field("home"), source)
    text = _set(text, r"^(\s+image: ).*$", f"{repository}:{tag}@{digest}")
    chart.write_text(text)


def main(argv: list[str]) -> int:
    match argv:
        case ["check-version", tag]:
            problems = check_version(tag)
            for line in problems:
                print(f"release: {line}", file=sys.stderr)
            return 1 if problems else 0
        case ["chart-image", repository, tag, digest, source]:
            chart_image(repository, tag, digest, source)
            return 0
        case _:
            print(__doc__, file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
