"""Terraform's evaluation of the expressions that make the chart's values, without terraform.

No terraform binary can be installed here, so the seam tests evaluate the real .tf files: the
parse tree python-hcl2 gives is walked with HCL's rules (objects, for expressions with `if`,
conditionals, operators, the functions used here). Anything this evaluator does not know raises,
so a change in the Terraform can fail the test but never pass it by being skipped. Resource and
data attributes are known only after apply: callers give them (`known`), and a missing one raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import yaml
from lark import Token, Tree


class Unsupported(Exception):
    """An HCL construct or function this evaluator does not implement."""


def _yamlencode(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "merge": lambda *maps: {k: v for m in maps for k, v in m.items()},
    "concat": lambda *lists: [item for items in lists for item in items],
    "coalesce": lambda *values: next(v for v in values if v not in (None, "")),
    "compact": lambda items: [item for item in items if item not in (None, "")],
    "lookup": lambda m, key, default=None: m.get(key, default),
    "contains": lambda items, value: value in items,
    "length": len,
    "keys": sorted,
    "tostring": lambda v: v if v is None else str(v),
    "tolist": list,
    "tomap": dict,
    "yamlencode": _yamlencode,
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":")),
    "startswith": lambda s, prefix: s.startswith(prefix),
    "strcontains": lambda s, part: part in s,
    "trimprefix": lambda s, prefix: s.removeprefix(prefix),
    "trimsuffix": lambda s, suffix: s.removesuffix(suffix),
    "lower": str.lower,
    "join": lambda sep, items: sep.join(items),
}

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
    "&&": lambda a, b: a and b,
    "||": lambda a, b: a or b,
}


def _children(tree: Tree[Any]) -> list[Any]:
    """Children without the newline/comment trees and punctuation tokens the grammar keeps."""
    return [
        c
        for c in tree.children
        if not (isinstance(c, Tree) and c.data == "new_line_or_comment")
        and not (isinstance(c, Token) and c.type in _PUNCTUATION)
    ]


_PUNCTUATION = {
    "LPAR", "RPAR", "LBRACE", "RBRACE", "LSQB", "RSQB", "COMMA", "DOT", "EQ", "COLON", "QMARK",
    "DBLQUOTE", "INTERP_START", "FOR", "IN", "IF", "FOR_OBJECT_ARROW",
}  # fmt: skip


def _name(tree: Any) -> str:
    if isinstance(tree, Token):
        return str(tree)
    if tree.data == "string":
        return "".join(str(part.children[0]) for part in _children(tree))
    if tree.data in {"identifier", "keyword", "literal_value", "expr_term"}:
        return _name(_children(tree)[0])
    raise Unsupported(f"not a name: {tree.data}")


class Module:
    """One Terraform directory, evaluated with the given inputs (variables) and known values."""

    def __init__(self, path: Path, inputs: dict[str, Any], known: dict[str, Any]) -> None:
        self.path = path.resolve()
        self.inputs = inputs
        self.known = known
        self.variables: dict[str, Tree[Any]] = {}
        self.locals: dict[str, Tree[Any]] = {}
        self.outputs: dict[str, Tree[Any]] = {}
        self.calls: dict[str, dict[str, Tree[Any]]] = {}
        self.resources: dict[str, Tree[Any]] = {}
        self._modules: dict[str, Module] = {}
        for file in sorted(self.path.glob("*.tf")):
            body = _children(_children(hcl2.parses_to_tree(file.read_text()))[0])
            for block in (b for b in body if b.data == "block"):
                self._declare(block)

    def _declare(self, block: Tree[Any]) -> None:
        parts = _children(block)
        kind, labels, body = _name(parts[0]), [_name(p) for p in parts[1:-1]], parts[-1]
        attributes = {
            _name(_children(a)[0]): _children(a)[1]
            for a in _children(body)
            if isinstance(a, Tree) and a.data == "attribute"
        }
        if kind == "locals":
            self.locals.update(attributes)
        elif kind == "variable":
            self.variables[labels[0]] = attributes.get("default")  # type: ignore[assignment]
        elif kind == "output":
            self.outputs[labels[0]] = attributes["value"]
        elif kind == "module":
            self.calls[labels[0]] = attributes
        elif kind == "resource":
            self.resources[".".join(labels)] = body

    # -- references -------------------------------------------------------------------------
    def var(self, name: str) -> Any:
        if name in self.inputs:
            value = self.inputs[name]
            return value() if isinstance(value, _Lazy) else value
        if name not in self.variables:
            raise KeyError(f"{self.path.name}: no variable {name}")
        default = self.variables[name]
        if default is None:
            raise KeyError(f"{self.path.name}: variable {name} is required and not given")
        return self.evaluate(default)

    def local(self, name: str) -> Any:
        return self.evaluate(self.locals[name])

    def output(self, name: str) -> Any:
        return self.evaluate(self.outputs[name])

    def module(self, name: str) -> Module:
        """A local module call, its inputs evaluated here (once)."""
        if name not in self._modules:
            attributes = self.calls[name]
            inputs = {  # evaluated when the module reads them, as Terraform does
                key: _Lazy(self, value)
                for key, value in attributes.items()
                if key not in {"source", "version", "depends_on", "providers", "count", "for_each"}
            }
            source = self.evaluate(attributes["source"])
            self._modules[name] = Module(self.path / source, inputs, self.known)
        return self._modules[name]

    def _local_call(self, name: str) -> bool:
        attributes = self.calls.get(name)
        return attributes is not None and self.evaluate(attributes["source"]).startswith(".")

    def resource_attribute(self, address: str, attribute: str) -> Any:
        """An argument of a resource in this module, evaluated (e.g. helm_release.this values)."""
        return _Instance(self, self.resources[address])[attribute]

    def _resource(self, address: str) -> Any:
        """A resource as its configuration says (arguments and blocks, read when used); a list of
        instances when it has `count`. Attributes only the provider knows raise KeyError."""
        instance = _Instance(self, self.resources[address])
        if "count" in instance.attributes:
            return [instance] * int(self.evaluate(instance.attributes["count"]))
        return instance

    # -- expressions ------------------------------------------------------------------------
    def evaluate(self, tree: Any, scope: dict[str, Any] | None = None) -> Any:
        scope = scope or {}
        if isinstance(tree, Token):
            raise Unsupported(f"token {tree.type}")
        handler = getattr(self, f"_{tree.data}", None)
        if handler is None:
            raise Unsupported(f"{tree.data} in {self.path}")
        return handler(tree, scope)

    def _expr_term(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        (inner,) = _children(tree)
        return self.evaluate(inner, scope)

    def _literal_value(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        return {"true": True, "false": False, "null": None}[str(tree.children[0])]

    def _int_lit(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        return int(str(tree.children[0]))

    def _float_lit(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        return float(str(tree.children[0]))

    def _string(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        out = []
        for part in _children(tree):
            (piece,) = part.children
            if isinstance(piece, Token) and piece.type == "STRING_CHARS":
                out.append(json.loads(f'"{piece}"'))  # HCL's escapes are JSON's
            elif isinstance(piece, Tree) and piece.data == "interpolation":
                value = self.evaluate(_children(piece)[0], scope)
                out.append(str(value).lower() if isinstance(value, bool) else str(value))
            else:
                raise Unsupported(f"template part {piece}")
        return "".join(out)

    def _tuple(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        return [self.evaluate(item, scope) for item in _children(tree)]

    def _object(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        result = {}
        for element in _children(tree):
            key_tree, value = _children(element)
            key = _children(key_tree)[0]
            if isinstance(key, Tree) and key.data == "expr_term":
                inner = _children(key)[0]
                if isinstance(inner, Tree) and inner.data == "identifier":
                    result[_name(inner)] = self.evaluate(value, scope)  # a bare key is a name
                    continue
            result[self.evaluate(key, scope)] = self.evaluate(value, scope)
        return result

    def _identifier(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        name = _name(tree)
        if name in scope:
            return scope[name]
        raise Unsupported(f"bare reference {name}")

    def _get_attr_expr_term(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        steps: list[str] = []
        node: Any = tree
        while isinstance(node, Tree) and node.data in {"get_attr_expr_term", "expr_term"}:
            if node.data == "expr_term":
                (inner,) = _children(node)
                if not (isinstance(inner, Tree) and inner.data == "get_attr_expr_term"):
                    break
                node = inner
                continue
            base, attr = _children(node)
            steps.insert(0, _name(_children(attr)[0]))
            node = base
        root = _name(node) if _is_identifier(node) else None
        if root in scope or root is None:
            value = self.evaluate(node, scope)
            for step in steps:
                value = value[step]
            return value
        if root == "var":
            return _walk(self.var(steps[0]), steps[1:])
        if root == "local":
            return _walk(self.local(steps[0]), steps[1:])
        if root == "module" and self._local_call(steps[0]):
            return _walk(self.module(steps[0]).output(steps[1]), steps[2:])
        # a resource attribute, a data source's, or a registry module's output
        width = 3 if root == "data" else 2
        address, rest = ".".join([root, *steps[:width]]), steps[width:]
        if address in self.known:
            return _walk(self.known[address], rest)
        if address in self.resources:
            try:
                return _walk(self._resource(address), rest)
            except KeyError:
                pass
        raise KeyError(f"{self.path.name}: {address} {rest} is known only after apply: give it")

    def _index_expr_term(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        base, index = _children(tree)
        (key,) = _children(index)
        return self.evaluate(base, scope)[self.evaluate(key, scope)]

    def _full_splat_expr_term(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        base, splat = _children(tree)
        items = self.evaluate(base, scope)
        results = []
        for item in items if isinstance(items, list) else [items]:
            value = item
            for step in (c for c in _children(splat) if isinstance(c, Tree)):
                if step.data == "get_attr":
                    value = value[_name(_children(step)[0])]
                else:
                    value = value[self.evaluate(_children(step)[0], scope)]
            results.append(value)
        return results

    def _function_call(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        parts = _children(tree)
        name = _name(parts[0])
        given = _children(parts[1]) if len(parts) > 1 else []
        expand = bool(given) and isinstance(given[-1], Token) and given[-1].type == "ELLIPSIS"
        arguments = [self.evaluate(a, scope) for a in (given[:-1] if expand else given)]
        if expand:  # f(xs...) passes the list's items as the arguments
            arguments = [*arguments[:-1], *arguments[-1]]
        if name == "file":
            return (self.path / arguments[0]).read_text()
        if name not in FUNCTIONS:
            raise Unsupported(f"function {name}")
        return FUNCTIONS[name](*arguments)

    def _conditional(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        condition, yes, no = _children(tree)
        return self.evaluate(yes if self.evaluate(condition, scope) else no, scope)

    def _binary_op(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        left, term = _children(tree)
        operator, right = _children(term)
        symbol = str(operator.children[0])
        return _OPERATORS[symbol](self.evaluate(left, scope), self.evaluate(right, scope))

    def _unary_op(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        operator, operand = tree.children
        value = self.evaluate(operand, scope)
        return not value if str(operator) == "!" else -value

    def _for_object_expr(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        intro, key, value, *cond = _children(tree)
        result = {}
        for inner in self._iterate(intro, scope):
            if cond and not self.evaluate(_children(cond[0])[0], inner):
                continue
            result[self.evaluate(key, inner)] = self.evaluate(value, inner)
        return result

    def _for_tuple_expr(self, tree: Tree[Any], scope: dict[str, Any]) -> Any:
        intro, value, *cond = _children(tree)
        return [
            self.evaluate(value, inner)
            for inner in self._iterate(intro, scope)
            if not cond or self.evaluate(_children(cond[0])[0], inner)
        ]

    def _iterate(self, intro: Tree[Any], scope: dict[str, Any]) -> list[dict[str, Any]]:
        *names, collection = _children(intro)
        items = self.evaluate(collection, scope)
        pairs = list(items.items()) if isinstance(items, dict) else list(enumerate(items))
        if len(names) == 1:
            return [scope | {_name(names[0]): v} for _, v in pairs]
        return [scope | {_name(names[0]): k, _name(names[1]): v} for k, v in pairs]


class _Instance:
    """A resource or nested block: arguments evaluated on access, nested blocks as lists."""

    def __init__(self, module: Module, body: Tree[Any]) -> None:
        self.module = module
        self.attributes: dict[str, Tree[Any]] = {}
        self.blocks: dict[str, list[Tree[Any]]] = {}
        for item in _children(body):
            if isinstance(item, Tree) and item.data == "attribute":
                self.attributes[_name(_children(item)[0])] = _children(item)[1]
            elif isinstance(item, Tree) and item.data == "block":
                parts = _children(item)
                self.blocks.setdefault(_name(parts[0]), []).append(parts[-1])

    def __getitem__(self, key: str) -> Any:
        if key in self.attributes:
            return self.module.evaluate(self.attributes[key])
        if key in self.blocks:
            return [_Instance(self.module, body) for body in self.blocks[key]]
        raise KeyError(key)


class _Lazy:
    """A module argument: its expression, evaluated in the calling module when first read."""

    def __init__(self, caller: Module, tree: Tree[Any]) -> None:
        self.caller, self.tree = caller, tree

    def __call__(self) -> Any:
        return self.caller.evaluate(self.tree)


def _one(items: list[Any]) -> Any:
    if not items:
        return None
    if len(items) != 1:
        raise ValueError("one() of a list with more than one element")
    return items[0]


def _replace(text: str, old: str, new: str) -> str:
    if old.startswith("/") and old.endswith("/"):
        raise Unsupported("replace() with a regular expression")
    return text.replace(old, new)


FUNCTIONS |= {"one": _one, "replace": _replace}


def _is_identifier(node: Any) -> bool:
    if isinstance(node, Tree) and node.data == "expr_term":
        node = _children(node)[0]
    return isinstance(node, Tree) and node.data == "identifier"


def _walk(value: Any, steps: list[str]) -> Any:
    for step in steps:
        value = value[step]
    return value


def read_tfvars(path: Path, text: str | None = None) -> dict[str, Any]:
    """A .tfvars file's assignments, evaluated in its directory (file() paths are relative to it);
    `text` stands for the file's content when it is written elsewhere (docs/deploy.md)."""
    holder = Module.__new__(Module)
    holder.path, holder.inputs, holder.known = path.parent.resolve(), {}, {}
    holder._modules = {}
    source = path.read_text() if text is None else text
    body = _children(_children(hcl2.parses_to_tree(source))[0])
    return {
        _name(_children(a)[0]): holder.evaluate(_children(a)[1])
        for a in body
        if isinstance(a, Tree) and a.data == "attribute"
    }
