"""The README documents what the code does: every setting and every route."""

from service.app import create_app
from service.settings import Settings
from tests.fixtures.service import REPO

README = (REPO / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"BUCKETPORT_{name.upper()}"
        for name in Settings.model_fields
        if f"`BUCKETPORT_{name.upper()}`" not in README
    ]
    assert missing == []


def test_every_route_is_documented() -> None:
    app = create_app(Settings(auth_enabled=False))
    spec = app.openapi()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if f"{method.upper()} {path}" not in README
    ]
    assert missing == []


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block


def test_every_scalar_default_in_the_readme_is_the_models() -> None:
    """The table is written by hand: its Default column must still say what the model does."""
    import re

    rows = dict(re.findall(r"^\| `BUCKETPORT_(\w+)` \| ([^|]*) \|", README, re.MULTILINE))
    wrong = {}
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, bool):
            shown = "true" if default else "false"
        elif isinstance(default, int | float | str):
            shown = f"{default:g}" if isinstance(default, float) else str(default)
        else:
            continue  # unset, lists and factories are described in words
        cell = rows.get(name.upper(), "")
        if not cell.strip().startswith(f"`{shown}`"):
            wrong[name] = (shown, cell.strip())
    assert wrong == {}
