"""Every command in docs/deploy.md and the chart README names things that exist.

`terraform output NAME` is an output of that root, `-var NAME=` one of its variables, `make TARGET`
a target of the Makefile, each deploy/values-*.yaml a file, each `--set`/`--set-json` key a value
the chart's schema has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.chart.helm import CHART, ROOT
from tests.terraform.tfconfig import load

DOCS = [ROOT / "docs" / "deploy.md", CHART / "README.md"]
SCHEMA = json.loads((CHART / "values.schema.json").read_text())


def commands(doc: Path) -> list[tuple[list[str], str]]:
    """(working directories, command) for each line of the doc's ```sh blocks, read like one
    shell session: `cd DIR  # or OTHER` holds for the lines after it, in DIR and in OTHER."""
    found = []
    cwd = ["."]
    for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            code, _, comment = line.partition("#")
            code = code.strip()
            if code.startswith("cd "):
                cwd = [code.split()[1], *re.findall(r"^\s*or (\S+)", comment)]
            elif code:
                found.append((cwd, code))
    return found


def schema_has(path: str) -> bool:
    """Whether a --set path (dots, escaped dots, [N] indexes) is a value the schema describes."""
    node: dict[str, Any] = SCHEMA
    for part in re.split(r"(?<!\\)\.", path):
        if "$ref" in node:
            node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[1]]
        key, *indexes = re.split(r"\[\d+\]", part.replace("\\.", "."))
        if "properties" in node:
            if key not in node["properties"]:
                return False
            node = node["properties"][key]
        elif not (node.get("type") == "object" or "additionalProperties" in node):
            return False  # a free-form map takes any key
        for _ in indexes:
            node = node.get("items", {})
    return True


def test_schema_lookup_tells_known_from_unknown_keys() -> None:
    assert schema_has("auth.existingSecret")
    assert schema_has("ingress.hosts[0]")
    assert schema_has("serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn")
    assert not schema_has("auth.existingSecrets")
    assert not schema_has("ingress.paths[0]")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_names_things_that_exist(doc: Path) -> None:
    makefile = (ROOT / "Makefile").read_text()
    checked = 0
    for cwds, command in commands(doc):
        outputs = re.findall(r"terraform(?: -chdir=(\S+))? output(?: -json| -raw)? (\w+)", command)
        variables = re.findall(r"terraform(?: -chdir=(\S+))? apply .*-var (\w+)=", command)
        found = [(c, "output", n) for c, n in outputs] + [(c, "var", n) for c, n in variables]
        for (chdir, verb, name), cwd in ((f, cwd) for f in found for cwd in cwds):
            root = ROOT / cwd / chdir if chdir else ROOT / cwd
            config = load(root)
            names = config.variables if verb == "var" else config.outputs
            assert name in names, f"{doc.name}: `{command}`: {root.relative_to(ROOT)} has no {name}"
            checked += 1
        for target in re.findall(r"\bmake ([a-z][\w-]*)", command):
            assert re.search(rf"^{target}:", makefile, re.M), f"{doc.name}: no make target {target}"
            checked += 1
        for key in re.findall(r"--set(?:-json)?[ =]'?([^=\s']+)=", command):
            assert schema_has(key), f"{doc.name}: `{command}`: the chart has no value {key}"
            checked += 1
    for path in set(re.findall(r"deploy/values-[\w-]+\.yaml", doc.read_text())):
        assert (ROOT / path).is_file(), f"{doc.name} names {path}, which does not exist"
        checked += 1
    assert checked >= 5, f"{doc.name}: the commands were not found"
