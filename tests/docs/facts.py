"""Facts that live in the code, read from it, for the docs that repeat them.

    python -m tests.docs.facts           # rewrite the generated tables in README.md
    python -m tests.docs.facts --check   # exit 1 when a table is stale

The README's settings table is generated between `<!-- BEGIN_SETTINGS -->` and
`<!-- END_SETTINGS -->` from the settings model (name, default, description). The error codes in
docs/api.md and the metrics in docs/operations.md are prose tables; tests/docs asserts them
against what this module reads from the code.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SERVICE = REPO / "service"
README = REPO / "README.md"
BEGIN_SETTINGS = "<!-- BEGIN_SETTINGS -->"
END_SETTINGS = "<!-- END_SETTINGS -->"
ENV_PREFIX = "BUCKETPORT_"
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


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "empty" if not value else f"`{value}`"
    default = field.default
    if default is None or default is PydanticUndefined:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, int) and default >= 1024**2 and default % 1024**2 == 0:
        unit, size = ("GiB", default // 1024**3) if default % 1024**3 == 0 else ("MiB", 0)
        size = size or default // 1024**2
        return f"`{default}` ({size} {unit})"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def settings_table() -> str:
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {_default(field)} | {meaning} |")
    return "\n".join(rows)


def render_readme(text: str) -> str:
    before, rest = text.split(BEGIN_SETTINGS, 1)
    _, after = rest.split(END_SETTINGS, 1)
    return f"{before}{BEGIN_SETTINGS}\n{settings_table()}\n{END_SETTINGS}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is stale")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = render_readme(current)
    if args.check:
        if wanted != current:
            print("README.md settings table is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
