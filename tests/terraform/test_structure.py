"""Every Terraform directory is complete, typed, described, pinned and self-consistent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.terraform import readme
from tests.terraform.tfconfig import (
    TERRAFORM,
    Config,
    directories,
    expression,
    expression_texts,
    load,
    roots,
    unquote,
)

DIRS = directories()
ROOTS = roots()
MODULE_META_ARGS = {"source", "version", "providers", "depends_on", "count", "for_each"}


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(TERRAFORM).as_posix() for p in paths]


@pytest.fixture(params=DIRS, ids=_ids(DIRS))
def config(request: pytest.FixtureRequest) -> Config:
    path: Path = request.param
    return load(path)


@pytest.fixture(params=ROOTS, ids=_ids(ROOTS))
def root(request: pytest.FixtureRequest) -> Config:
    path: Path = request.param
    return load(path)


def test_the_layout_the_issue_asks_for() -> None:
    assert _ids(ROOTS) == ["aws", "aws/release", "gcp", "gcp/release"]
    assert {"modules/aws-pod-identity", "modules/gcs-workload-identity"} <= set(_ids(DIRS))


def test_standard_files(config: Config) -> None:
    for name in ("versions.tf", "variables.tf", "outputs.tf", "README.md"):
        assert (config.path / name).is_file(), f"{config.name} lacks {name}"


def test_roots_have_an_example_and_mock_provider_tests(root: Config) -> None:
    assert (root.path / "terraform.tfvars.example").is_file()
    assert list(root.path.glob("tests/*.tftest.hcl")), f"{root.name} has no terraform test"


def test_variables_are_typed_and_described(config: Config) -> None:
    for name, body in config.variables.items():
        assert "type" in body, f"{config.name}: variable {name} has no type"
        assert unquote(body.get("description", "")).strip(), f"{config.name}: {name} undescribed"


def test_required_root_inputs_are_validated(root: Config) -> None:
    for name, body in root.variables.items():
        if "default" not in body:
            assert body.get("validation"), f"{root.name}: required input {name} is not validated"


def test_outputs_are_described(config: Config) -> None:
    assert config.outputs, f"{config.name} has no outputs"
    for name, body in config.outputs.items():
        assert unquote(body.get("description", "")).strip(), f"{config.name}: {name} undescribed"


def test_module_sources_are_pinned(config: Config) -> None:
    for name, body in config.modules.items():
        source = unquote(body["source"])
        if source.startswith(("./", "../")):
            assert (config.path / source).is_dir(), f"{config.name}: {name} -> missing {source}"
            continue
        if "git::" in source or source.startswith(("github.com/", "git@")):
            assert "?ref=" in source, f"{config.name}: git module {name} is not pinned"
            continue
        version = unquote(body.get("version", ""))
        assert re.fullmatch(r"(~> |= )?\d+\.\d+(\.\d+)?", version), (
            f"{config.name}: registry module {name} has no pinned version ({version!r})"
        )


def test_required_version_and_provider_constraints(config: Config) -> None:
    assert any("required_version" in block for block in config.terraform), config.name
    required = {
        name: spec
        for block in config.terraform
        for providers in block.get("required_providers", [])
        for name, spec in providers.items()
        if not name.startswith("__")
    }
    used = {t.split("_", 1)[0] for t, _ in [*config.resources, *config.data]} | set(
        config.providers
    )
    for provider in used:
        assert provider in required, f"{config.name}: provider {provider} is not constrained"
        assert unquote(required[provider]["version"]), f"{config.name}: {provider} unpinned"


def test_references_resolve(config: Config) -> None:
    refs = config.refs
    assert refs.variables <= set(config.variables), refs.variables - set(config.variables)
    assert refs.locals <= set(config.locals), refs.locals - set(config.locals)
    assert {m for m, _ in refs.modules} <= set(config.modules)
    assert refs.data <= set(config.data), refs.data - set(config.data)
    assert refs.resources <= set(config.resources), refs.resources - set(config.resources)
    for module, output in refs.modules:
        child = config.local_module(module)
        if child is not None and output is not None:
            assert output in child.outputs, f"{config.name}: module.{module}.{output} undeclared"


def test_local_module_calls_match_their_variables(config: Config) -> None:
    for name, body in config.modules.items():
        child = config.local_module(name)
        if child is None:
            continue
        given = {k for k in body if not k.startswith("__")} - MODULE_META_ARGS
        assert given <= set(child.variables), (
            f"{config.name}: {name} gets {given - set(child.variables)}"
        )
        required = {v for v, spec in child.variables.items() if "default" not in spec}
        assert required <= given, f"{config.name}: {name} lacks {required - given}"


def _tftest(path: Path) -> dict[str, Any]:
    tree: dict[str, Any] = hcl2.loads(path.read_text())
    return tree


@pytest.mark.parametrize(
    "path",
    sorted(TERRAFORM.rglob("*.tftest.hcl")),
    ids=lambda p: p.relative_to(TERRAFORM).as_posix(),
)
def test_tftest_files_match_their_root(path: Path) -> None:
    config = load(path.parent.parent)
    tree = _tftest(path)
    mocked = {unquote(name) for block in tree.get("mock_provider", []) for name in block}
    used = {t.split("_", 1)[0] for t, _ in [*config.resources, *config.data]}
    assert used <= mocked, f"{path.name}: providers not mocked: {used - mocked}"
    declared = set(config.variables)
    for block in [
        *tree.get("variables", []),
        *[
            v
            for run in tree.get("run", [])
            for body in run.values()
            for v in body.get("variables", [])
        ],
    ]:
        assert {k for k in block if not k.startswith("__")} <= declared
    for override in tree.get("override_module", []):
        target = expression(override["target"]) or ""
        assert target.removeprefix("module.") in config.modules, target
    for text in expression_texts(tree.get("run", [])):
        for ref in re.findall(r"(?<![\w.\-])((?:aws|google|helm)_[a-z0-9_]+)\.(\w+)", text):
            assert ref in config.resources, f"{path.name}: {ref} is not in {config.name}"


def test_no_static_credentials_anywhere(config: Config) -> None:
    forbidden = {"aws_iam_access_key", "aws_iam_user", "google_service_account_key"}
    assert not forbidden & {t for t, _ in config.resources}
    for body in config.providers.values():
        assert not {"access_key", "secret_key", "credentials", "token"} & set(body)


def test_readme_tables_are_current(config: Config) -> None:
    assert not readme.stale(config.path), (
        f"{config.name}/README.md is stale: run `make terraform-docs`"
    )


def test_readme_check_notices_a_stale_table() -> None:
    config = load(TERRAFORM / "modules" / "chart-values")
    current = (config.path / "README.md").read_text()
    stale = current.replace("| storage_url |", "| storage_uri |")
    assert stale != current
    assert readme.render(stale, config) == current


def test_backend_examples_are_commented_out() -> None:
    aws = (TERRAFORM / "aws" / "versions.tf").read_text()
    gcp = (TERRAFORM / "gcp" / "versions.tf").read_text()
    assert re.search(r'^\s*# backend "s3"', aws, re.M)
    assert "use_lockfile = true" in aws
    assert re.search(r'^\s*# backend "gcs"', gcp, re.M)
    for config in map(load, ROOTS):
        assert all("backend" not in block for block in config.terraform), config.name


def test_ci_commands_cover_every_directory() -> None:
    """terraform/README.md lists the directories GitHub Actions validates and tests."""
    text = (TERRAFORM / "README.md").read_text()
    loop = text[text.index("for dir in") : text.index("done")]
    listed = set(re.findall(r"[a-z][\w/-]*[a-z]", loop.split(";")[0].removeprefix("for dir in")))
    assert listed == set(_ids(DIRS))


# `[...]` is a tuple, and Terraform's == is false between a list and a tuple with the same
# elements (hashicorp/terraform#25798, #32258): `keys(m) == ["a"]` never holds, so an assert
# written that way fails however right the code is, and a validation that way never passes.
_LIST_LITERAL_EQUALITY = re.compile(r"(?:==|!=)\s*\[")


@pytest.mark.parametrize(
    "path",
    sorted([*TERRAFORM.rglob("*.tf"), *TERRAFORM.rglob("*.tftest.hcl")]),
    ids=lambda p: p.relative_to(TERRAFORM).as_posix(),
)
def test_no_equality_with_a_list_literal(path: Path) -> None:
    code = [(n, line.split("#", 1)[0]) for n, line in enumerate(path.read_text().splitlines(), 1)]
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in code
        if _LIST_LITERAL_EQUALITY.search(line)
    ]
    assert not found, "compare lists with join(), length() or contains(), not ==:\n" + "\n".join(
        found
    )
