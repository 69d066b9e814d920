"""The pods' cloud permissions are exactly what the storage adapters call (issue 10, item 15).

The calls are read from the adapters' code with ast, mapped to IAM through the clouds' own
tables below (one line per SDK method, not a list of expected permissions), and compared with
what terraform/ grants. A new SDK call in an adapter fails here until it is mapped and granted;
a grant no adapter call needs fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.terraform.tfconfig import REPO, TERRAFORM, load, unquote

# boto3 S3 client method -> IAM actions it needs (Service Authorization Reference: "Actions
# defined by Amazon S3"; multipart calls are authorised as s3:PutObject, HeadObject as
# s3:GetObject, HeadBucket and ListObjectsV2 as s3:ListBucket).
S3_ACTIONS: dict[str, set[str]] = {
    "abort_multipart_upload": {"s3:AbortMultipartUpload"},
    "complete_multipart_upload": {"s3:PutObject"},
    "copy_object": {"s3:GetObject", "s3:PutObject"},
    "create_multipart_upload": {"s3:PutObject"},
    "delete_object": {"s3:DeleteObject"},
    "delete_objects": {"s3:DeleteObject"},
    "get_object": {"s3:GetObject"},
    "get_object_attributes": {"s3:GetObject", "s3:GetObjectAttributes"},
    "head_bucket": {"s3:ListBucket"},
    "head_object": {"s3:GetObject"},
    "list_multipart_uploads": {"s3:ListBucketMultipartUploads"},
    "list_object_versions": {"s3:ListBucketVersions"},
    "list_objects": {"s3:ListBucket"},
    "list_objects_v2": {"s3:ListBucket"},
    "list_parts": {"s3:ListMultipartUploadParts"},
    "put_object": {"s3:PutObject"},
    "upload_part": {"s3:PutObject"},
    "upload_part_copy": {"s3:GetObject", "s3:PutObject"},
}
# Client methods that send no request of their own.
S3_LOCAL = {"close", "generate_presigned_url", "can_paginate", "get_paginator", "get_waiter"}

# Object-level S3 actions are granted on BUCKET/*, the others on the bucket.
S3_BUCKET_ACTIONS = {"s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _client_attributes(tree: ast.Module, annotation: str) -> set[str]:
    """`self.X` attributes annotated with the SDK client type (`self._client: S3Client = …`)."""
    return {
        node.target.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Attribute)
        and isinstance(node.annotation, ast.Name)
        and node.annotation.id == annotation
    }


def _is_self_attr(node: ast.expr, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr in names
    )


def _values(node: ast.expr) -> set[str]:
    """The strings an expression can evaluate to: a constant or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body) | _values(node.orelse)
    raise AssertionError(f"cannot tell the S3 operation of {ast.unparse(node)}")


def _strings_assigned(function: ast.AST, name: str) -> set[str]:
    """The strings assigned to `name` inside `function`."""
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found |= _values(node.value)
    assert found, f"no assignment to {name}"
    return found


def s3_adapter_calls() -> set[str]:
    """Every S3 operation service/storage/s3.py makes or signs a URL for."""
    tree = _tree(REPO / "service" / "storage" / "s3.py")
    clients = _client_attributes(tree, "S3Client")
    assert clients, "no `self.X: S3Client` attribute found in the S3 adapter"
    calls: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and _is_self_attr(node.value, clients):
                calls.add(node.attr)
            # A presigned URL is a request the client makes later, with the pod's rights.
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "partial"
                and node.args
                and isinstance(node.args[0], ast.Attribute)
                and node.args[0].attr == "generate_presigned_url"
            ):
                operation = node.args[1]
                if isinstance(operation, ast.Name):
                    calls |= _strings_assigned(function, operation.id)
                else:
                    calls |= _values(operation)
    return calls


def s3_needed_actions() -> set[str]:
    calls = s3_adapter_calls() - S3_LOCAL
    unmapped = calls - set(S3_ACTIONS)
    assert not unmapped, f"map these S3 client methods to IAM actions in S3_ACTIONS: {unmapped}"
    return set().union(*(S3_ACTIONS[c] for c in calls))


def _pod_policy_statements() -> list[dict[str, object]]:
    module = load(TERRAFORM / "modules" / "aws-pod-identity")
    statements: list[dict[str, object]] = module.data[("aws_iam_policy_document", "bucket")][
        "statement"
    ]
    return statements


def test_the_adapter_scan_finds_the_calls_it_should() -> None:
    calls = s3_adapter_calls()
    # Upload, download, listing and presigning are there, or the scan is broken.
    assert {"put_object", "get_object", "list_objects_v2", "generate_presigned_url"} <= calls


def test_pod_s3_actions_equal_what_the_adapter_calls() -> None:
    granted = {unquote(a) for s in _pod_policy_statements() for a in s["actions"]}  # type: ignore[attr-defined]
    s3_granted = {a for a in granted if a.startswith("s3:")}
    needed = s3_needed_actions()
    assert s3_granted == needed, (
        f"granted but never called: {sorted(s3_granted - needed)}; "
        f"called but not granted: {sorted(needed - s3_granted)}"
    )


def test_bucket_and_object_actions_sit_on_their_resources() -> None:
    for statement in _pod_policy_statements():
        actions = {unquote(a) for a in statement["actions"]}  # type: ignore[attr-defined]
        resources = {unquote(r) for r in statement["resources"]}  # type: ignore[attr-defined]
        s3 = {a for a in actions if a.startswith("s3:")}
        if not s3:
            continue
        if s3 <= S3_BUCKET_ACTIONS:
            assert resources == {"${var.bucket_arn}"}, statement
        else:
            assert not s3 & S3_BUCKET_ACTIONS, statement
            assert resources == {"${var.bucket_arn}/*"}, statement
