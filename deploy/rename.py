"""`make rename NAME=acme-files`: give a fork its own name everywhere but the `service` package.

The current name is read from pyproject.toml, so a fork can rename again later. Three forms of
it are replaced in every file: `name` (distribution, chart, image, logs), `name_` with `_` for
`-` (metric names and other identifiers), `NAME` upper-case (the environment prefix) and `Name`
(header names).
Paths containing the name are renamed too.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

SKIP_DIRS = {
    ".git",
    ".venv",
    ".tools",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    ".data",
    ".terraform",
}
NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")


def files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not SKIP_DIRS & set(path.relative_to(root).parts):
            found.append(path)
    return found


def _capitalized(name: str) -> str:
    """The form HTTP header names use: acme-files -> Acme-Files."""
    return "-".join(part.capitalize() for part in name.split("-"))


def rename(root: Path, new: str) -> list[str]:
    if not NAME.match(new) or "--" in new:
        raise SystemExit(f"rename: {new!r} is not a valid name (lower-case letters, digits, '-')")
    old = tomllib.loads((root / "pyproject.toml").read_text())["project"]["name"]
    if new == old:
        return []
    replacements = [
        (old.upper().replace("-", "_"), new.upper().replace("-", "_")),
        (old.replace("-", "_") + "_", new.replace("-", "_") + "_"),
        (_capitalized(old), _capitalized(new)),
        (old, new),
    ]
    changed = []
    for path in files(root):
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        updated = text
        for before, after in replacements:
            updated = updated.replace(before, after)
        if updated != text:
            path.write_text(updated)
            changed.append(str(path.relative_to(root)))
    # Deepest paths first, so a renamed directory never hides a path still to rename.
    for path in sorted(root.rglob(f"*{old}*"), key=lambda p: len(p.parts), reverse=True):
        if SKIP_DIRS & set(path.relative_to(root).parts):
            continue
        target = path.with_name(path.name.replace(old, new))
        path.rename(target)
        changed.append(f"{path.relative_to(root)} -> {target.relative_to(root)}")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the fork's name, e.g. acme-files")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    changed = rename(args.root, args.name)
    print(f"renamed in {len(changed)} places; now run `uv lock` and `make test`", file=sys.stderr)


if __name__ == "__main__":
    main()
