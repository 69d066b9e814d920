"""deploy/values-eks.yaml and values-gke.yaml: load balancer seams, with the numbers they state."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.chart.helm import FULLNAME, VALUE_SETS, Manifest, Render, find

ALB_IDLE_TIMEOUT = 60  # seconds; AWS default idle timeout of an Application Load Balancer
GCLB_KEEPALIVE = 600  # seconds; keep-alive of Google's external Application Load Balancer
UVICORN_CLOSE_WAIT = 5
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def _config(objects: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = find(objects, "ConfigMap")["data"]
    return data


def _pod(objects: list[Manifest]) -> dict[str, Any]:
    spec: dict[str, Any] = find(objects, "Deployment")["spec"]["template"]["spec"]
    return spec


def _serving_after_termination(objects: list[Manifest]) -> int:
    """preStop sleep + shutdown delay + drain: how long a terminating pod may still answer."""
    config = _config(objects)
    pre_stop = _pod(objects)["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    delay = float(config["BUCKETPORT_SHUTDOWN_DELAY_SECONDS"])
    return int(pre_stop + delay + float(config["BUCKETPORT_DRAIN_SECONDS"]))


def test_eks_keep_alive_drain_and_alb_deregistration_fit_together(render: Render) -> None:
    objects = render(VALUE_SETS["eks"])
    assert int(_config(objects)["BUCKETPORT_KEEP_ALIVE_SECONDS"]) > ALB_IDLE_TIMEOUT
    ingress = find(objects, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "alb"
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/readyz"
    serving = _serving_after_termination(objects)
    assert serving == 325, "the numbers values-eks.yaml and docs/deploy.md state"
    delay = annotations["alb.ingress.kubernetes.io/target-group-attributes"]
    assert delay == "deregistration_delay.timeout_seconds=330"
    assert int(delay.rsplit("=", 1)[1]) >= serving, "the ALB never cuts a pod that still serves"
    assert _pod(objects)["terminationGracePeriodSeconds"] == serving + UVICORN_CLOSE_WAIT + 5
    assert "host" not in ingress["spec"]["rules"][0], "no placeholder host"
    assert "alb.ingress.kubernetes.io/certificate-arn" not in annotations


def test_eks_https_comes_from_an_acm_certificate_arn(render: Render) -> None:
    ingress = find(render(VALUE_SETS["eks"], {"alb.certificateArn": ARN}), "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == ARN
    listeners = json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"])
    assert listeners == [{"HTTP": 80}, {"HTTPS": 443}]
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    # the values file's own annotations win over the chart's
    custom = {"ingress.annotations": {"alb.ingress.kubernetes.io/ssl-redirect": "8443"}}
    mine = find(render(VALUE_SETS["eks"], {"alb.certificateArn": ARN} | custom), "Ingress")
    assert mine["metadata"]["annotations"]["alb.ingress.kubernetes.io/ssl-redirect"] == "8443"


def assert_gke_serves_https_with_a_long_backend_timeout(objects: list[Manifest]) -> None:
    """The GKE way in: gce Ingress, managed certificate for its hosts, HTTP redirected, a
    BackendConfig with a one-hour timeout and /readyz, and a keep-alive above the balancer's."""
    assert int(_config(objects)["BUCKETPORT_KEEP_ALIVE_SECONDS"]) > GCLB_KEEPALIVE
    ingress = find(objects, "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["kubernetes.io/ingress.class"] == "gce"
    certificate = find(objects, "ManagedCertificate")
    assert annotations["networking.gke.io/managed-certificates"] == certificate["metadata"]["name"]
    assert certificate["spec"]["domains"] == [r["host"] for r in ingress["spec"]["rules"]]
    frontend = find(objects, "FrontendConfig")
    assert annotations["networking.gke.io/v1beta1.FrontendConfig"] == frontend["metadata"]["name"]
    assert frontend["spec"]["redirectToHttps"]["enabled"] is True
    backend = find(objects, "BackendConfig")
    service = find(objects, "Service")
    reference = json.loads(service["metadata"]["annotations"]["cloud.google.com/backend-config"])
    assert reference == {"default": backend["metadata"]["name"]}
    assert backend["spec"]["timeoutSec"] == 3600
    assert backend["spec"]["healthCheck"]["requestPath"] == "/readyz"


def test_gke_serves_https_with_a_managed_certificate_and_long_backend_timeout(
    render: Render,
) -> None:
    objects = render(VALUE_SETS["gke"])
    assert_gke_serves_https_with_a_long_backend_timeout(objects)
    backend = find(objects, "BackendConfig")
    config = _config(objects)
    draining = float(config["BUCKETPORT_SHUTDOWN_DELAY_SECONDS"])
    draining += float(config["BUCKETPORT_DRAIN_SECONDS"])
    assert backend["spec"]["connectionDraining"]["drainingTimeoutSec"] >= draining
    assert _serving_after_termination(objects) == 320


def test_gke_gateway_gets_its_backend_policy_for_the_service(render: Render) -> None:
    gateway = {
        "ingress.enabled": False,
        "gke.managedCertificate": False,
        "gke.httpsRedirect": False,
        "httpRoute.enabled": True,
        "httpRoute.parentRefs": [{"name": "external", "namespace": "gateway"}],
    }
    objects = render(VALUE_SETS["gke"], gateway)
    for kind in ("GCPBackendPolicy", "HealthCheckPolicy"):
        target = find(objects, kind)["spec"]["targetRef"]
        assert target == {"group": "", "kind": "Service", "name": FULLNAME}
    assert find(objects, "GCPBackendPolicy")["spec"]["default"]["timeoutSec"] == 3600
    assert "BackendConfig" not in {obj["kind"] for obj in objects}


def test_gke_managed_certificate_without_hosts_fails_at_once(render: Render) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        render(VALUE_SETS["gke"], {"ingress.hosts": []})
    assert "gke.managedCertificate needs ingress.enabled and ingress.hosts" in failure.value.stderr
