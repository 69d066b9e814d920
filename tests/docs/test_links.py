"""No file points at a document the repository does not hold: every Markdown link to a local
path and every mention of a `*.md` file resolves (relative to the file, or to the repo root)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.docs.facts import REPO

LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
MENTION = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
TEXT_SUFFIXES = {".md", ".py", ".yaml", ".yml", ".toml", ".tf", ".hcl", ".sh", ".tpl", ".txt", ""}


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    paths = [REPO / name for name in listed.split("\0") if name]
    return [p for p in paths if p.suffix in TEXT_SUFFIXES and p.is_file() and p.name != "uv.lock"]


def dangling(path: Path, names: frozenset[str] = frozenset()) -> list[str]:
    """Targets that resolve nowhere; a bare file name may be any tracked file of that name."""
    text = path.read_text(errors="replace")
    targets = set(MENTION.findall(text))
    if path.suffix == ".md":
        targets |= {m for m in LINK.findall(text) if ":" not in m}
    return sorted(
        target
        for target in targets
        if not (path.parent / target).exists()
        and not (REPO / target).exists()
        and not ("/" not in target and target in names)
    )


def test_no_file_points_at_a_missing_document() -> None:
    files = [path for path in tracked_files() if path != Path(__file__)]  # its examples dangle
    names = frozenset(path.name for path in files)
    missing = {
        str(path.relative_to(REPO)): found for path in files if (found := dangling(path, names))
    }
    assert missing == {}


def test_a_missing_document_is_found(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("See [the brief](docs/brief.md) and DESIGN.md; README.md exists.\n")
    assert dangling(note) == ["DESIGN.md", "docs/brief.md"]
