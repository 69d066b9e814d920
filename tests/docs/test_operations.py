"""docs/operations.md and deploy/monitoring against the code: the metrics table equals the
registry, and the example alerts pass promtool, their own unit tests and the CRD schema."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.settings import Settings
from tests.docs.facts import REPO

OPERATIONS = (REPO / "docs" / "operations.md").read_text()
MONITORING = REPO / "deploy" / "monitoring"
RULE = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
TOOLS = REPO / "deploy" / "bin" / "ensure-tools"
STANDARD = ("process_", "python_")


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, frozenset[str]]]:
    """Metric families a running app exposes after traffic that touches every family."""
    store = tmp_path_factory.mktemp("store")
    app = create_app(Settings(auth_enabled=False, storage_url=f"file://{store}"))
    with TestClient(app) as client:
        assert client.put("/v1/objects/a.txt", content=b"x").status_code == 201
        assert client.get("/v1/objects/a.txt").status_code == 200
        assert client.get("/v1/objects/missing.txt").status_code == 404
        text = client.get("/metrics").text
    families: dict[str, tuple[str, frozenset[str]]] = {}
    for family in text_string_to_metric_families(text):
        # prometheus_client's `_created` timestamps parse as families of their own
        if family.name.startswith(STANDARD) or family.name.endswith("_created"):
            continue
        name = family.name + ("_total" if family.type == "counter" else "")
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        families[name] = (family.type, frozenset(labels))
    return families


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    section = OPERATIONS.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \|([^|]*)\|", section, re.MULTILINE)
    return {name: (kind, frozenset(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


def test_metrics_table_equals_the_registry(
    exposed: dict[str, tuple[str, frozenset[str]]],
) -> None:
    assert documented() == exposed


def _promtool() -> str:
    subprocess.run([TOOLS, "promtool"], check=True)
    found = shutil.which("promtool") or REPO / ".tools" / "promtool" / "promtool"
    return str(found)


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PrometheusRule's groups as a plain rules file, next to its promtool unit tests."""
    folder = tmp_path_factory.mktemp("rules")
    (folder / "rules.yaml").write_text(yaml.safe_dump(RULE["spec"]))
    shutil.copy(MONITORING / "prometheusrule.test.yaml", folder)
    return folder


def test_rules_pass_promtool_check(rules_dir: Path) -> None:
    result = subprocess.run(
        [_promtool(), "check", "rules", "rules.yaml"],
        cwd=rules_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULE['spec']['groups'][0]['rules'])} rules found" in result.stdout


def test_every_alert_fires_in_its_unit_test(rules_dir: Path) -> None:
    result = subprocess.run(
        [_promtool(), "test", "rules", "prometheusrule.test.yaml"],
        cwd=rules_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = yaml.safe_load((MONITORING / "prometheusrule.test.yaml").read_text())["tests"]
    firing = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    alerts = {rule["alert"] for rule in RULE["spec"]["groups"][0]["rules"]}
    assert firing == alerts
    # and the operations guide describes exactly these alerts
    assert set(re.findall(r"^\| `(Bucketport\w+)` \|", OPERATIONS, re.MULTILINE)) == alerts


def test_alerts_name_only_metrics_that_exist(
    exposed: dict[str, tuple[str, frozenset[str]]],
) -> None:
    known = set(exposed) | {"up"}
    for rule in RULE["spec"]["groups"][0]["rules"]:
        names = set(re.findall(r"\b(bucketport_\w+|up)\b", rule["expr"]))
        names = {re.sub(r"_(bucket|sum|count)$", "", name) for name in names}
        assert names, rule["alert"]
        assert names <= known, (rule["alert"], names - known)


def test_prometheusrule_valid_in_its_crd_schema() -> None:
    subprocess.run([TOOLS, "crd-models"], check=True)
    result = subprocess.run(
        [
            "node",
            str(REPO / "tests" / "chart" / "validate_crds.mjs"),
            str(REPO / ".tools" / "npm" / "node_modules"),
        ],
        input=json.dumps([RULE]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "valid PrometheusRule bucketport"
