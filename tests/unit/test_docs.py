"""The README documents what the code does: every setting and every route."""

from deploy import settings_docs
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


def test_the_settings_table_is_generated_from_the_model() -> None:
    """Names, defaults and meanings come from service/settings.py (`make settings-docs`)."""
    assert settings_docs.readme_with_table(README) == README, (
        "the settings changed: run `make settings-docs`"
    )


def test_every_setting_has_a_meaning() -> None:
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []
