"""The resources and settings issue 6 names are present, with the values it asks for."""

from __future__ import annotations

from typing import Any

import pytest

from tests.terraform.tfconfig import TERRAFORM, Config, expression, load, unquote


@pytest.fixture(scope="module")
def aws() -> Config:
    return load(TERRAFORM / "aws")


@pytest.fixture(scope="module")
def gcp() -> Config:
    return load(TERRAFORM / "gcp")


def one(config: Config, type_: str) -> dict[str, Any]:
    bodies = config.resources_of(type_)
    assert len(bodies) == 1, f"{config.name}: expected one {type_}, found {len(bodies)}"
    return bodies[0]


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    blocks = body[name]
    assert isinstance(blocks, list), f"{name} is not a block"
    assert len(blocks) == 1, name
    found: dict[str, Any] = blocks[0]
    return found


def module_version(config: Config, name: str) -> str:
    return str(unquote(config.modules[name]["version"]))


# --- AWS ------------------------------------------------------------------------------


def test_aws_modules_and_eks_v21_arguments(aws: Config) -> None:
    assert unquote(aws.modules["vpc"]["source"]) == "terraform-aws-modules/vpc/aws"
    assert module_version(aws, "vpc") == "6.6.0"
    eks = aws.modules["eks"]
    assert unquote(eks["source"]) == "terraform-aws-modules/eks/aws"
    assert module_version(aws, "eks") == "21.19.0"
    # v21 names (v20's cluster_name/cluster_version/cluster_addons are gone).
    for argument in (
        "name",
        "kubernetes_version",
        "endpoint_public_access",
        "compute_config",
        "access_entries",
        "addons",
        "eks_managed_node_groups",
    ):
        assert argument in eks, argument
    for old in (
        "cluster_name",
        "cluster_version",
        "cluster_addons",
        "cluster_endpoint_public_access",
        "cluster_compute_config",
    ):
        assert old not in eks, old
    assert "var.auto_mode ?" in (expression(eks["compute_config"]) or "")
    assert "eks-pod-identity-agent" in aws.locals["node_group_addons"]
    assert "!var.auto_mode" in (expression(eks["addons"]) or "")


