"""Generate the requirements/inputs/outputs tables of each terraform/ README from the code.

    python -m tests.terraform.readme          # rewrite the tables in place
    python -m tests.terraform.readme --check  # exit 1 when a README is stale

The tables sit between BEGIN_TF_DOCS / END_TF_DOCS markers (terraform-docs' convention, so
terraform-docs can take over where it is installable); the prose around them is hand-written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tests.terraform.tfconfig import Config, directories, expression, load, unquote

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def hcl(value: Any) -> str:
    """Parsed python-hcl2 value -> HCL source text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        inner = expression(value)
        return inner if inner is not None else value
    if isinstance(value, list):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{unquote(k)} = {hcl(v)}" for k, v in value.items() if not k.startswith("__")]
        return "{" + ", ".join(items) + "}" if items else "{}"
    raise TypeError(f"unexpected HCL value {value!r}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + _cell(text) + "`"


def _requirements(config: Config) -> list[str]:
    rows = []
    for block in config.terraform:
        if "required_version" in block:
            rows.append(f"| terraform | {_code(unquote(block['required_version']))} |")
        for providers in block.get("required_providers", []):
            for name, spec in providers.items():
                if not name.startswith("__"):
                    rows.append(f"| {name} | {_code(unquote(spec['version']))} |")
    return ["## Requirements", "", "| Name | Version |", "|------|---------|", *rows]


def _modules(config: Config) -> list[str]:
    if not config.modules:
        return []
    rows = [
        f"| {name} | {_code(unquote(body['source']))} | "
        f"{_code(unquote(body['version'])) if 'version' in body else 'n/a'} |"
        for name, body in sorted(config.modules.items())
    ]
    return [
        "",
        "## Modules",
        "",
        "| Name | Source | Version |",
        "|------|--------|---------|",
        *rows,
    ]


def _resources(config: Config) -> list[str]:
    if not config.resources and not config.data:
        return []
    rows = [f"| {t}.{n} | resource |" for t, n in sorted(config.resources)]
    rows += [f"| {t}.{n} | data source |" for t, n in sorted(config.data)]
    return ["", "## Resources", "", "| Name | Type |", "|------|------|", *rows]


def _inputs(config: Config) -> list[str]:
    rows = []
    for name, body in sorted(config.variables.items()):
        required = "default" not in body
        default = "n/a" if required else _code(hcl(body["default"]))
        rows.append(
            f"| {name} | {_cell(unquote(body.get('description', '')))} | "
            f"{_code(hcl(body.get('type', 'any')))} | {default} | {'yes' if required else 'no'} |"
        )
    return [
        "",
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
        *rows,
    ]


def _outputs(config: Config) -> list[str]:
    rows = [
        f"| {name} | {_cell(unquote(body.get('description', '')))} |"
        for name, body in sorted(config.outputs.items())
    ]
    return ["", "## Outputs", "", "| Name | Description |", "|------|-------------|", *rows]


def tables(config: Config) -> str:
    lines = [
        *_requirements(config),
        *_modules(config),
        *_resources(config),
        *_inputs(config),
        *_outputs(config),
    ]
    return "\n".join(lines) + "\n"


def render(readme: str, config: Config) -> str:
    """The README text with its generated section replaced."""
    head, sep, rest = readme.partition(BEGIN)
    if not sep:
        raise ValueError(f"{config.name}/README.md has no {BEGIN} marker")
    _, sep, tail = rest.partition(END)
    if not sep:
        raise ValueError(f"{config.name}/README.md has no {END} marker")
    return f"{head}{BEGIN}\n{tables(config)}{END}{tail}"


def stale(directory: Path) -> bool:
    readme = directory / "README.md"
    text = readme.read_text()
    return render(text, load(directory)) != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a README is stale")
    args = parser.parse_args(argv)
    outdated = []
    for directory in directories():
        readme = directory / "README.md"
        text = readme.read_text()
        new = render(text, load(directory))
        if new != text:
            outdated.append(readme)
            if not args.check:
                readme.write_text(new)
    verb = "stale" if args.check else "updated"
    for readme in outdated:
        print(f"{verb}: {readme}")
    return 1 if args.check and outdated else 0


if __name__ == "__main__":
    sys.exit(main())
