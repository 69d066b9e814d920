"""The chart as Terraform installs it: the values come from evaluating the .tf.

The first stage's `helm_values` alone (modules/chart-values, no values file) must give a working
release on its cloud: credentials, image, way in. The release stage adds what docs/deploy.md has
users pass: first stage (terraform/<cloud>, inputs from its terraform.tfvars.example) ->
`release_inputs` -> release stage (terraform/<cloud>/release, plus its terraform.tfvars.example
and the extra_values of docs/deploy.md) -> modules/bucketport-release -> helm_release `values`
and `set` -> helm template. Attributes known only after apply are given below as a real apply
would.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import CHART, NAMESPACE, ROOT, Manifest, find
from tests.chart.test_chart_safety import EKS_AGENT, GKE_METADATA, identity_egress
from tests.chart.test_cloud_values import assert_gke_serves_https_with_a_long_backend_timeout
from tests.chart.tfeval import Module, read_tfvars

TERRAFORM = ROOT / "terraform"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bucketport"
APPLIED: dict[str, dict[str, Any]] = {
    "aws": {
        "module.eks.cluster_name": "bucketport",
        "aws_ecr_repository.app.repository_url": ECR,
        "aws_s3_bucket.objects.id": "bucketport-objects-123456789012",
    },
    "gcp": {
        "google_container_cluster.this.location": "europe-west1",
        "google_container_cluster.this.name": "bucketport",
        "google_storage_bucket.objects.name": "acme-files-bucketport-objects",
        "data.google_project.this.number": "123456789012",
        "google_artifact_registry_repository.app.repository_id": "bucketport",
        "google_service_account.signer.email": (
            "bucketport-signer@acme-files.iam.gserviceaccount.com"
        ),
    },
}
TOKEN = "t0ken-from-the-docs-0123456789abcdef"


def docs_extra_values(cloud: str, with_auth: bool = True) -> str:
    """The values.auto.tfvars docs/deploy.md has users write for the release stage, for a cloud."""
    doc = (ROOT / "docs" / "deploy.md").read_text()
    start = doc.index("cat > terraform/aws/release/values.auto.tfvars <<EOF\n")
    text = doc[start:].split("\n", 1)[1].split("\nEOF\n", 1)[0].replace("$token", TOKEN)
    if cloud == "gcp":  # as the docs say
        text = text.replace("values-eks.yaml", "values-gke.yaml")
    if not with_auth:
        text = text.replace("auth = {", "global = {")  # global: accepted, unused
    return text


def first_stage(cloud: str) -> Module:
    """terraform/<cloud> with the inputs of its terraform.tfvars.example."""
    inputs = read_tfvars(TERRAFORM / cloud / "terraform.tfvars.example")
    return Module(TERRAFORM / cloud, inputs, APPLIED[cloud])


def release_values(
    cloud: str, with_auth: bool = True
) -> tuple[Path, list[str], list[dict[str, str]], dict[str, Any]]:
    """(chart path, values YAML documents, set entries, release inputs) as Terraform passes them."""
    first = first_stage(cloud)
    release_dir = TERRAFORM / cloud / "release"
    inputs = first.output("release_inputs") | read_tfvars(release_dir / "terraform.tfvars.example")
    tfvars = release_dir / "values.auto.tfvars"
    inputs |= read_tfvars(tfvars, docs_extra_values(cloud, with_auth))
    release = Module(release_dir, inputs, APPLIED[cloud])
    module = release.module("release")
    values = module.resource_attribute("helm_release.this", "values")
    settings = module.resource_attribute("helm_release.this", "set")
    return (release_dir / release.var("chart")).resolve(), values, settings, inputs


def template(helm: str, values: list[str], settings: list[str], tmp_path: Path) -> list[Manifest]:
    """`helm template` of this chart with these values documents and `--set` entries."""
    files = []
    for index, document in enumerate(values):
        files.append(tmp_path / f"values-{index}.yaml")
        files[-1].write_text(document)
    cmd = [helm, "template", "bucketport", str(CHART), f"--namespace={NAMESPACE}"]
    cmd += [f"--values={path}" for path in files]
    cmd += [f"--set={entry}" for entry in settings]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def render_release(
    helm: str, cloud: str, tmp_path: Path, with_auth: bool = True
) -> tuple[list[Manifest], dict[str, Any]]:
    chart, values, settings, inputs = release_values(cloud, with_auth)
    assert chart == CHART.resolve(), "the release stage installs this repository's chart"
    entries = [f"{entry['name']}={entry['value']}" for entry in settings]
    return template(helm, values, entries, tmp_path), inputs


def assert_credentials_image_and_way_in(
    objects: list[Manifest], release: str, cloud: str, image: str, storage_url: str
) -> Manifest:
    """The release gets its cloud's identity egress, the image and bucket Terraform names, and
    its way in (the ALB class on EKS, HTTPS with a long backend timeout on GKE): the Ingress."""
    egress = {"aws": EKS_AGENT, "gcp": GKE_METADATA}[cloud]
    assert identity_egress(objects, release) == egress
    container = find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == image
    assert find(objects, "ConfigMap")["data"]["BUCKETPORT_STORAGE_URL"] == storage_url
    ingress = find(objects, "Ingress")
    if cloud == "aws":
        assert ingress["spec"]["ingressClassName"] == "alb"
    else:
        assert_gke_serves_https_with_a_long_backend_timeout(objects)
    return ingress


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_helm_values_alone_give_credentials_image_and_way_in(
    helm: str, cloud: str, tmp_path: Path
) -> None:
    first = first_stage(cloud)
    values = first.output("helm_values")
    # The tokens are the one thing Terraform does not hold: a Secret of the user's own.
    objects = template(helm, [values], ["auth.existingSecret=bucketport-auth"], tmp_path)
    inputs = first.output("release_inputs")
    image = f"{inputs['image_repository']}:{first.var('image_tag')}"
    ingress = assert_credentials_image_and_way_in(
        objects, "bucketport", cloud, image, inputs["storage_url"]
    )
    if cloud == "aws":
        assert first.var("ingress_class_name") == "alb"
        assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/target-type"] == "ip"
    else:
        hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
        assert hosts == first.var("ingress_hosts") != []


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_terraform_release_gets_credentials_image_and_way_in(
    helm: str, cloud: str, tmp_path: Path
) -> None:
    objects, inputs = render_release(helm, cloud, tmp_path)
    image = f"{inputs['image_repository']}:{inputs['image_tag']}"
    release = inputs.get("release_name", "bucketport")
    assert_credentials_image_and_way_in(objects, release, cloud, image, inputs["storage_url"])
    service_account = find(objects, "ServiceAccount")["metadata"]["name"]
    assert service_account == inputs["service_account_name"]
    if cloud == "aws":
        assert inputs["image_repository"] == ECR


def test_release_without_tokens_fails_at_once_naming_the_value(helm: str, tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        render_release(helm, "aws", tmp_path, with_auth=False)
    assert "auth.tokens is empty" in failure.value.stderr