def test_aws_bucket_hardening(aws: Config) -> None:
    pab = one(aws, "aws_s3_bucket_public_access_block")
    for flag in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert pab[flag] is True, flag
    ownership = block(one(aws, "aws_s3_bucket_ownership_controls"), "rule")
    assert unquote(ownership["object_ownership"]) == "BucketOwnerEnforced"
    versioning = block(one(aws, "aws_s3_bucket_versioning"), "versioning_configuration")
    assert unquote(versioning["status"]) == "Enabled"
    sse = block(
        block(one(aws, "aws_s3_bucket_server_side_encryption_configuration"), "rule"),
        "apply_server_side_encryption_by_default",
    )
    assert "var.kms_key_arn" in (expression(sse["kms_master_key_id"]) or "")
    rules = one(aws, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert any("abort_incomplete_multipart_upload" in r for r in rules)
    policy = aws.data[("aws_iam_policy_document", "bucket")]["statement"]
    tls = [
        s
        for s in policy
        if any(unquote(c["variable"]) == "aws:SecureTransport" for c in s["condition"])
    ]
    assert tls
    assert unquote(tls[0]["effect"]) == "Deny"
    assert "aws_s3_bucket_policy" in {t for t, _ in aws.resources}


def test_aws_registry(aws: Config) -> None:
    repo = one(aws, "aws_ecr_repository")
    assert unquote(repo["image_tag_mutability"]) == "IMMUTABLE"
    assert block(repo, "image_scanning_configuration")["scan_on_push"] is True
    assert "aws_ecr_lifecycle_policy" in {t for t, _ in aws.resources}


def _trust(module: Config, sid: str) -> dict[str, Any]:
    """The content of the dynamic trust statement with that sid."""
    found: dict[str, Any]
    (found,) = [
        content
        for dynamic in module.data[("aws_iam_policy_document", "assume")]["dynamic"]
        for content in dynamic['"statement"']["content"]
        if unquote(content["sid"]) == sid
    ]
    return found


def test_aws_pod_identity_module() -> None:
    module = load(TERRAFORM / "modules" / "aws-pod-identity")
    trust = _trust(module, "EksPodIdentity")
    assert {unquote(a) for a in trust["actions"]} == {"sts:AssumeRole", "sts:TagSession"}
    principals = block(trust, "principals")
    assert [unquote(i) for i in principals["identifiers"]] == ["pods.eks.amazonaws.com"]
    tags = {unquote(c["variable"]): c["values"] for c in trust["condition"]}
    assert tags["aws:SourceAccount"] == ["${data.aws_caller_identity.current.account_id}"]
    # Keyed on the cluster ARN (account, region, name), never on a name alone.
    assert tags["aws:RequestTag/eks-cluster-arn"] == ["${var.cluster_arn}"]
    assert "aws:RequestTag/eks-cluster-name" not in tags
    assert tags["aws:RequestTag/kubernetes-namespace"] == ["${var.namespace}"]
    assert tags["aws:RequestTag/kubernetes-service-account"] == ["${var.service_account}"]
    irsa = _trust(module, "IrsaServiceAccount")
    conditions = {unquote(c["variable"]): c["values"] for c in irsa["condition"]}
    assert conditions["${var.oidc_provider}:sub"] == [
        '"system:serviceaccount:${var.namespace}:${var.service_account}"'
    ]
    assert conditions["${var.oidc_provider}:aud"] == ['"sts.amazonaws.com"']
    association = one(module, "aws_eks_pod_identity_association")
    assert expression(association["namespace"]) == "var.namespace"
    assert expression(association["service_account"]) == "var.service_account"
    resources = {
        unquote(r)
        for s in module.data[("aws_iam_policy_document", "bucket")]["statement"]
        for r in s.get("resources", [])
    }
    assert resources == {"${var.bucket_arn}", "${var.bucket_arn}/*"}


def test_aws_pod_identity_shares_namespace_and_service_account(aws: Config) -> None:
    call = aws.modules["pod_identity"]
    assert expression(call["namespace"]) == "var.namespace"
    assert expression(call["service_account"]) == "var.service_account_name"
    assert unquote(aws.variables["namespace"]["default"]) == "bucketport"
    assert unquote(aws.variables["service_account_name"]["default"]) == "bucketport"


def test_aws_github_oidc_is_scoped_to_the_repository(aws: Config) -> None:
    provider = one(aws, "aws_iam_openid_connect_provider")
    assert [unquote(c) for c in provider["client_id_list"]] == ["sts.amazonaws.com"]
    trust = block(aws.data[("aws_iam_policy_document", "github_assume")], "statement")
    conditions = {unquote(c["variable"]): c for c in trust["condition"]}
    sub = conditions["${local.github_oidc_url}:sub"]
    assert expression(sub["values"]) == "local.github_subjects"
    assert (
        "repo:${var.github_repository}${local.github_ids}:ref:${ref}"
        in aws.locals["github_subjects"]
    )
    ids = expression(aws.locals["github_ids"]) or ""
    assert ":repository_owner_id:${var.github_repository_owner_id}" in ids
    assert ":repository_id:${var.github_repository_id}" in ids
    assert conditions["${local.github_oidc_url}:aud"]["values"] == ['"sts.amazonaws.com"']


# --- GCP ------------------------------------------------------------------------------


def test_gcp_network_with_secondary_ranges(gcp: Config) -> None:
    vpc = gcp.modules["vpc"]
    assert unquote(vpc["source"]) == "terraform-google-modules/network/google"
    ranges = next(iter(vpc["secondary_ranges"].values()))
    assert {unquote(r["range_name"]) for r in ranges} == {"pods", "services"}
    cluster = one(gcp, "google_container_cluster")
    policy = block(cluster, "ip_allocation_policy")
    assert unquote(policy["cluster_secondary_range_name"]) == "pods"
    assert unquote(policy["services_secondary_range_name"]) == "services"


def test_gcp_cluster(gcp: Config) -> None:
    cluster = one(gcp, "google_container_cluster")
    assert expression(cluster["enable_autopilot"]) == "var.autopilot ? true : null"
    assert expression(cluster["deletion_protection"]) == "var.deletion_protection"
    assert gcp.variables["deletion_protection"]["default"] is True
    pool = block(cluster, "workload_identity_config")["workload_pool"]
    assert unquote(pool) == "${var.project_id}.svc.id.goog"
    assert block(cluster, "private_cluster_config")["enable_private_nodes"] is True
    node_pool = one(gcp, "google_container_node_pool")
    assert expression(node_pool["count"]) == "var.autopilot ? 0 : 1"


def test_gcp_bucket(gcp: Config) -> None:
    bucket = one(gcp, "google_storage_bucket")
    assert bucket["uniform_bucket_level_access"] is True
    assert unquote(bucket["public_access_prevention"]) == "enforced"
    assert block(bucket, "versioning")["enabled"] is True
    assert "retention_duration_seconds" in block(bucket, "soft_delete_policy")


def test_gcp_registry_and_apis(gcp: Config) -> None:
    repo = one(gcp, "google_artifact_registry_repository")
    assert unquote(repo["format"]) == "DOCKER"
    assert block(repo, "docker_config")["immutable_tags"] is True
    apis = gcp.locals["apis"]
    for api in ("container", "artifactregistry", "iam", "iamcredentials", "sts", "storage"):
        assert f'"{api}.googleapis.com"' in apis, api
    services = one(gcp, "google_project_service")
    assert expression(services["for_each"]) == "local.apis"
    assert services["disable_on_destroy"] is False


def test_gcs_workload_identity_module() -> None:
    module = load(TERRAFORM / "modules" / "gcs-workload-identity")
    assert unquote(module.locals["principal"]) == (
        "principal://iam.googleapis.com/projects/${var.project_number}/locations/global/"
        "workloadIdentityPools/${var.project_id}.svc.id.goog/subject/ns/${var.namespace}"
        "/sa/${var.service_account}"
    )
    workload = module.resources[("google_storage_bucket_iam_member", "workload")]
    assert expression(workload["member"]) == "local.principal"
    assert expression(workload["role"]) == "google_project_iam_custom_role.objects.name"
    signer = one(module, "google_service_account_iam_member")
    # Only signBlob on the signer: a custom role, not roles/iam.serviceAccountTokenCreator.
    assert expression(signer["role"]) == "google_project_iam_custom_role.sign_blob.name"
    assert expression(signer["member"]) == "local.principal"
    sign_blob = module.resources[("google_project_iam_custom_role", "sign_blob")]
    assert [unquote(p) for p in sign_blob["permissions"]] == ["iam.serviceAccounts.signBlob"]
    assert "google_service_account" in {t for t, _ in module.resources}


def test_gcp_github_federation_is_scoped_to_the_repository(gcp: Config) -> None:
    provider = one(gcp, "google_iam_workload_identity_pool_provider")
    assert expression(provider["attribute_condition"]) == "local.github_condition"
    condition = expression(gcp.locals["github_condition"]) or ""
    assert "\"assertion.repository == '${var.github_repository}'\"" in condition
    assert "local.github_id_conditions" in condition
    ids = expression(gcp.locals["github_id_conditions"]) or ""
    assert "assertion.repository_id == '${var.github_repository_id}'" in ids
    assert "assertion.repository_owner_id == '${var.github_repository_owner_id}'" in ids
    assert (
        unquote(block(provider, "oidc")["issuer_uri"])
        == "https://token.actions.githubusercontent.com"
    )
    assert "attribute.repository/${var.github_repository}" in unquote(
        gcp.locals["github_principal_set"]
    )


# --- second stage ---------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_release_roots_use_helm_provider_v3_syntax(cloud: str) -> None:
    release = load(TERRAFORM / cloud / "release")
    helm = release.providers["helm"]
    kubernetes = helm["kubernetes"]
    # v3: `kubernetes = { ... }` is an attribute; a v2 block would carry __is_block__.
    assert isinstance(kubernetes, dict)
    assert "__is_block__" not in kubernetes
    assert "exec" not in kubernetes or "__is_block__" not in kubernetes["exec"]
    assert "helm_release" not in {t for t, _ in release.resources}, "the module owns the release"
    assert unquote(release.modules["release"]["source"]) == "../../modules/bucketport-release"
    # Never the cluster and its release in one root.
    clusters = ("aws_eks_cluster", "google_container_cluster")
    assert not {t for t, _ in release.resources if t.startswith(clusters)}


def test_release_module_passes_set_as_a_list() -> None:
    module = load(TERRAFORM / "modules" / "bucketport-release")
    release = one(module, "helm_release")
    # v3: `set = [ ... ]` is a list attribute (an expression here), not repeated blocks.
    assert expression(release["set"]), "set must be a list attribute"
    assert "module.values.yaml" in (expression(release["values"]) or "")


def test_chart_values_carry_what_the_chart_reads() -> None:
    module = load(TERRAFORM / "modules" / "chart-values")
    base = module.locals["base"]
    assert set(base) == {"serviceAccount", "image", "config"}
    assert set(base["serviceAccount"]) == {"name", "annotations"}
    assert expression(base["image"]["repository"]) == "var.image_repository"
    assert expression(base["image"]["tag"]) == "var.image_tag"
    assert "default" not in module.variables["image_tag"], "image_tag is a required input"
    config = expression(module.locals["config"]) or ""
    for key in ("storageUrl", "s3Region", "gcsSignerEmail"):
        assert key in config
    # Optional sections (present only when their input is set), merged into the values.
    for section, keys in (("ingress", ("enabled", "className")), ("autoscaling", ("enabled",))):
        text = expression(module.locals[section]) or ""
        assert all(f"{k} =" in text for k in keys), (section, text)
        assert f"local.{section}" in (expression(module.locals["values"]) or "")


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_first_stage_outputs_feed_the_second(cloud: str) -> None:
    first = load(TERRAFORM / cloud)
    release = load(TERRAFORM / cloud / "release")
    assert "helm_values" in first.outputs
    inputs = set(first.outputs["release_inputs"]["value"])
    assert inputs <= set(release.variables), inputs - set(release.variables)
    required = {v for v, spec in release.variables.items() if "default" not in spec}
    # The image tag is chosen per deploy (the tag CI pushed), not by the first stage.
    assert "image_tag" in required
    assert required - {"image_tag"} <= inputs, f"release needs {required - inputs}"
