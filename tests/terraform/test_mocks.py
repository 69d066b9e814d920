"""Every `terraform test` runs on mock providers that can answer it (issue 10, item 13).

terraform test configures every provider a root or its modules require, overridden modules
included; a provider that needs credentials and has no mock_provider fails the run in CI.
And the AWS provider re-validates policy JSON at plan, so aws_iam_policy_document must be
mocked with a real policy document wherever one is evaluated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.terraform.tfconfig import TERRAFORM, Config, expression, load, unquote

# Providers that cannot be configured without cloud credentials or a cluster.
CREDENTIALED = {"aws", "google", "google-beta", "helm", "kubernetes"}

# Providers the registry modules require, read from their versions.tf at the pinned releases
# (terraform-aws-modules/vpc 6.6.0: aws; terraform-aws-modules/eks 21.19.0: aws, tls, time;
# terraform-google-modules/network 12.0.0: google, google-beta).
REGISTRY_MODULE_PROVIDERS = {
    "terraform-aws-modules/vpc/aws": {"aws"},
    "terraform-aws-modules/eks/aws": {"aws", "tls", "time"},
    "terraform-google-modules/network/google": {"google", "google-beta"},
}

TESTS = sorted(TERRAFORM.rglob("*.tftest.hcl"))


def _required_providers(config: Config) -> set[str]:
    found = {t.split("_", 1)[0] for t, _ in [*config.resources, *config.data]}
    for body in [*config.resources.values(), *config.data.values()]:
        if "provider" in body:
            ref = expression(body["provider"]) or unquote(body["provider"])
            found.add(ref.split(".")[0])
    for block in config.terraform:
        for providers in block.get("required_providers", []):
            found |= {name for name in providers if not name.startswith("__")}
    for name, module in config.modules.items():
        child = config.local_module(name)
        if child is not None:
            found |= _required_providers(child)
            continue
        source = unquote(module["source"])
        assert source in REGISTRY_MODULE_PROVIDERS, f"add {source} to REGISTRY_MODULE_PROVIDERS"
        found |= REGISTRY_MODULE_PROVIDERS[source]
    return found


def _evaluates_policy_documents(config: Config) -> bool:
    if "aws_iam_policy_document" in {t for t, _ in config.data}:
        return True
    children = (config.local_module(name) for name in config.modules)
    return any(child is not None and _evaluates_policy_documents(child) for child in children)


def _mocks(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        unquote(name): body
        for block in tree.get("mock_provider", [])
        for name, body in block.items()
    }


@pytest.mark.parametrize("path", TESTS, ids=lambda p: p.relative_to(TERRAFORM).as_posix())
def test_every_credentialed_provider_is_mocked(path: Path) -> None:
    config = load(path.parent.parent)
    mocked = set(_mocks(hcl2.loads(path.read_text())))
    needed = _required_providers(config) & CREDENTIALED
    assert needed <= mocked, f"{path.name} needs mock_provider for {sorted(needed - mocked)}"


@pytest.mark.parametrize("path", TESTS, ids=lambda p: p.relative_to(TERRAFORM).as_posix())
def test_policy_documents_are_mocked_with_valid_json(path: Path) -> None:
    config = load(path.parent.parent)
    if not _evaluates_policy_documents(config):
        return
    aws = _mocks(hcl2.loads(path.read_text())).get("aws")
    assert aws is not None, f'{path.name}: no mock_provider "aws"'
    documents = [
        body
        for block in aws.get("mock_data", [])
        for name, body in block.items()
        if unquote(name) == "aws_iam_policy_document"
    ]
    assert documents, f"{path.name}: mock aws_iam_policy_document with a policy JSON"
    policy = json.loads(unquote(documents[0]["defaults"]["json"]))
    assert policy["Version"] == "2012-10-17"
    assert isinstance(policy["Statement"], list)


def test_the_gcp_network_module_needs_google_beta() -> None:
    assert "google-beta" in _required_providers(load(TERRAFORM / "gcp"))
