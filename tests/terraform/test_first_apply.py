"""What a first apply needs that no plan shows (issue 10, item 14): on a fresh GCP project every
resource waits for the APIs it calls; CMEK keys are usable by the service agents before the
bucket and the registry are made; the GitHub deploy role on EKS can run the release stage
without the right to create namespaces, and is not an admin.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.terraform.tfconfig import (
    TERRAFORM,
    Config,
    Refs,
    expression,
    expression_texts,
    load,
    unquote,
)

API_ENABLEMENT = ("google_project_service", "this")


@pytest.fixture(scope="module")
def gcp() -> Config:
    return load(TERRAFORM / "gcp")


Node = tuple[str, ...]


def _references(body: dict[str, Any]) -> set[Node]:
    refs = Refs()
    for text in expression_texts(body):
        refs.add(text)
    found: set[Node] = {("resource", t, n) for t, n in refs.resources}
    found |= {("data", t, n) for t, n in refs.data}
    found |= {("module", m) for m, _ in refs.modules}
    return found


def _nodes(config: Config) -> dict[Node, set[Node]]:
    nodes: dict[Node, set[Node]] = {}
    for (type_, name), body in config.resources.items():
        nodes[("resource", type_, name)] = _references(body)
    for (type_, name), body in config.data.items():
        nodes[("data", type_, name)] = _references(body)
    for name, body in config.modules.items():
        nodes[("module", name)] = _references(body)
    return nodes


def _after_api_enablement(config: Config) -> set[Node]:
    """Nodes that wait for google_project_service.this, directly or through what they use."""
    nodes = _nodes(config)
    enablement = ("resource", *API_ENABLEMENT)
    after = {node for node, refs in nodes.items() if enablement in refs}
    changed = True
    while changed:
        changed = False
        for node, refs in nodes.items():
            if node not in after and refs & after:
                after.add(node)
                changed = True
    return after


def test_every_gcp_resource_waits_for_the_apis(gcp: Config) -> None:
    nodes = _nodes(gcp)
    waiting = _after_api_enablement(gcp)
    missing = sorted(
        ".".join(node[1:]) for node in nodes if node not in waiting and node[1:] != API_ENABLEMENT
    )
    assert not missing, f"these do not wait for the API enablement: {missing}"


def test_the_apis_the_resources_call_are_enabled(gcp: Config) -> None:
    apis = set(re.findall(r'"([a-z]+\.googleapis\.com)"', str(gcp.locals["apis"])))
    used = {t for t, _ in gcp.resources}
    needs = {
        "google_artifact_registry": "artifactregistry.googleapis.com",
        "google_container": "container.googleapis.com",
        "google_compute": "compute.googleapis.com",
        "google_iam_workload_identity_pool": "iam.googleapis.com",
        "google_service_account": "iam.googleapis.com",
        "google_project_iam_custom_role": "iam.googleapis.com",
        "google_storage": "storage.googleapis.com",
    }
    for prefix, api in needs.items():
        if any(t.startswith(prefix) for t in used):
            assert api in apis, f"{prefix}* needs {api}"


def test_cmek_keys_are_granted_to_the_service_agents_first(gcp: Config) -> None:
    grants = gcp.resources[("google_kms_crypto_key_iam_member", "service_agents")]
    assert expression(grants["crypto_key_id"]) == "var.kms_key_name"
    assert unquote(grants["role"]) == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    agents = expression(gcp.locals["cmek"]) or ""
    assert '"storage"' in agents
    assert '"artifactregistry"' in agents
    for type_ in ("google_storage_bucket", "google_artifact_registry_repository"):
        (body,) = [b for (t, _), b in gcp.resources.items() if t == type_]
        assert "var.kms_key_name" in str(body)
        depends = expression(body["depends_on"]) or str(body["depends_on"])
        assert "google_kms_crypto_key_iam_member.service_agents" in depends, type_


def test_eks_namespace_is_made_by_the_release_stage_not_by_helm() -> None:
    release = load(TERRAFORM / "aws" / "release")
    assert ("kubernetes_namespace_v1", "this") in release.resources
    call = release.modules["release"]
    assert call["create_namespace"] is False
    assert expression(call["namespace"]) == "kubernetes_namespace_v1.this.metadata[0].name"


def test_github_deploy_role_edits_one_namespace_and_reads_the_stage_objects() -> None:
    aws = load(TERRAFORM / "aws")
    entry = aws.locals["github_access_entry"]["github-deploy"]
    (association,) = entry["policy_associations"].values()
    assert unquote(association["policy_arn"]).endswith("/AmazonEKSEditPolicy")
    assert unquote(association["access_scope"]["type"]) == "namespace"
    assert "local.github_deployer_group" in str(entry["kubernetes_groups"])
    release = load(TERRAFORM / "aws" / "release")
    role = release.resources[("kubernetes_cluster_role_v1", "deployer_read")]
    rules = [*role.get("rule", []), *[d['"rule"']["content"][0] for d in role.get("dynamic", [])]]
    for rule in rules:
        assert [unquote(v) for v in rule["verbs"]] == ["get"], rule
        assert rule["resource_names"], rule
