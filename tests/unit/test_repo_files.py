"""The files a fork expects beside the code: LICENSE, .editorconfig, .env.example, pre-commit."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import editorconfig
import yaml

from deploy import settings_docs
from tests.fixtures.service import REPO, repo_files

# sha256 of https://www.apache.org/licenses/LICENSE-2.0.txt (Debian ships the same bytes as
# /usr/share/common-licenses/Apache-2.0)
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def tracked_text_files() -> dict[Path, str]:
    texts = {}
    for path in repo_files():
        try:
            texts[path] = path.read_bytes().decode()
        except UnicodeDecodeError:
            continue  # images and other binaries
    return texts


def test_license_is_the_declared_apache_2_0() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"
    digest = hashlib.sha256((REPO / "LICENSE").read_bytes()).hexdigest()
    assert digest == APACHE_2_0_SHA256, "LICENSE is not the full Apache-2.0 text"


def test_every_text_file_follows_editorconfig() -> None:
    broken = []
    for path, text in tracked_text_files().items():
        rules = editorconfig.get_properties(str(path))
        lines = text.split("\n")
        name = str(path.relative_to(REPO))
        if rules.get("insert_final_newline") == "true" and text and not text.endswith("\n"):
            broken.append(f"{name}: no final newline")
        if rules.get("end_of_line") == "lf" and "\r" in text:
            broken.append(f"{name}: CR line ends")
        if rules.get("trim_trailing_whitespace") == "true":
            broken += [f"{name}:{n}: trailing space" for n, line in enumerate(lines, 1)
                       if line != line.rstrip()]  # fmt: skip
        if rules.get("indent_style") == "space":
            broken += [f"{name}:{n}: tab indent" for n, line in enumerate(lines, 1)
                       if line.startswith("\t")]  # fmt: skip
    assert broken == []


def test_env_example_lists_every_setting_as_generated() -> None:
    assert (REPO / ".env.example").read_text() == settings_docs.render_env_example(), (
        "the settings changed: run `make settings-docs`"
    )


def test_pre_commit_runs_the_project_tools_without_github() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    wanted = {"ruff-check", "ruff-format", "mypy", "yamllint", "zizmor", "actionlint"}
    wanted |= {"check-github-workflows", "check-dependabot", "uv-lock", "shellcheck-run-steps"}
    assert wanted <= hooks.keys()
    assert "--persona pedantic" in hooks["zizmor"]["entry"]
    assert "--offline" in hooks["zizmor"]["entry"]
    for hook in hooks.values():
        assert hook["language"] == "system", hook["id"]
        program = hook["entry"].split()[0]
        # the tools `make install` (.venv) and `make lint-tools` (.tools) put into the repo
        assert program == "uv" or program.startswith((".venv/bin/", ".tools/")), hook["id"]
