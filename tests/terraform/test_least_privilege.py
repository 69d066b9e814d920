"""The pods' cloud permissions are exactly what the storage adapters call (issue 10, item 15).

The calls are read from the adapters' code with ast, mapped to IAM through the clouds' own
tables below (one line per SDK method, not a list of expected permissions), and compared with
what terraform/ grants. A new SDK call in an adapter fails here until it is mapped and granted;
a grant no adapter call needs fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from tests.terraform.tfconfig import REPO, TERRAFORM, expression, load, unquote

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
# Client methods and attributes that send no request of their own (`meta`: its event hooks).
S3_LOCAL = {
    "close",
    "generate_presigned_url",
    "can_paginate",
    "get_paginator",
    "get_waiter",
    "meta",
}

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


def _pod_policy_statements() -> list[dict[str, Any]]:
    module = load(TERRAFORM / "modules" / "aws-pod-identity")
    statements: list[dict[str, Any]] = module.data[("aws_iam_policy_document", "bucket")][
        "statement"
    ]
    return statements


def test_the_adapter_scan_finds_the_calls_it_should() -> None:
    calls = s3_adapter_calls()
    # Upload, download, listing and presigning are there, or the scan is broken.
    assert {"put_object", "get_object", "list_objects_v2", "generate_presigned_url"} <= calls


def test_pod_s3_actions_equal_what_the_adapter_calls() -> None:
    granted = {unquote(a) for s in _pod_policy_statements() for a in s["actions"]}
    s3_granted = {a for a in granted if a.startswith("s3:")}
    needed = s3_needed_actions()
    assert s3_granted == needed, (
        f"granted but never called: {sorted(s3_granted - needed)}; "
        f"called but not granted: {sorted(needed - s3_granted)}"
    )


def test_bucket_and_object_actions_sit_on_their_resources() -> None:
    for statement in _pod_policy_statements():
        actions = {unquote(a) for a in statement["actions"]}
        resources = {unquote(r) for r in statement["resources"]}
        s3 = {a for a in actions if a.startswith("s3:")}
        if not s3:
            continue
        if s3 <= S3_BUCKET_ACTIONS:
            assert resources == {"${var.bucket_arn}"}, statement
        else:
            assert not s3 & S3_BUCKET_ACTIONS, statement
            assert resources == {"${var.bucket_arn}/*"}, statement


# --- GCS --------------------------------------------------------------------------------

# (class, receiver, method) in the GCS adapter -> IAM permissions of the caller (Cloud Storage
# "IAM permissions" reference: replacing an existing object needs storage.objects.delete besides
# storage.objects.create). Receivers: self._client (storage.Client), self._bucket (Bucket),
# `blob` (Blob), `upload` (google-resumable-media ResumableUpload: `initiate` opens the
# session, whose URL then authorises every piece), self._session (GcsStore: the authorised
# session for media downloads and session cancels; _Deadline: the transport of the resumable
# session's requests; IamSigner: signBlob).
CREATE_OR_REPLACE = {"storage.objects.create", "storage.objects.delete"}
GCS_PERMISSIONS: dict[tuple[str, str, str], set[str]] = {
    ("GcsStore", "self._client", "bucket"): set(),
    ("GcsStore", "self._client", "close"): set(),
    ("GcsStore", "self._client", "list_blobs"): {"storage.objects.list"},
    ("GcsStore", "self._bucket", "blob"): set(),
    ("GcsStore", "self._bucket", "get_blob"): {"storage.objects.get"},
    ("GcsStore", "blob", "delete"): {"storage.objects.delete"},
    # signs locally through credentials.sign_bytes (IamSigner below)
    ("GcsStore", "blob", "generate_signed_url"): set(),
    ("GcsStore", "blob", "patch"): {"storage.objects.update"},  # metadata of an uploaded object
    ("GcsStore", "blob", "upload_from_string"): CREATE_OR_REPLACE,
    ("GcsStore", "upload", "initiate"): CREATE_OR_REPLACE,
    ("GcsStore", "self._session", "delete"): set(),  # cancels a resumable session
    ("GcsStore", "self._session", "get"): {"storage.objects.get"},  # media download
    ("GcsStore", "self._session", "mount"): set(),
    ("_Deadline", "self._session", "request"): set(),  # pieces of an initiated session
    ("IamSigner", "self._session", "post"): {"iam.serviceAccounts.signBlob"},
}
# What a V4 signed URL of each presign method does, with the signer's rights.
SIGNED_URL_PERMISSIONS = {"GET": {"storage.objects.get"}, "PUT": CREATE_OR_REPLACE}
GCS_RECEIVERS = {"self._client", "self._bucket", "self._session", "blob", "upload"}


def _receiver(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        name = f"self.{node.attr}"
    elif isinstance(node, ast.Name):
        name = node.id
    else:
        return None
    return name if name in GCS_RECEIVERS else None


def gcs_adapter_calls() -> set[tuple[str, str, str]]:
    """(class, receiver, method) of every SDK and HTTP call service/storage/gcs.py makes."""
    tree = _tree(REPO / "service" / "storage" / "gcs.py")
    calls = set()
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        for node in ast.walk(cls):
            target: ast.expr | None = None
            if isinstance(node, ast.Call):
                target = node.func
                if isinstance(node.func, ast.Name) and node.func.id == "partial" and node.args:
                    target = node.args[0]
            if isinstance(target, ast.Attribute):
                receiver = _receiver(target.value)
                if receiver is not None:
                    calls.add((cls.name, receiver, target.attr))
    return calls


def presign_methods() -> set[str]:
    """The values of storage.base.PresignMethod (Literal[...])."""
    tree = _tree(REPO / "service" / "storage" / "base.py")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "PresignMethod" for t in node.targets)
            and isinstance(node.value, ast.Subscript)
        ):
            return {
                c.value
                for c in ast.walk(node.value.slice)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    raise AssertionError("PresignMethod not found in service/storage/base.py")


def gcs_needed() -> tuple[set[str], set[str]]:
    """(permissions of the workload, permissions of the signer's signed URLs)."""
    calls = gcs_adapter_calls()
    unmapped = calls - set(GCS_PERMISSIONS)
    assert not unmapped, f"map these GCS calls to IAM permissions in GCS_PERMISSIONS: {unmapped}"
    workload = set().union(*(GCS_PERMISSIONS[c] for c in calls))
    signer = set()
    if ("GcsStore", "blob", "generate_signed_url") in calls:
        signer = set().union(*(SIGNED_URL_PERMISSIONS[m] for m in presign_methods()))
    return workload, signer


def _gcs_module_grants() -> tuple[set[str], set[str]]:
    """(permissions granted to the workload principal, to the signer service account)."""
    module = load(TERRAFORM / "modules" / "gcs-workload-identity")

    def role_permissions(role_expr: str) -> set[str]:
        ref = expression(role_expr) or ""
        assert ref.startswith("google_project_iam_custom_role."), (
            f"{role_expr}: grant a custom role, whose permissions are checked here"
        )
        name = ref.split(".")[1]
        body = module.resources[("google_project_iam_custom_role", name)]
        permissions = body["permissions"]
        if isinstance(permissions, str):  # a local
            permissions = module.locals[(expression(permissions) or "").removeprefix("local.")]
        return {unquote(p) for p in permissions}

    workload: set[str] = set()
    signer: set[str] = set()
    for (type_, _), body in module.resources.items():
        if type_ not in {"google_storage_bucket_iam_member", "google_service_account_iam_member"}:
            continue
        member = expression(body["member"]) or unquote(body["member"])
        granted = role_permissions(body["role"])
        if member == "local.principal":
            workload |= granted
        elif member == "google_service_account.signer.member":
            signer |= granted
        else:
            raise AssertionError(f"unexpected member {member}")
    return workload, signer


def test_the_gcs_scan_finds_the_calls_it_should() -> None:
    calls = gcs_adapter_calls()
    assert {
        ("GcsStore", "self._bucket", "get_blob"),
        ("GcsStore", "self._client", "list_blobs"),
        ("GcsStore", "blob", "delete"),
        ("IamSigner", "self._session", "post"),
    } <= calls
    assert presign_methods() == {"GET", "PUT"}


def test_gcs_grants_equal_what_the_adapter_calls() -> None:
    workload_needed, signer_needed = gcs_needed()
    workload, signer = _gcs_module_grants()
    assert workload == workload_needed, (
        f"workload: granted but never used {sorted(workload - workload_needed)}, "
        f"used but not granted {sorted(workload_needed - workload)}"
    )
    assert signer == signer_needed, (
        f"signer: granted but never used {sorted(signer - signer_needed)}, "
        f"used but not granted {sorted(signer_needed - signer)}"
    )
