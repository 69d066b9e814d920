"""`make rename NAME=acme-files [OWNER=acme]`: give a fork its own name everywhere but `service`.

The current name is read from pyproject.toml and the current GitHub owner from its Source URL, so a
fork can rename again later (acme-files -> beta-files). The references to the repository
(`github.com/OWNER/NAME`, `ghcr.io/OWNER/NAME`, `ghcr.io/OWNER/charts`, `--repo OWNER/NAME`) get the
new owner and name: the chart's default image and sources point at the fork. OWNER defaults to the
owner in `git remote get-url origin` when that is a GitHub URL, else to the new name.
Then four forms of the name are replaced in every file: `NAME` upper-case with `_` (the environment
prefix), `name_` with `_` for `-` (metric names and other identifiers), `Name` (header names) and
`name` (distribution, chart, image, logs). Paths containing the name are renamed too.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
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


GITHUB_REPO = re.compile(r"github\.com[:/]([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?$")
OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")


def current(root: Path) -> tuple[str, str]:
    """The project's name and GitHub owner, from pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    match = GITHUB_REPO.search(project.get("urls", {}).get("Source", ""))
    return project["name"], match.group(1) if match else project["name"]


def origin_owner(root: Path) -> str | None:
    """The owner in `git remote get-url origin`, when the clone has a GitHub origin."""
    git = shutil.which("git")
    if git is None:
        return None
    found = subprocess.run(  # noqa: S603 (fixed arguments)
        [git, "-C", str(root), "remote", "get-url", "origin"],
        capture_output=True,
        text=True,
        check=False,
    )
    match = GITHUB_REPO.search(found.stdout.strip()) if found.returncode == 0 else None
    return match.group(1) if match else None


def rename(root: Path, new: str, owner: str | None = None) -> list[str]:
    if not NAME.match(new) or "--" in new:
        raise SystemExit(f"rename: {new!r} is not a valid name (lower-case letters, digits, '-')")
    old, old_owner = current(root)
    owner = owner or origin_owner(root) or new
    if not OWNER.match(owner):
        raise SystemExit(f"rename: {owner!r} is not a GitHub owner name")
    if (new, owner) == (old, old_owner):
        return []
    replacements = [
        (f"github.com/{old_owner}/{old}", f"github.com/{owner}/{new}"),
        (f"ghcr.io/{old_owner}/{old}", f"ghcr.io/{owner.lower()}/{new}"),
        (f"ghcr.io/{old_owner}/charts", f"ghcr.io/{owner.lower()}/charts"),
        (f"--repo {old_owner}/{old}", f"--repo {owner}/{new}"),
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
    parser.add_argument("--owner", help="the fork's GitHub owner (default: from git's origin)")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    changed = rename(args.root, args.name, args.owner or None)
    print(f"renamed in {len(changed)} places; now run `uv lock` and `make test`", file=sys.stderr)


if __name__ == "__main__":
    main()
