"""The chart's sync objects: a CronJob and an Indexed Job running `python -m service sync` as the
server runs (image, identity, security, settings, egress), and shard arguments that really
partition the keys when the pods run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.chart.helm import VALUE_SETS, Manifest, Render, find, helm_args
from tests.chart.test_chart_safety import EKS_AGENT, GKE_METADATA, identity_egress
from tests.fixtures.service import REPO

SYNC = {"sync.source": "s3://archive/photos", "sync.destination": "gs://mirror/photos"}
BOTH = SYNC | {"sync.cronJob.enabled": True, "sync.shardedJob.enabled": True}


def job_specs(objects: list[Manifest]) -> dict[str, dict[str, Any]]:
    cron = find(objects, "CronJob")["spec"]["jobTemplate"]["spec"]
    job = find(objects, "Job")["spec"]
    return {"cron": cron, "job": job}


def expand(arg: str, env: dict[str, str]) -> str:
    """$(NAME) in a container argument, as the kubelet expands it."""
    return re.sub(r"\$\((\w+)\)", lambda match: env[match.group(1)], arg)


def test_no_sync_objects_unless_asked(render: Render) -> None:
    for name in ("defaults", "all-off", "eks", "gke", "kind"):
        kinds = {obj["kind"] for obj in render(VALUE_SETS[name])}
        assert not kinds & {"CronJob", "Job"}, name


@pytest.mark.parametrize("version", ["1.31", "1.35"])
def test_sync_objects_are_valid_kubernetes(render: Render, version: str) -> None:
    for obj in render(settings=BOTH):
        kubernetes_validate.validate(obj, version, strict=True)


def test_sync_pods_run_as_the_server_does(render: Render) -> None:
    objects = render(VALUE_SETS["all-on"])
    server = find(objects, "Deployment")["spec"]["template"]["spec"]
    for name, spec in job_specs(objects).items():
        pod = spec["template"]["spec"]
        (container,) = pod["containers"]
        for field in ("serviceAccountName", "automountServiceAccountToken", "securityContext"):
            assert pod[field] == server[field], (name, field)
        for field in ("nodeSelector", "tolerations", "affinity", "imagePullSecrets"):
            assert pod[field] == server[field], (name, field)
        assert container["image"] == server["containers"][0]["image"]
        assert container["securityContext"] == server["containers"][0]["securityContext"]
        assert container["envFrom"] == server["containers"][0]["envFrom"]
        assert pod["restartPolicy"] == "Never"
        assert container["resources"]["limits"]["memory"]
        assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
        assert container["args"][:3] == ["sync", "s3://archive/photos", "gs://mirror/photos"]
        assert "--delete" in container["args"]


def test_shards_are_indexed_and_each_pod_takes_its_index(render: Render) -> None:
    specs = job_specs(render(VALUE_SETS["all-on"]))
    for name, shards, parallel in (("cron", 2, 2), ("job", 3, 2)):
        spec = specs[name]
        assert spec["completionMode"] == "Indexed"
        assert (spec["completions"], spec["parallelism"]) == (shards, parallel)
        (container,) = spec["template"]["spec"]["containers"]
        assert f"--shard=$(JOB_COMPLETION_INDEX)/{shards}" in container["args"]
        index = next(e for e in container["env"] if e["name"] == "JOB_COMPLETION_INDEX")
        path = index["valueFrom"]["fieldRef"]["fieldPath"]
        assert path == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    single = job_specs(render(settings=BOTH))["cron"]
    assert "completionMode" not in single
    assert not any("--shard" in arg for arg in single["template"]["spec"]["containers"][0]["args"])


def test_cron_never_overlaps_and_job_survives_upgrades(render: Render) -> None:
    objects = render(settings=BOTH | {"sync.cronJob.schedule": "0 * * * *"})
    cron = find(objects, "CronJob")["spec"]
    assert (cron["schedule"], cron["concurrencyPolicy"]) == ("0 * * * *", "Forbid")
    job = find(objects, "Job")
    assert job["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert job["metadata"]["name"].endswith("-sync-1")  # a new run per release revision
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_sync_egress_is_the_servers_and_nothing_comes_in(render: Render) -> None:
    objects = render(VALUE_SETS["all-on"])
    policies = {
        obj["metadata"]["name"]: obj["spec"] for obj in objects if obj["kind"] == "NetworkPolicy"
    }
    server = next(p for name, p in policies.items() if name.endswith("bucketport"))
    sync = next(p for name, p in policies.items() if name.endswith("-sync"))
    # the server's rules, plus the credential endpoints of sync's own stores (s3:// -> gs://)
    assert all(rule in sync["egress"] for rule in server["egress"])
    assert any(rule.get("to") for rule in sync["egress"])  # all-on's extraEgress came along
    sync_name = next(name for name in policies if name.endswith("-sync"))
    extra = {"10.0.0.0/8": 9000}  # all-on's extraEgress
    assert identity_egress(objects, sync_name) == EKS_AGENT | GKE_METADATA | extra
    assert identity_egress(objects) == extra, "the file:// server needs no identity endpoint"
    assert "ingress" not in sync
    assert sync["policyTypes"] == ["Ingress", "Egress"]
    labels = job_specs(objects)["job"]["template"]["metadata"]["labels"]
    assert sync["podSelector"]["matchLabels"].items() <= labels.items()
    assert not server["podSelector"]["matchLabels"].items() <= labels.items()


def test_sync_needs_both_ends(helm: str) -> None:
    from tests.chart.helm import CHART

    result = subprocess.run(
        [helm, "template", "bp", str(CHART), *helm_args(settings={"sync.cronJob.enabled": True})],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "set sync.source and sync.destination" in result.stderr


@pytest.mark.parametrize(
    "settings",
    [
        {"sync.cronJob.shards": 0},
        {"sync.jobs": 0},
        {"sync.shardedJob.paralelism": 2},
        {"sync.args": "--delete"},
        {"sync.cronJob.schedule": ""},
    ],
)
def test_schema_refuses_bad_sync_values(helm: str, settings: dict[str, Any]) -> None:
    from tests.chart.helm import CHART

    args = helm_args(settings=BOTH | settings)
    result = subprocess.run(
        [helm, "template", "bp", str(CHART), *args], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr


def test_rendered_shard_pods_partition_the_keys(render: Render, tmp_path: Path) -> None:
    """Run each pod of the rendered Indexed Job as Kubernetes would (index, args, ConfigMap
    environment) against directories: every key arrives, each exactly once."""
    source = tmp_path / "src"
    files = {f"photos/{i:03}.jpg": os.urandom(64) for i in range(50)}
    for key, data in files.items():
        (source / key).parent.mkdir(parents=True, exist_ok=True)
        (source / key).write_bytes(data)
    settings = {"sync.source": str(source), "sync.destination": str(tmp_path / "dst")}
    objects = render(settings=settings | {"sync.shardedJob.enabled": True})
    job = find(objects, "Job")["spec"]
    (container,) = job["template"]["spec"]["containers"]
    config = find(objects, "ConfigMap")["data"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("BUCKETPORT_")}
    fixed = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    copied: list[str] = []
    for index in range(job["completions"]):
        env = base | config | fixed | {"JOB_COMPLETION_INDEX": str(index)}
        args = [expand(arg, env) for arg in container["args"]]
        result = subprocess.run(
            [sys.executable, "-m", "service", *args, "--json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        copied += [
            line.split('"key": "')[1].split('"')[0] for line in result.stdout.splitlines()[:-1]
        ]
    assert sorted(copied) == sorted(files)
    assert {str(p.relative_to(tmp_path / "dst")) for p in (tmp_path / "dst").rglob("*.jpg")} == set(
        files
    )
