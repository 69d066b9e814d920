"""Evaluate the few HCL expression forms terraform/aws uses for its subnet layout.

Enough of HCL to run the .tf's own expressions in Python (not a copy of them): conditionals,
`[for i, _ in LIST : EXPR]`, integer arithmetic, references looked up in an environment, and
`cidrsubnet` with Terraform's semantics (https://developer.hashicorp.com/terraform/language/
functions/cidrsubnet). Anything else raises, so a new form shows up as a test error.
"""

from __future__ import annotations

import ast
import ipaddress
import re
from collections.abc import Mapping
from typing import Any

_FOR = re.compile(r"^\[for (\w+), (\w+) in ([\w.]+) : (.+)\]$", re.S)
_REF = re.compile(r"\b(?:var|local|module\.\w+)\.\w+")


def cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    """Terraform's cidrsubnet: the netnum-th subnet with newbits more prefix bits."""
    network = ipaddress.ip_network(prefix, strict=False)
    length = network.prefixlen + newbits
    if length > network.max_prefixlen:
        raise ValueError(f"cidrsubnet: {prefix} has no room for {newbits} more bits")
    if not 0 <= netnum < 2**newbits:
        raise ValueError(f"cidrsubnet: netnum {netnum} does not fit in {newbits} bits")
    address = int(network.network_address) + (netnum << (network.max_prefixlen - length))
    return str(ipaddress.ip_network((address, length)))


def _split_top(text: str, sep: str) -> tuple[str, str] | None:
    """Split at the first `sep` outside brackets and parentheses."""
    depth = 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            return text[:i].strip(), text[i + len(sep) :].strip()
    return None


def evaluate(expr: str, env: Mapping[str, Any]) -> Any:
    expr = expr.strip()
    if expr.startswith("${") and expr.endswith("}"):
        expr = expr[2:-1].strip()
    question = _split_top(expr, " ? ")
    if question is not None:
        condition, branches = question
        split = _split_top(branches, " : ")
        if split is None:
            raise ValueError(f"conditional without ':' in {expr!r}")
        chosen = split[0] if evaluate(condition, env) else split[1]
        return evaluate(chosen, env)
    loop = _FOR.match(expr)
    if loop is not None:
        index, value, collection, body = loop.groups()
        return [
            evaluate(body, {**env, index: i, value: item})
            for i, item in enumerate(evaluate(collection, env))
        ]
    return _python(expr, env)


def _python(expr: str, env: Mapping[str, Any]) -> Any:
    names: dict[str, Any] = {}

    def name(match: re.Match[str]) -> str:
        key = f"ref{len(names)}"
        names[key] = env[match.group(0)]
        return key

    text = _REF.sub(name, expr)
    tree = ast.parse(text, mode="eval")
    allowed = (
        ast.Expression,
        ast.Call,
        ast.Name,
        ast.Load,
        ast.Constant,
        ast.BinOp,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.List,
        ast.UnaryOp,
        ast.Not,
    )
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ValueError(f"unsupported HCL in {expr!r}: {type(node).__name__}")
    scope = {**names, **{k: v for k, v in env.items() if "." not in k}, "cidrsubnet": cidrsubnet}
    return eval(compile(tree, "<hcl>", "eval"), {"__builtins__": {}}, scope)  # noqa: S307
