"""A round trip through a running service: the chart's `helm test` and the image test use it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


class SmokeFailure(Exception):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


def _call(
    method: str, url: str, token: str | None, body: bytes | None = None, **headers: str
) -> Answer:
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (URL from the operator)
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return Answer(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers.items()), error.read())


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def token_from_file(path: Path) -> str:
    """The first token in a BUCKETPORT_AUTH_TOKENS_FILE that may both read and write."""
    for entry in json.loads(path.read_text()):
        if {"read", "write"} <= set(entry.get("scopes", [])):
            return str(entry["token"])
    raise SmokeFailure(f"{path} holds no token with both read and write scopes")


def run(base_url: str, token: str | None, size: int = 256 * 1024) -> list[str]:
    """PUT, GET, HEAD, DELETE one random object; returns the steps passed, raises on failure."""
    base = base_url.rstrip("/")
    steps: list[str] = []

    def expect(name: str, answer: Answer, status: int) -> Answer:
        if answer.status != status:
            detail = answer.body[:300].decode(errors="replace")
            raise SmokeFailure(f"{name}: expected {status}, got {answer.status}: {detail}")
        steps.append(f"{name} {status}")
        return answer

    expect("healthz", _call("GET", f"{base}/healthz", None), 200)
    expect("readyz", _call("GET", f"{base}/readyz", None), 200)
    payload = secrets.token_bytes(size)
    digest = base64.b64encode(hashlib.sha256(payload).digest()).decode()
    url = f"{base}/v1/objects/{quote(f'smoke/{secrets.token_hex(8)}.bin')}"
    put = expect(
        "put",
        _call(
            "PUT",
            url,
            token,
            payload,
            x_checksum_sha256=digest,
            If_None_Match="*",
            Content_Type="application/octet-stream",
        ),
        201,
    )
    etag = put.headers.get("etag")
    try:
        got = expect("get", _call("GET", url, token), 200)
        if got.body != payload:
            raise SmokeFailure("get: the body differs from what was uploaded")
        if got.headers.get("etag") != etag:
            raise SmokeFailure("get: the ETag differs from the one PUT returned")
        head = expect("head", _call("HEAD", url, token), 200)
        if head.headers.get("content-length") != str(size):
            raise SmokeFailure("head: wrong Content-Length")
    finally:
        expect("delete", _call("DELETE", url, token), 204)
    expect("gone", _call("GET", url, token), 404)
    return steps


def resolve_token(token_file: Path | None) -> str | None:
    if token_file is not None:
        return token_from_file(token_file)
    return os.environ.get("BUCKETPORT_SMOKE_TOKEN") or None
