"""The values contract: strict schema, settings the service reads, README, package, checkov."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import ValidationError

from service.settings import Settings
from tests.chart.helm import (
    CHART,
    FULLNAME,
    NAMESPACE,
    RELEASE,
    ROOT,
    VALUE_SETS,
    Manifest,
    Render,
    find,
)

# Settings the chart fills from elsewhere than `config.*`
NOT_IN_CONFIG = {"auth_enabled", "auth_tokens", "auth_tokens_file", "presign_secret"}
# Chart defaults that differ from the service's on purpose: the pod's store is the /data volume
CHART_DEFAULTS = {"storage_url": "file:///data"}


def _snake(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()


def _values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return values


def _pyproject_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


@pytest.mark.parametrize(
    "setting",
    [
        "replicaCont=2",  # unknown key at the top
        "replicaCount=two",  # wrong type
        "image.tag=latest",
        "image.digest=sha256:abc",
        "image.pullPolicy=Sometimes",
        "config.storageUrl=http://bucket",
        "config.storageUrl=file://relative/path",
        "config.logLevel=TRACE",
        "config.s3PartSize=1024",
        "config.tracing=true",  # unknown key one level down
        "probes.startup.initialDelay=5",  # unknown key two levels down
        "probes.liveness.periodSeconds=0",
        "resources.requests.gpu=1",
        "securityContext.readOnlyRootFilesytem=true",  # a typo that would leave the root writable
        "podSecurityContext.runAsUser=nobody",
        "auth.enabled=maybe",
        "auth.tokens[0].token=short",
        "auth.tokens[0].token=long-enough-token-123,auth.tokens[0].scopes[0]=admin",
        "service.port=70000",
        "ingress.hosts[0]=Not_A_Host",
        "podDisruptionBudget.maxUnavailable=half",
        "autoscaling.targetCPUUtilizationPercentage=high",
        "serviceMonitor.interval=soon",
        "networkPolicy.egressHttps=yes",
        "tests.enabled=1",
        "shutdown.preStopSleepSeconds=-1",
    ],
)
def test_schema_rejects_bad_values(helm: str, setting: str) -> None:
    result = subprocess.run(
        [helm, "template", RELEASE, str(CHART), f"--set={setting}"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "don't meet the specifications of the schema" in result.stderr, result.stderr


def test_schema_forbids_unknown_keys_in_every_chart_owned_object() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())

    def walk(node: dict[str, Any], path: str) -> None:
        if "properties" in node:
            assert node.get("additionalProperties") is False, f"{path or 'top'} allows unknown keys"
            for key, child in node["properties"].items():
                walk(child, f"{path}.{key}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")

    walk(schema, "")
    for name, definition in schema["definitions"].items():
        walk(definition, f"#{name}")
    # every key of values.yaml is described, and the defaults pass the schema (helm lint does that)
    assert set(_values()) == set(schema["properties"])


def test_security_contexts_know_every_kubernetes_field() -> None:
    """The strict context schemas list every field of the newest Kubernetes the chart targets."""
    schema = json.loads((CHART / "values.schema.json").read_text())["definitions"]
    strict = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    for name, kind in (
        ("podSecurityContext", "podsecuritycontext"),
        ("securityContext", "securitycontext"),
    ):
        k8s = json.loads((strict / "v1.35.0-local-strict" / f"{kind}-v1.json").read_text())
        assert set(k8s["properties"]) <= set(schema[name]["properties"]), name


def test_schema_accepts_extended_resources(helm: str) -> None:
    subprocess.run(
        [
            *(helm, "template", RELEASE, str(CHART), "--set=auth.enabled=false"),
            "--set=resources.limits.nvidia\\.com/gpu=1",
        ],
        check=True,
        capture_output=True,
    )


def test_every_service_setting_is_a_documented_value() -> None:
    config = _values()["config"]
    fields = Settings.model_fields
    assert {_snake(key) for key in config} == set(fields) - NOT_IN_CONFIG
    for key, default in config.items():
        field = fields[_snake(key)]
        service_default = field.get_default(call_default_factory=True)
        expected = CHART_DEFAULTS.get(_snake(key), service_default)
        # the chart writes "" for "not set"; the service says None
        assert default == ("" if expected is None else expected), f"config.{key}"


@pytest.mark.parametrize("name", list(VALUE_SETS))
def test_rendered_settings_are_accepted_by_the_service(
    render: Render, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = render(VALUE_SETS[name])
    env = dict(find(objects, "ConfigMap")["data"])
    assert all(key.removeprefix("BUCKETPORT_").lower() in Settings.model_fields for key in env)
    if "BUCKETPORT_AUTH_TOKENS_FILE" in env:  # where the pod mounts the Secret's tokens.json
        tokens = base64.b64decode(find(objects, "Secret")["data"]["tokens.json"])
        (tmp_path / "tokens.json").write_bytes(tokens)
        env["BUCKETPORT_AUTH_TOKENS_FILE"] = str(tmp_path / "tokens.json")
    for key in [key for key in os.environ if key.startswith("BUCKETPORT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        settings = Settings()
    except ValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{name}: {exc}")
    assert settings.storage_url == env["BUCKETPORT_STORAGE_URL"]
    assert settings.auth_enabled is (env["BUCKETPORT_AUTH_ENABLED"] == "true")


def test_cors_origins_reach_the_service_as_a_list(render: Render) -> None:
    origins = ["https://a.example.com", "https://b.example.com"]
    env = find(render(settings={"config.corsOrigins": origins}), "ConfigMap")["data"]
    settings = Settings(auth_enabled=False, cors_origins=env["BUCKETPORT_CORS_ORIGINS"])
    assert settings.cors_origins == origins


def test_chart_version_follows_the_project(helm: str, tmp_path: Path) -> None:
    subprocess.run(
        [helm, "package", str(CHART), f"--destination={tmp_path}"],
        check=True,
        capture_output=True,
    )
    version = _pyproject_version()
    package = tmp_path / f"bucketport-{version}.tgz"
    assert package.exists(), sorted(p.name for p in tmp_path.iterdir())
    with tarfile.open(package) as archive:
        member = archive.extractfile("bucketport/Chart.yaml")
        assert member is not None
        chart = yaml.safe_load(member.read())
        names = archive.getnames()
    assert chart["version"] == version
    assert chart["appVersion"] == version
    assert "bucketport/values.schema.json" in names
    assert "bucketport/templates/tests/smoke.yaml" in names


def test_readme_is_generated_from_the_current_values(tmp_path: Path) -> None:
    subprocess.run([ROOT / "deploy" / "bin" / "ensure-tools", "readme-generator"], check=True)
    generator = ROOT / ".tools" / "npm" / "node_modules" / ".bin" / "readme-generator"
    readme = tmp_path / "README.md"
    shutil.copy(CHART / "README.md", readme)
    subprocess.run(
        [generator, f"--values={CHART / 'values.yaml'}", f"--readme={readme}"],
        check=True,
        capture_output=True,
    )
    assert readme.read_text() == (CHART / "README.md").read_text(), "run `make chart-readme`"
    for key in ("config.storageUrl", "auth.existingSecret", "networkPolicy.extraEgress"):
        assert f"`{key}`" in readme.read_text()


def _uv() -> str:
    # `uv run` exports UV; a bare pytest falls back to the Makefile's bootstrap copy
    return os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".tools/bootstrap/bin/uv")


CHECKOV = "checkov==3.3.30"


def test_checkov_passes_on_every_rendered_value_set(render: Render, tmp_path: Path) -> None:
    for name, values in VALUE_SETS.items():
        docs = render(values)
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump_all(docs))
    # its own environment: checkov pins an hcl2 fork that clashes with python-hcl2 in .venv
    result = subprocess.run(
        [
            *(_uv(), "tool", "run", "--quiet", "--from", CHECKOV, "checkov"),
            *("--directory", str(tmp_path), "--framework", "kubernetes"),
            *("--output", "json", "--skip-download"),
        ],
        check=False,
        capture_output=True,
        text=True,
        env=os.environ | {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": ""},
        timeout=600,
    )
    assert result.stdout.strip(), f"checkov printed nothing: {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, failed
    assert summary["passed"] > 100, "checkov ran almost no checks"
    skipped = {check["check_id"] for check in report["results"]["skipped_checks"]}
    assert skipped <= {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_15", "CKV_K8S_35", "CKV_K8S_43"}
    assert FULLNAME in result.stdout
    assert NAMESPACE in result.stdout


def test_terraform_sets_only_values_the_chart_has(render: Render) -> None:
    """terraform/modules/chart-values writes these paths; the chart must keep their names."""
    text = (ROOT / "terraform" / "modules" / "chart-values" / "main.tf").read_text()
    paths: dict[str, Any] = {}
    for block in ("config", "image", "serviceAccount"):
        body = re.search(rf"\b{block}\s*=\s*{{(?:\s*for k, v in {{)?(.*?)}}", text, re.S)
        assert body, f"no {block} block in chart-values"
        for key, variable in re.findall(r"^\s*(\w+)\s*=\s*var\.(\w+)", body.group(1), re.M):
            paths[f"{block}.{key}"] = {} if variable.endswith("annotations") else "example"
    assert {"config.storageUrl", "serviceAccount.name", "image.repository"} <= set(paths)
    paths["config.storageUrl"] = "s3://example/objects"
    paths["config.gcsSignerEmail"] = "signer@example.iam.gserviceaccount.com"
    objects = render(settings=paths)  # the schema rejects any name it does not know
    assert server_image(objects) == "example:example"


def server_image(objects: list[Manifest]) -> str:
    image: str = find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    return image
