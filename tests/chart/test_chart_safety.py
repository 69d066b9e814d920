"""Installs that must work the first time, or fail at once with one line naming the value.

Cloud credentials reachable from the store URL alone, byte-identical renders, no token the values
do not hold, unsafe combinations refused, and the chart usable as a dependency.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import (
    AUTH,
    CHART,
    FULLNAME,
    NAMESPACE,
    RELEASE,
    VALUE_SETS,
    Manifest,
    Render,
    find,
    helm_args,
    kinds,
)

EKS_AGENT = {"169.254.170.23/32": 80, "fd00:ec2::23/128": 80}
GKE_METADATA = {"169.254.169.254/32": 80, "169.254.169.252/32": 988}


def identity_egress(objects: list[Manifest], name: str = FULLNAME) -> dict[str, int]:
    """cidr -> port of every egress rule that names an ipBlock in the server pods' policy."""
    opened: dict[str, int] = {}
    for rule in find(objects, "NetworkPolicy", name)["spec"]["egress"]:
        for peer in rule.get("to", []):
            if "ipBlock" in peer:
                assert len(rule["ports"]) == 1
                opened[peer["ipBlock"]["cidr"]] = rule["ports"][0]["port"]
    return opened


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://bucket/objects", EKS_AGENT),
        ("gs://bucket/objects", GKE_METADATA),
        ("file:///data", {}),
    ],
)
def test_the_store_url_alone_opens_its_clouds_credential_endpoint(
    render: Render, url: str, expected: dict[str, int]
) -> None:
    objects = render(settings={"config.storageUrl": url})
    assert identity_egress(objects) == expected
    for rule in find(objects, "NetworkPolicy", FULLNAME)["spec"]["egress"]:
        assert all(port["protocol"] == "TCP" for port in rule["ports"] if port["port"] != 53)


def test_identity_egress_can_be_chosen_widened_or_turned_off(render: Render) -> None:
    s3 = {"config.storageUrl": "s3://bucket/objects"}
    assert identity_egress(render(settings=s3 | {"networkPolicy.identityEgress": "none"})) == {}
    assert identity_egress(render(settings=s3 | {"networkPolicy.identityEgress": "gke"})) == (
        GKE_METADATA
    )
    # a file:// store (or MinIO through s3EndpointUrl) on EKS still may want the agent
    local = render(settings={"networkPolicy.identityEgress": "eks"})
    assert identity_egress(local) == EKS_AGENT
    wider = {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [{"port": 80}]}
    widened = render(settings=s3 | {"networkPolicy.extraEgress": [wider]})
    assert identity_egress(widened) == EKS_AGENT | {"169.254.169.254/32": 80}


def _template(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm, "template", RELEASE, str(CHART), f"--namespace={NAMESPACE}", *args],
        check=False,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_same_values_render_byte_identical_manifests(helm: str, name: str) -> None:
    args = helm_args([AUTH, *VALUE_SETS[name]])
    first, second = _template(helm, *args), _template(helm, *args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, "helm rendered what it must refuse"
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_first_install_without_values_fails_at_once_naming_the_value(helm: str) -> None:
    line = _error_line(_template(helm))
    assert "auth.tokens is empty: set auth.tokens (or auth.existingSecret)" in line
    # each of the three ways out renders
    assert _template(helm, f"--values={AUTH}").returncode == 0
    assert _template(helm, "--set=auth.existingSecret=bucketport-auth").returncode == 0
    assert _template(helm, "--set=auth.enabled=false").returncode == 0


def test_removing_the_tokens_removes_them(render: Render, helm: str) -> None:
    """Nothing is read back from the cluster: no token outlives its removal from the values."""
    assert "auth.tokens is empty" in _error_line(_template(helm, "--set-json=auth.tokens=[]"))
    templates = "".join(p.read_text() for p in (CHART / "templates").rglob("*") if p.is_file())
    actions = [a for a in re.findall(r"{{-?(.*?)-?}}", templates, re.S) if "/*" not in a]
    assert actions
    assert not [a for a in actions if re.search(r"\b(lookup|rand\w*|uuidv4|now)\b", a)]
    off = render(settings={"auth.enabled": False})
    assert "Secret" not in kinds(off), "auth off and no presignSecret: no Secret at all"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"replicaCount": 2},
            "a file:// store on an emptyDir gives each pod its own objects",
        ),
        (
            {"autoscaling.enabled": True},
            "a file:// store on an emptyDir gives each pod its own objects",
        ),
        (
            {"replicaCount": 2, "persistence.enabled": True},
            "persistence.accessModes [ReadWriteOnce] attach the volume to one node only",
        ),
        (
            {
                "autoscaling.enabled": True,
                "persistence.enabled": True,
                "persistence.accessModes": ["ReadWriteOncePod"],
            },
            "persistence.accessModes [ReadWriteOncePod] attach the volume to one node only",
        ),
        (
            {
                "replicaCount": 2,
                "persistence.enabled": True,
                "persistence.accessModes": ["ReadWriteMany"],
            },
            "auth.presignSecret is empty",
        ),
        (
            {"podDisruptionBudget.enabled": True, "podDisruptionBudget.maxUnavailable": 0},
            "podDisruptionBudget.maxUnavailable 0 lets no pod be evicted",
        ),
        (
            {"podDisruptionBudget.enabled": True, "podDisruptionBudget.maxUnavailable": "0%"},
            "podDisruptionBudget.maxUnavailable 0% lets no pod be evicted",
        ),
        (
            {"podDisruptionBudget.enabled": True, "podDisruptionBudget.minAvailable": "100%"},
            "podDisruptionBudget.minAvailable 100% lets no pod be evicted",
        ),
    ],
)
def test_unsafe_combinations_fail_with_one_line(
    helm: str, settings: dict[str, Any], message: str
) -> None:
    line = _error_line(_template(helm, *helm_args([AUTH], settings)))
    assert message in line


