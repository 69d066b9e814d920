"""docs/api.md against the code: the error-code table lists exactly the codes the service sends,
with their statuses."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.facts import REPO, error_codes

API = (REPO / "docs" / "api.md").read_text()
# Codes in the source that never reach a client as a problem: NotModified becomes a bare 304,
# and StorageError is the base class every raised error refines.
NOT_PROBLEMS = {"not_modified", "storage_error"}


def documented() -> dict[str, set[int]]:
    section = API.split("## Error codes", 1)[1]
    rows = re.findall(r"^\| `(\w+)` \| ([\d, ]+) \|", section, re.MULTILINE)
    return {code: {int(s) for s in statuses.split(",")} for code, statuses in rows}


def test_error_table_lists_every_code_with_its_statuses() -> None:
    in_code = {code: statuses for code, statuses in error_codes().items()}
    for code in NOT_PROBLEMS:
        in_code.pop(code, None)
    assert documented() == in_code


def test_the_code_reader_sees_each_kind_of_source() -> None:
    codes = error_codes()
    assert codes["insufficient_scope"] == {403}  # ApiError(403, "...") in api/auth.py
    assert codes["draining"] == {503}  # problem(503, "...") in api/system.py
    assert codes["method_not_allowed"] == {405}  # the {status: code} mapping in api/problems.py
    assert codes["invalid_key"] == {400}  # a storage error class, through the status mapping
    assert codes["client_disconnected"] == {499}  # a module constant as the code


# Backticked one-segment paths in the docs that are not routes: a filesystem directory, and the
# example prefix of BUCKETPORT_ROOT_PATH.
FILESYSTEM_PATHS = {"/tmp", "/files"}


def test_every_service_path_the_docs_name_answers(tmp_path: Path) -> None:
    """`/redoc` was documented while the app turns ReDoc off: a reader got 404."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    texts = [(REPO / "README.md").read_text()]
    texts += [path.read_text() for path in sorted((REPO / "docs").glob("*.md"))]
    named = {p for text in texts for p in re.findall(r"`(?:GET )?(/[a-z][a-z.]*)`", text)}
    app = create_app(Settings(auth_enabled=False, storage_url=f"file://{tmp_path}"))
    with TestClient(app) as client:
        missing = {p for p in named - FILESYSTEM_PATHS if client.get(p).status_code != 200}
    assert named - FILESYSTEM_PATHS >= {"/docs", "/healthz", "/readyz", "/metrics", "/version"}
    assert missing == set()
