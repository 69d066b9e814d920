import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import Settings, describe_error, unknown_variables
from tests.fixtures.service import REPO, TOKENS


def test_defaults_need_tokens_when_auth_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUCKETPORT_AUTH_TOKENS", raising=False)
    with pytest.raises(ValidationError, match="no token is configured"):
        Settings()


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKETPORT_AUTH_TOKENS", json.dumps(TOKENS))
    monkeypatch.setenv("BUCKETPORT_MAX_UPLOAD_BYTES", "1024")
    monkeypatch.setenv("BUCKETPORT_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings()
    assert settings.max_upload_bytes == 1024
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert [t.name for t in settings.tokens] == ["writer", "reader"]
    assert "writer-token" not in repr(settings), "tokens must never be printed"


def test_tokens_file_is_merged(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps([{"token": "f" * 20, "scopes": ["read"], "name": "from-file"}]))
    settings = Settings(auth_tokens=TOKENS, auth_tokens_file=path)
    assert [t.name for t in settings.tokens] == ["writer", "reader", "from-file"]


def refusal(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> str:
    """The one line the settings are refused with, in this environment."""
    monkeypatch.setenv("BUCKETPORT_AUTH_ENABLED", "false")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    return describe_error(raised.value)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BUCKETPORT_MAX_UPLOAD_BYTES": "lots"}, "BUCKETPORT_MAX_UPLOAD_BYTES"),
        ({"BUCKETPORT_STORAGE_URL": "ftp://x"}, "BUCKETPORT_STORAGE_URL"),
        ({"BUCKETPORT_LOG_FORMAT": "xml"}, "BUCKETPORT_LOG_FORMAT"),
        ({"BUCKETPORT_AUTH_TOKENS": '[{"token": "short"}]'}, "BUCKETPORT_AUTH_TOKENS"),
        ({"BUCKETPORT_DRAIN_SECONDS": "-1"}, "BUCKETPORT_DRAIN_SECONDS"),
        ({"BUCKETPORT_STORAGE_URL": "s3://"}, "BUCKETPORT_STORAGE_URL"),
        ({"BUCKETPORT_STORAGE_URL": "gs:///prefix"}, "BUCKETPORT_STORAGE_URL"),
        ({"BUCKETPORT_STORAGE_URL": "file://"}, "BUCKETPORT_STORAGE_URL"),
        ({"BUCKETPORT_PRESIGN_SECRET": "12345"}, "BUCKETPORT_PRESIGN_SECRET"),
        ({"BUCKETPORT_PUBLIC_URL": "files.example.com"}, "BUCKETPORT_PUBLIC_URL"),
        ({"BUCKETPORT_PUBLIC_URL": "https://x.example:99999"}, "BUCKETPORT_PUBLIC_URL"),
        ({"BUCKETPORT_PUBLIC_URL": "https://x.example/?a=b"}, "BUCKETPORT_PUBLIC_URL"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    assert variable in refusal(monkeypatch, env)


def test_serve_refuses_bad_settings_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service", "serve"],
        cwd=REPO,
        env={"BUCKETPORT_MAX_UPLOAD_BYTES": "-5", "BUCKETPORT_AUTH_ENABLED": "false", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bucketport: invalid settings: BUCKETPORT_MAX_UPLOAD_BYTES")


@pytest.mark.parametrize("command", [[], ["serve"], ["smoke"], ["sync"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service", *command, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Usage:" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"BUCKETPORT_AUTH_TOKENS": '[{"token": "abc"}]'},
            "BUCKETPORT_AUTH_TOKENS[0].token: must be at least 16 characters long, not 3",
        ),
        (
            {"BUCKETPORT_PRESIGN_SECRET": "12345"},
            "BUCKETPORT_PRESIGN_SECRET: must be at least 32 characters long, not 5",
        ),
        (
            {"BUCKETPORT_STORAGE_URL": "s3://"},
            "BUCKETPORT_STORAGE_URL: 's3://' names no bucket: use s3://BUCKET[/prefix]",
        ),
    ],
)
def test_messages_say_what_is_wrong_in_words(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    assert refusal(monkeypatch, env) == message


def test_good_public_url_and_secret_pass() -> None:
    settings = Settings(
        auth_enabled=False, public_url="https://files.example.com/files", presign_secret="s" * 32
    )
    assert settings.public_url == "https://files.example.com/files"


def test_unknown_variables_get_the_closest_known_name() -> None:
    warnings = unknown_variables(
        {
            "BUCKETPORT_STORGE_URL": "file:///x",
            "BUCKETPORT_LOG_LEVEL": "INFO",
            "BUCKETPORT_SMOKE_TOKEN": "t",
            "BUCKETPORT_ZZZ": "1",
            "HOME": "/root",
        }
    )
    assert warnings == [
        "BUCKETPORT_STORGE_URL is not a setting and is ignored; "
        "did you mean BUCKETPORT_STORAGE_URL?",
        "BUCKETPORT_ZZZ is not a setting and is ignored",
    ]


def test_serve_refuses_an_unwritable_store_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [sys.executable, "-m", "service", "serve"],
        cwd=REPO,
        env={
            "BUCKETPORT_STORAGE_URL": f"file://{blocker}/store",
            "BUCKETPORT_AUTH_ENABLED": "false",
            "PATH": "",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"bucketport: invalid settings: BUCKETPORT_STORAGE_URL: {blocker}/store is not a "
        "writable directory (Not a directory)"
    ]
