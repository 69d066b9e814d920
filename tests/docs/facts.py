"""Facts that live in the code, read from it, for the docs that repeat them: the error codes
in docs/api.md (tests/docs asserts the table against them). The README's settings table is
checked against the settings model by tests/unit/test_docs.py."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICE = REPO / "service"
_STATUS_CLASS = range(400, 600)


def _code_literal(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = node.value
    elif isinstance(node, ast.Name) and node.id in constants:
        value = constants[node.id]
    else:
        return None
    return value if value.replace("_", "").isalpha() and value.islower() else None


def error_codes() -> dict[str, set[int]]:
    """Every problem code the service can send, with the statuses it is sent with.

    Read from the source: a call whose first two arguments are an error status and a code
    (`ApiError(403, "insufficient_scope", …)`, `problem(503, "draining", …)`, the connection
    guard's `problem_bytes(431, …)`), an `{status: code}` mapping, and the `code` of each
    storage error class (its status from the API's mapping). Status 0 means "set elsewhere".
    """
    codes: dict[str, set[int]] = {}
    storage_status = _storage_statuses()
    trees = [ast.parse(path.read_text(), str(path)) for path in sorted(SERVICE.rglob("*.py"))]
    # Module-level string constants of the whole package: a code may be imported from the
    # module that defines it (CLIENT_GONE lives with the metrics, problems.py sends it).
    constants = {
        target.id: node.value.value
        for tree in trees
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and len(node.args) >= 2:
                status, code = node.args[0], _code_literal(node.args[1], constants)
                if (
                    code
                    and isinstance(status, ast.Constant)
                    and isinstance(status.value, int)
                    and status.value in _STATUS_CLASS
                ):
                    codes.setdefault(code, set()).add(status.value)
            elif isinstance(node, ast.Dict) and node.keys:
                pairs = list(zip(node.keys, node.values, strict=True))
                if all(isinstance(k, ast.Constant) and k.value in _STATUS_CLASS for k, _ in pairs):
                    for key, value in pairs:
                        code = _code_literal(value, constants)
                        if code and isinstance(key, ast.Constant) and isinstance(key.value, int):
                            codes.setdefault(code, set()).add(key.value)
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and [getattr(t, "id", None) for t in statement.targets] == ["code"]
                        and (code := _code_literal(statement.value, constants))
                    ):
                        codes.setdefault(code, set()).add(storage_status.get(node.name, 0))
    return codes


def _storage_statuses() -> dict[str, int]:
    from service.api.problems import status_of
    from service.storage import base

    return {
        cls.__name__: status_of(cls.__new__(cls))
        for cls in vars(base).values()
        if isinstance(cls, type) and issubclass(cls, base.StorageError)
    }
