"""Read a Terraform directory (a root or a module) with python-hcl2.

python-hcl2 keeps HCL's own spelling: quoted literals keep their quotes, expressions come as
"${...}", blocks carry "__is_block__". This module turns that into plain declarations and
the references each file makes, which the static tests check against each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"

# Providers whose resource types are checked as references (type.name).
PROVIDER_PREFIXES = ("aws_", "google_", "helm_", "kubernetes_", "random_", "tls_", "time_")

_VAR = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
_LOCAL = re.compile(r"\blocal\.([A-Za-z_][\w-]*)")
_MODULE = re.compile(r"\bmodule\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?")
_DATA = re.compile(r"\bdata\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")
_RESOURCE = re.compile(r"(?<![\w.\-])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unquote(value: Any) -> Any:
    """'"text"' -> 'text' (HCL escapes decoded); anything else unchanged."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r'\\([nrt"\\])', lambda m: _ESCAPES[m.group(1)], value[1:-1])
    return value


def expression(value: Any) -> str | None:
    """'${expr}' -> 'expr' for a bare expression; None for anything else."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return None


def _interpolations(literal: str) -> Iterator[str]:
    """The ${...} parts of a quoted template, braces balanced."""
    start = literal.find("${")
    while start != -1:
        depth, i = 0, start + 1
        while i < len(literal):
            if literal[i] == "{":
                depth += 1
            elif literal[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        yield literal[start + 2 : i]
        start = literal.find("${", i)


def _strings(node: Any) -> Iterator[str]:
    """Every string in a parsed tree (keys too), metadata excluded."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"__is_block__", "__comments__"}:
                continue
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def expression_texts(node: Any) -> Iterator[str]:
    """The expression text of every string: whole expressions and template interpolations."""
    for text in _strings(node):
        inner = expression(text)
        if inner is not None:
            yield inner
        elif text.startswith('"'):
            yield from _interpolations(text)


def _named(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for block in blocks:
        for name, body in block.items():
            yield unquote(name), body


@dataclass
class Refs:
    variables: set[str] = field(default_factory=set)
    locals: set[str] = field(default_factory=set)
    modules: set[tuple[str, str | None]] = field(default_factory=set)
    data: set[tuple[str, str]] = field(default_factory=set)
    resources: set[tuple[str, str]] = field(default_factory=set)

    def add(self, text: str) -> None:
        self.variables.update(_VAR.findall(text))
        self.locals.update(_LOCAL.findall(text))
        self.modules.update((m, a or None) for m, a in _MODULE.findall(text))
        self.data.update(_DATA.findall(text))
        self.resources.update(
            (t, n) for t, n in _RESOURCE.findall(text) if t.startswith(PROVIDER_PREFIXES)
        )


@dataclass
class Config:
    """Declarations and references of one Terraform directory."""

    path: Path
    files: dict[str, dict[str, Any]]
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    refs: Refs = field(default_factory=Refs)

    @property
    def name(self) -> str:
        return self.path.relative_to(TERRAFORM).as_posix()

    def resources_of(self, type_: str) -> list[dict[str, Any]]:
        return [body for (t, _), body in self.resources.items() if t == type_]

    def local_module(self, name: str) -> Config | None:
        source = unquote(self.modules[name]["source"])
        if source.startswith(("./", "../")):
            return load(self.path / source)
        return None


def load(path: Path) -> Config:
    path = path.resolve()
    files = {f.name: hcl2.loads(f.read_text()) for f in sorted(path.glob("*.tf"))}
    config = Config(path=path, files=files)
    for tree in files.values():
        config.variables.update(_named(tree.get("variable", [])))
        config.outputs.update(_named(tree.get("output", [])))
        config.modules.update(_named(tree.get("module", [])))
        config.providers.update(_named(tree.get("provider", [])))
        config.terraform.extend(tree.get("terraform", []))
        for block in tree.get("locals", []):
            config.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
        for kind, target in (("resource", config.resources), ("data", config.data)):
            for type_, named in _named(tree.get(kind, [])):
                for name, body in named.items():
                    if name.startswith("__"):
                        continue
                    target[(type_, unquote(name))] = body
        for text in expression_texts(tree):
            config.refs.add(text)
    return config


def directories() -> list[Path]:
    """Every directory under terraform/ that holds .tf files."""
    return sorted({f.parent for f in TERRAFORM.rglob("*.tf") if ".terraform" not in f.parts})


def roots() -> list[Path]:
    """Directories terraform is run in (everything but modules/)."""
    return [d for d in directories() if "modules" not in d.relative_to(TERRAFORM).parts]
