"""What helm renders: valid Kubernetes objects, secure defaults, coherent availability settings."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.chart.helm import (
    AUTH,
    CHART,
    DEPLOY,
    FULLNAME,
    NAMESPACE,
    RELEASE,
    ROOT,
    VALUE_SETS,
    Manifest,
    Render,
    find,
    kinds,
)

# Custom resources whose schemas kubernetes-validate does not carry: tests/chart/validate_crds.mjs
# checks them against the CRD schemas (npm @kubernetes-models), and the tests below by hand.
GKE_KINDS = {
    "ManagedCertificate",
    "FrontendConfig",
    "BackendConfig",
    "GCPBackendPolicy",
    "HealthCheckPolicy",
}
CRD_KINDS = {"HTTPRoute", "ServiceMonitor"} | GKE_KINDS
NPM_MODULES = ROOT / ".tools" / "npm" / "node_modules"
SECRETS = {"auth.tokens[0].token": "t" * 20, "auth.presignSecret": "p" * 40}


def pod_spec(objects: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = find(objects, "Deployment")["spec"]["template"]["spec"]
    return spec


def server(objects: list[Manifest]) -> dict[str, Any]:
    container: dict[str, Any] = pod_spec(objects)["containers"][0]
    return container


@pytest.mark.parametrize("name", ["defaults", "eks", "gke", "kind"])
def test_helm_lint_strict(helm: str, name: str) -> None:
    args = [f"--values={path}" for path in [AUTH, *VALUE_SETS[name]]]
    result = subprocess.run(
        [helm, "lint", "--strict", str(CHART), *args], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("version", ["1.31", "1.35"])
@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_objects_valid_in_strict_kubernetes_schema(render: Render, name: str, version: str) -> None:
    objects = render(VALUE_SETS[name])
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
        assert obj["metadata"]["namespace"] == NAMESPACE


def test_strict_schema_catches_a_typo_in_a_passed_through_object(render: Render) -> None:
    objects = render(settings={"affinity": {"nodeAfinity": {}}})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(find(objects, "Deployment"), "1.35", strict=True)


def test_matrix_turns_optional_objects_on_and_off(render: Render) -> None:
    optional = {
        "Ingress",
        "HTTPRoute",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
        "PersistentVolumeClaim",
        "ServiceAccount",
        "Pod",
        *GKE_KINDS,
    }
    assert optional <= kinds(render(VALUE_SETS["all-on"]))
    assert not optional & kinds(render(VALUE_SETS["all-off"]))


@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_restricted_pod_security(render: Render, name: str) -> None:
    objects = render(VALUE_SETS[name])
    pods = [pod_spec(objects)] + [obj["spec"] for obj in objects if obj["kind"] == "Pod"]
    for spec in pods:
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            ctx = container["securityContext"]
            assert isinstance(ctx["runAsUser"], int)
            assert ctx["runAsUser"] > 0
            assert isinstance(ctx["runAsGroup"], int)
            assert ctx["runAsGroup"] > 0
            assert ctx["readOnlyRootFilesystem"] is True
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["requests"]
            assert container["resources"]["limits"]
            assert ":latest" not in container["image"]
            assert ":" in container["image"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, "the read-only root needs a writable /tmp"


def test_image_tag_defaults_to_app_version_and_digest_wins(render: Render) -> None:
    chart = _chart_yaml()
    assert server(render())["image"].endswith(f"/bucketport:{chart['appVersion']}")
    digest = "sha256:" + "a" * 64
    assert server(render(settings={"image.digest": digest}))["image"].endswith(f"@{digest}")


def test_probes_hit_health_and_readiness_with_tunable_timings(render: Render) -> None:
    container = server(render(settings={"probes.readiness.periodSeconds": 7}))
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["readinessProbe"]["periodSeconds"] == 7
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]


def _uvicorn_close_wait() -> int:
    """timeout_graceful_shutdown that service/server.py gives uvicorn after the drain."""
    source = (ROOT / "service" / "server.py").read_text()
    found = re.findall(r"timeout_graceful_shutdown=(\d+)\b", source)
    assert len(found) == 1, "service/server.py sets uvicorn's close wait in one place"
    return int(found[0])


def test_grace_period_covers_prestop_delay_drain_and_uvicorns_close_wait(render: Render) -> None:
    settings = {
        "config.drainSeconds": 12.5,
        "config.shutdownDelaySeconds": 3,
        "shutdown.preStopSleepSeconds": 4,
        "shutdown.graceMarginSeconds": 2,
    }
    objects = render(settings=settings)
    config = find(objects, "ConfigMap")["data"]
    assert config["BUCKETPORT_DRAIN_SECONDS"] == "12.5"
    assert config["BUCKETPORT_SHUTDOWN_DELAY_SECONDS"] == "3"
    assert server(objects)["lifecycle"]["preStop"] == {"sleep": {"seconds": 4}}
    # 4 s sleep + 3 s delay + 13 s drain (rounded up) + uvicorn's close wait + 2 s margin
    expected = 4 + 3 + 13 + _uvicorn_close_wait() + 2
    assert pod_spec(objects)["terminationGracePeriodSeconds"] == expected
    assert "lifecycle" not in server(render(settings={"shutdown.preStopSleepSeconds": 0}))


def test_zero_values_reach_the_pod_and_the_grace_period(render: Render) -> None:
    """0 is a value the schema allows: it must reach the service, not fall back to its default."""
    zeros = {
        "config.drainSeconds": 0,
        "config.readinessCacheSeconds": 0,
        "config.shutdownDelaySeconds": 0,
        "shutdown.preStopSleepSeconds": 0,
        "shutdown.graceMarginSeconds": 0,
    }
    objects = render(settings=zeros)
    config = find(objects, "ConfigMap")["data"]
    assert config["BUCKETPORT_DRAIN_SECONDS"] == "0"
    assert config["BUCKETPORT_READINESS_CACHE_SECONDS"] == "0"
    assert config["BUCKETPORT_SHUTDOWN_DELAY_SECONDS"] == "0"
    assert pod_spec(objects)["terminationGracePeriodSeconds"] == _uvicorn_close_wait()


def test_selectors_match_pod_labels_and_keep_the_test_pod_out(render: Render) -> None:
    objects = render(VALUE_SETS["all-on"])
    deployment = find(objects, "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert find(objects, "Service")["spec"]["selector"] == selector
    assert find(objects, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == selector
    assert (
        find(objects, "NetworkPolicy", FULLNAME)["spec"]["podSelector"]["matchLabels"] == selector
    )
    assert find(objects, "ServiceMonitor")["spec"]["selector"]["matchLabels"].items() <= (
        find(objects, "Service")["metadata"]["labels"].items()
    )
    for spread in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]:
        assert spread["labelSelector"]["matchLabels"] == selector
    test_pod = find(objects, "Pod")
    assert not selector.items() <= test_pod["metadata"]["labels"].items()
    # the test Pod may reach only the server pods, which let it in when they restrict sources
    smoke_policy = find(objects, "NetworkPolicy", f"{FULLNAME}-smoke")["spec"]
    assert (
        smoke_policy["podSelector"]["matchLabels"].items() <= test_pod["metadata"]["labels"].items()
    )
    assert "ingress" not in smoke_policy
    assert smoke_policy["egress"][1]["to"] == [{"podSelector": {"matchLabels": selector}}]
    peers = find(objects, "NetworkPolicy", FULLNAME)["spec"]["ingress"][0]["from"]
    assert any(
        peer.get("podSelector", {}).get("matchLabels", {}).items()
        <= test_pod["metadata"]["labels"].items()
        for peer in peers
        if "podSelector" in peer
    )


def _validate_crds(objects: list[Manifest]) -> subprocess.CompletedProcess[str]:
    subprocess.run([ROOT / "deploy" / "bin" / "ensure-tools", "crd-models"], check=True)
    return subprocess.run(
        ["node", str(Path(__file__).with_name("validate_crds.mjs")), str(NPM_MODULES)],
        input=json.dumps(objects),
        check=False,
        capture_output=True,
        text=True,
    )


def test_custom_resources_valid_in_their_crd_schemas(render: Render) -> None:
    custom = [obj for obj in render(VALUE_SETS["all-on"]) if obj["kind"] in CRD_KINDS]
    assert {obj["kind"] for obj in custom} == CRD_KINDS
    result = _validate_crds(custom)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("valid ") == len(custom)
    # the validator does reject what a CRD forbids
    bad = render(VALUE_SETS["all-on"], {"serviceMonitor.interval": "30s", "service.port": 80})
    monitor = find(bad, "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["scrapeTimeout"] = "ten seconds"
    route = find(bad, "HTTPRoute")
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = "http"
    backend = find(bad, "BackendConfig")
    backend["spec"]["timeoutSec"] = "an hour"
    policy = find(bad, "GCPBackendPolicy")
    policy["spec"]["targetRef"].pop("kind")  # a policy must name what it applies to
    certificate = find(bad, "ManagedCertificate")
    certificate["apiVersion"] = "networking.gke.io/v1beta2"
    result = _validate_crds([monitor, route, backend, policy, certificate])
    assert result.returncode == 1
    assert result.stdout.count("invalid ") == 5, result.stdout


def test_custom_resources_point_at_the_service(render: Render) -> None:
    objects = render(VALUE_SETS["all-on"])
    service = find(objects, "Service")
    route = find(objects, "HTTPRoute")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["rules"][0]["backendRefs"] == [
        {"name": service["metadata"]["name"], "port": service["spec"]["ports"][0]["port"]}
    ]
    monitor = find(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_hpa_owns_replicas_and_pdb_never_blocks_a_drain(render: Render) -> None:
    objects = render(VALUE_SETS["eks"])
    hpa = find(objects, "HorizontalPodAutoscaler")
    assert "replicas" not in find(objects, "Deployment")["spec"]
    assert hpa["spec"]["minReplicas"] == 2
    assert find(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    # a PDB with one replica is allowed: maxUnavailable 1 still lets the pod go
    single = render(settings={"podDisruptionBudget.enabled": True})
    assert find(single, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    ok = render(
        VALUE_SETS["eks"],
        {"podDisruptionBudget.minAvailable": 1, "autoscaling.minReplicas": 2},
    )
    assert find(ok, "PodDisruptionBudget")["spec"] == find(ok, "PodDisruptionBudget")["spec"] | {
        "minAvailable": 1
    }
    assert "maxUnavailable" not in find(ok, "PodDisruptionBudget")["spec"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"podDisruptionBudget.enabled": True, "podDisruptionBudget.minAvailable": 1}, "(1)"),
        (
            {
                "config.storageUrl": "s3://bucket/objects",
                "podDisruptionBudget.enabled": True,
                "autoscaling.enabled": True,
                "autoscaling.minReplicas": 2,
                "podDisruptionBudget.minAvailable": 2,
            },
            "(2)",
        ),
        ({"autoscaling.enabled": True, "autoscaling.targetCPUUtilizationPercentage": None}, ""),
    ],
)
def test_incoherent_availability_is_refused(
    render: Render, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        render(settings=settings)
    assert "Error" in failure.value.stderr
    assert message in failure.value.stderr


def _pod_annotations(objects: list[Manifest]) -> dict[str, str]:
    annotations: dict[str, str] = find(objects, "Deployment")["spec"]["template"]["metadata"][
        "annotations"
    ]
    return annotations


def test_checksums_roll_pods_when_config_or_secret_change(render: Render) -> None:
    base = _pod_annotations(render(settings=SECRETS))
    assert _pod_annotations(render(settings=SECRETS)) == base, "same values, same checksums"
    config = _pod_annotations(render(settings=SECRETS | {"config.logLevel": "DEBUG"}))
    assert config["checksum/config"] != base["checksum/config"]
    assert config["checksum/secret"] == base["checksum/secret"]
    secret = _pod_annotations(render(settings=SECRETS | {"auth.presignSecret": "q" * 40}))
    assert secret["checksum/secret"] != base["checksum/secret"]
    assert secret["checksum/config"] == base["checksum/config"]


def test_tokens_come_from_the_values_and_are_mounted(render: Render) -> None:
    tokens = [
        {"name": "ci", "token": "c" * 20, "scopes": ["read", "write"]},
        {"name": "reader", "token": "r" * 20, "scopes": ["read"]},
    ]
    objects = render(settings={"auth.tokens": tokens})
    data = find(objects, "Secret")["data"]
    assert json.loads(base64.b64decode(data["tokens.json"])) == tokens
    assert "presign-secret" not in data, "no presignSecret value: the single pod makes its own"
    assert "env" not in server(objects), "so no variable points at a key the Secret lacks"
    config = find(objects, "ConfigMap")["data"]
    assert config["BUCKETPORT_AUTH_ENABLED"] == "true"
    mounts = {m["name"]: m["mountPath"] for m in server(objects)["volumeMounts"]}
    assert config["BUCKETPORT_AUTH_TOKENS_FILE"] == f"{mounts['secret']}/tokens.json"
    smoke = find(objects, "Pod")["spec"]["containers"][0]
    assert smoke["command"][:4] == ["python", "-m", "service", "smoke"]
    assert smoke["command"][-2:] == ["--token-file", config["BUCKETPORT_AUTH_TOKENS_FILE"]]
    presign = render(settings={"auth.presignSecret": "p" * 40})
    env = {e["name"]: e for e in server(presign)["env"]}
    ref = env["BUCKETPORT_PRESIGN_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref["key"] in find(presign, "Secret")["data"]
    assert ref["optional"] is False


def test_existing_secret_replaces_the_charts(render: Render) -> None:
    objects = render(settings={"auth.existingSecret": "my-tokens"})
    assert "Secret" not in kinds(objects)
    env = {e["name"]: e for e in server(objects)["env"]}
    assert env["BUCKETPORT_PRESIGN_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "my-tokens"
    volumes = {v["name"]: v for v in pod_spec(objects)["volumes"]}
    assert volumes["secret"]["secret"]["secretName"] == "my-tokens"


def test_auth_off_drops_the_token_file(render: Render) -> None:
    objects = render(settings={"auth.enabled": False})
    config = find(objects, "ConfigMap")["data"]
    assert config["BUCKETPORT_AUTH_ENABLED"] == "false"
    assert "BUCKETPORT_AUTH_TOKENS_FILE" not in config
    assert "--token-file" not in find(objects, "Pod")["spec"]["containers"][0]["command"]


def test_local_store_volume_follows_the_url_and_persistence(render: Render) -> None:
    objects = render(settings={"config.storageUrl": "file:///var/lib/objects"})
    mounts = {m["name"]: m["mountPath"] for m in server(objects)["volumeMounts"]}
    assert mounts["data"] == "/var/lib/objects"
    objects = render(settings={"persistence.enabled": True})
    volumes = {v["name"]: v for v in pod_spec(objects)["volumes"]}
    claim = find(objects, "PersistentVolumeClaim")
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    # one pod on a ReadWriteOnce volume: the old pod lets go before the new one mounts
    assert find(objects, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}
    shared = render(VALUE_SETS["all-on"])  # several pods on a ReadWriteMany volume
    assert "strategy" not in find(shared, "Deployment")["spec"]
    cloud = render(VALUE_SETS["gke"])
    assert "data" not in {v["name"] for v in pod_spec(cloud)["volumes"]}


def test_cloud_values_wire_identity_and_traffic(render: Render) -> None:
    eks = render(VALUE_SETS["eks"])
    assert find(eks, "ServiceAccount")["metadata"]["name"] == "bucketport"
    assert pod_spec(eks)["serviceAccountName"] == "bucketport"
    assert find(eks, "Ingress")["spec"]["ingressClassName"] == "alb"
    assert find(eks, "ConfigMap")["data"]["BUCKETPORT_STORAGE_URL"].startswith("s3://")
    gke = render(VALUE_SETS["gke"])
    assert find(gke, "ConfigMap")["data"]["BUCKETPORT_STORAGE_URL"].startswith("gs://")
    assert find(gke, "ConfigMap")["data"]["BUCKETPORT_GCS_SIGNER_EMAIL"]
    for objects, agent in ((eks, "169.254.170.23/32"), (gke, "169.254.169.254/32")):
        egress = find(objects, "NetworkPolicy", FULLNAME)["spec"]["egress"]
        assert any(
            peer.get("ipBlock", {}).get("cidr") == agent for r in egress for peer in r.get("to", [])
        )


def _chart_yaml() -> dict[str, Any]:
    chart: dict[str, Any] = yaml.safe_load((CHART / "Chart.yaml").read_text())
    return chart


def test_kind_values_work_with_the_charts_image(render: Render) -> None:
    """values-kind pins no local-only image: e2e.sh and chart-play set the one built here."""
    assert "image" not in yaml.safe_load((DEPLOY / "values-kind.yaml").read_text())
    assert server(render([DEPLOY / "values-kind.yaml"]))["image"] == server(render())["image"]


def test_values_files_are_small_and_commented() -> None:
    for path in sorted(Path(DEPLOY).glob("values-*.yaml")):
        text = path.read_text()
        assert text.startswith("#"), f"{path.name} starts with a comment on what it is for"
        assert len(text.splitlines()) < 80, f"{path.name} stays minimal"


def _notes(helm: str, *args: str) -> str:
    result = subprocess.run(
        [
            helm,
            "install",
            RELEASE,
            str(CHART),
            f"--namespace={NAMESPACE}",
            "--dry-run=client",
            f"--values={AUTH}",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.split("NOTES:", 1)[1]


def test_notes_say_how_to_reach_the_service(helm: str) -> None:
    notes = _notes(helm)
    assert f"port-forward service/{FULLNAME} 8000:80" in notes
    assert f"helm test {RELEASE}" in notes
    assert "emptyDir" in notes, "warns that a file store on an emptyDir is lost with the pod"
    eks_values = [f"--values={path}" for path in VALUE_SETS["eks"]]
    eks = _notes(helm, *eks_values)
    assert (
        "http://<the Ingress address: kubectl -n bucketport get ingress bp-bucketport>/docs" in eks
    )
    assert "emptyDir" not in eks
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d"
    assert "https://<the Ingress address" in _notes(
        helm, *eks_values, f"--set=alb.certificateArn={arn}"
    )
    gke = _notes(helm, *[f"--values={path}" for path in VALUE_SETS["gke"]])
    assert "https://files.example.com/docs" in gke
    assert "WARNING: auth.enabled is false" in _notes(helm, "--set=auth.enabled=false")