def test_the_safe_neighbours_of_those_combinations_render(render: Render) -> None:
    shared = {
        "replicaCount": 3,
        "persistence.enabled": True,
        "persistence.accessModes": ["ReadWriteMany"],
        "auth.presignSecret": "p" * 40,
    }
    assert find(render(settings=shared), "Deployment")["spec"]["replicas"] == 3
    cloud = {"config.storageUrl": "s3://bucket/objects", "autoscaling.enabled": True}
    assert "HorizontalPodAutoscaler" in kinds(render(settings=cloud))
    pdb = {"podDisruptionBudget.enabled": True, "podDisruptionBudget.minAvailable": "50%"}
    spec = find(render(settings=cloud | pdb), "PodDisruptionBudget")["spec"]
    assert spec["minAvailable"] == "50%"


def test_installs_as_a_dependency_of_an_umbrella_chart(helm: str, tmp_path: Path) -> None:
    """Umbrella charts hand every subchart `global`; a strict schema must accept it."""
    umbrella = tmp_path / "umbrella"
    (umbrella / "charts").mkdir(parents=True)
    shutil.copytree(CHART, umbrella / "charts" / "bucketport")
    chart = {
        "apiVersion": "v2",
        "name": "umbrella",
        "version": "1.0.0",
        "dependencies": [{"name": "bucketport", "version": "*"}],
    }
    (umbrella / "Chart.yaml").write_text(yaml.safe_dump(chart))
    values = {"global": {"imageRegistry": "registry.example.com"}}
    values["bucketport"] = yaml.safe_load(AUTH.read_text())
    (umbrella / "values.yaml").write_text(yaml.safe_dump(values))
    result = subprocess.run(
        [helm, "template", "umbrella", str(umbrella), f"--namespace={NAMESPACE}"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "kind: Deployment" in result.stdout


def _published(objects: list[Manifest]) -> dict[str, set[str]]:
    """kind -> the request paths (of a fixed sample) that its rules send to the Service."""
    sample = ["/v1/objects/a.txt", "/v1/presign", "/docs", "/docs/assets/x.js", "/openapi.json"]
    sample += ["/metrics", "/healthz", "/readyz", "/version", "/", "/v10", "/openapi.json.bak"]

    def matches(kind: str, path: str, value: str) -> bool:
        if kind == "Exact":
            return path == value
        # Prefix and PathPrefix match whole path elements, as Kubernetes and Gateway API do
        return path == value or path.startswith(value.rstrip("/") + "/")

    rules: dict[str, list[tuple[str, str]]] = {"Ingress": [], "HTTPRoute": []}
    for obj in objects:
        if obj["kind"] == "Ingress":
            for rule in obj["spec"]["rules"]:
                rules["Ingress"] += [(p["pathType"], p["path"]) for p in rule["http"]["paths"]]
        if obj["kind"] == "HTTPRoute":
            for rule in obj["spec"]["rules"]:
                rules["HTTPRoute"] += [
                    (m["path"]["type"], m["path"]["value"]) for m in rule["matches"]
                ]
    return {
        kind: {path for path in sample if any(matches(t, path, v) for t, v in found)}
        for kind, found in rules.items()
    }


def test_routes_publish_the_api_and_docs_never_metrics_or_probes(render: Render) -> None:
    api = {"/v1/objects/a.txt", "/v1/presign"}
    docs = {"/docs", "/docs/assets/x.js", "/openapi.json"}
    published = _published(render(VALUE_SETS["all-on"]))
    assert published == {"Ingress": api | docs, "HTTPRoute": api | docs}
    hidden = _published(render(VALUE_SETS["all-on"], {"routes.docs": False}))
    assert hidden == {"Ingress": api, "HTTPRoute": api}
    # a host-less Ingress (the load balancer's own name) routes the same paths
    anyhost = render(VALUE_SETS["all-on"], {"ingress.hosts": [], "gke.managedCertificate": False})
    assert "host" not in find(anyhost, "Ingress")["spec"]["rules"][0]
    assert _published(anyhost)["Ingress"] == api | docs
