"""Presigned URLs: S3 SigV4 used with plain httpx against moto's server, GCS V4 with a key
(used against fake-gcs-server) and keyless through a stub IAM signBlob endpoint."""

# google-auth and api-core constructors are untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import credentials as oauth2
from google.oauth2 import service_account

from service.storage.base import (
    MAX_PRESIGN_SECONDS,
    InvalidArgument,
    InvalidKey,
    NotSupported,
    ObjectStore,
    SignedURL,
)
from service.storage.gcs import GcsStore
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from service.storage.threads import Blocking
from tests.contract.conftest import gcs_bucket, s3_bucket

pytestmark = pytest.mark.anyio
SIGNER = "signer@project.iam.gserviceaccount.com"


async def fetch(method: str, url: str, **options: Any) -> httpx.Response:
    """Plain HTTP, no SDK: what a browser or curl holding the URL does."""
    async with httpx.AsyncClient() as client:
        return await client.request(method, url, **options)


def query(signed: SignedURL) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(signed.url).query).items()}


def assert_expiry(signed: SignedURL, seconds: int) -> None:
    expected = datetime.now(UTC) + timedelta(seconds=seconds)
    assert abs((signed.expires_at - expected).total_seconds()) < 5


async def test_s3_presigned_put_then_get_with_plain_http(
    moto_endpoint: str, make_s3: Callable[..., S3Store]
) -> None:
    _, bucket = s3_bucket(moto_endpoint)
    store = make_s3(bucket, "base")
    put = await store.presign("docs/report.txt", "PUT", 600, content_type="text/plain")
    assert put.headers == {"Content-Type": "text/plain"}
    fields = query(put)
    assert fields["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["X-Amz-Expires"] == "601"  # one second more: see remote.sign_at_least
    assert "content-type" in fields["X-Amz-SignedHeaders"].split(";")
    assert_expiry(put, 600)
    assert urlsplit(put.url).path == f"/{bucket}/base/docs/report.txt"

    uploaded = await fetch("PUT", put.url, content=b"signed body", headers=dict(put.headers))
    assert uploaded.status_code == 200

    get = await store.presign("docs/report.txt", "GET", 60)
    assert get.headers == {}
    downloaded = await fetch("GET", get.url)
    assert downloaded.status_code == 200
    assert downloaded.content == b"signed body"
    assert downloaded.headers["content-type"] == "text/plain"
    info = await store.head("docs/report.txt")
    assert info.size == len(b"signed body")
    await store.aclose()


async def test_s3_signs_for_the_public_endpoint(
    moto_endpoint: str, make_s3: Callable[..., S3Store]
) -> None:
    """The Host is part of SigV4: a URL for clients must be signed for the host they use."""
    _, bucket = s3_bucket(moto_endpoint)
    public = moto_endpoint.replace("127.0.0.1", "localhost")
    store = make_s3(bucket, public_endpoint_url=public)
    signed = await store.presign("k", "GET", 60)
    assert signed.url.startswith(f"{public}/{bucket}/k?")
    await store.put("k", _body(b"via public"))
    assert (await fetch("GET", signed.url)).content == b"via public"
    await store.aclose()


@pytest.mark.parametrize("seconds", [0, MAX_PRESIGN_SECONDS + 1])
async def test_expiry_is_capped_at_seven_days(
    seconds: int,
    moto_endpoint: str,
    make_s3: Callable[..., S3Store],
    make_gcs: Callable[..., GcsStore],
    gcs_endpoint: str,
) -> None:
    stores: list[ObjectStore] = [
        make_s3(s3_bucket(moto_endpoint)[1]),
        make_gcs(gcs_bucket(gcs_endpoint)),
    ]
    for store in stores:
        with pytest.raises(InvalidArgument):
            await store.presign("k", "GET", seconds)
        await store.aclose()


def service_account_key() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "type": "service_account",
        "client_email": "keyed@project.iam.gserviceaccount.com",
        "private_key": pem.decode(),
        "private_key_id": "test-key",
        "token_uri": "http://127.0.0.1:9/token",  # never used: signing needs no token
        "project_id": "project",
    }


async def test_gcs_v4_url_with_a_key(gcs_endpoint: str, make_gcs: Callable[..., GcsStore]) -> None:
    keyed = service_account.Credentials.from_service_account_info(service_account_key())
    bucket = gcs_bucket(gcs_endpoint)
    store = make_gcs(bucket, "base", signing_credentials=keyed)

    put = await store.presign("a b/ü.txt", "PUT", 900, content_type="text/plain")
    fields = query(put)
    assert fields["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert fields["X-Goog-Credential"].startswith("keyed@project.iam.gserviceaccount.com/")
    assert fields["X-Goog-Expires"] == "901"  # one second more: see remote.sign_at_least
    assert set(fields["X-Goog-SignedHeaders"].split(";")) == {"content-type", "host"}
    assert len(fields["X-Goog-Signature"]) == 512  # hex of a 2048-bit RSA signature
    assert put.url.startswith(f"{gcs_endpoint}/{bucket}/base/a%20b/%C3%BC.txt?")
    assert put.headers == {"Content-Type": "text/plain"}
    assert put.method == "PUT"
    assert_expiry(put, 900)

    await store.put("a b/ü.txt", _body(b"hello"))
    get = await store.presign("a b/ü.txt", "GET", 60)
    assert query(get)["X-Goog-SignedHeaders"] == "host"
    # The emulator serves signed GETs (without checking signatures); it has no signed PUT.
    assert (await fetch("GET", get.url)).content == b"hello"
    await store.aclose()


class SignBlob(BaseHTTPRequestHandler):
    """IAM Credentials signBlob, as far as a signer needs it."""

    calls: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        payload = json.loads(self.rfile.read(length))
        self.calls.append(
            {"path": self.path, "auth": self.headers["Authorization"], "payload": payload}
        )
        answer = json.dumps(
            {"keyId": "k1", "signedBlob": base64.b64encode(b"\x01\x02signature").decode()}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sign_blob() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    calls: list[dict[str, Any]] = []
    handler = type("Handler", (SignBlob,), {"calls": calls})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", calls
    server.shutdown()
    thread.join()


async def test_gcs_keyless_signing_through_sign_blob(
    gcs_endpoint: str,
    make_gcs: Callable[..., GcsStore],
    sign_blob: tuple[str, list[dict[str, Any]]],
) -> None:
    """Workload Identity: a token but no key; IAM signs as the configured signer."""
    endpoint, calls = sign_blob
    token_only = oauth2.Credentials(token="workload-identity-token")
    store = make_gcs(
        gcs_bucket(gcs_endpoint),
        signer_email=SIGNER,
        signing_credentials=token_only,
        iam_endpoint=endpoint,
    )
    signed = await store.presign("k", "GET", 3600)
    assert len(calls) == 1
    call = calls[0]
    assert call["path"] == f"/v1/projects/-/serviceAccounts/{SIGNER}:signBlob"
    assert call["auth"] == "Bearer workload-identity-token"
    string_to_sign = base64.b64decode(call["payload"]["payload"]).decode()
    algorithm, timestamp, scope, _request_hash = string_to_sign.split("\n")
    assert algorithm == "GOOG4-RSA-SHA256"
    fields = query(signed)
    assert fields["X-Goog-Date"] == timestamp
    assert fields["X-Goog-Credential"] == f"{SIGNER}/{scope}"
    assert fields["X-Goog-Signature"] == b"\x01\x02signature".hex()
    assert fields["X-Goog-Expires"] == "3601"
    await store.aclose()


async def test_gcs_keyless_without_a_signer_is_not_supported(
    gcs_endpoint: str, make_gcs: Callable[..., GcsStore]
) -> None:
    store = make_gcs(gcs_bucket(gcs_endpoint), signing_credentials=oauth2.Credentials(token="t"))
    with pytest.raises(NotSupported, match="BUCKETPORT_GCS_SIGNER_EMAIL"):
        await store.presign("k", "GET", 60)
    await store.aclose()


async def _body(data: bytes) -> Any:
    yield data


def signed_expiry(signed: SignedURL) -> datetime | None:
    """When the URL itself says it expires: Date + Expires (SigV4, GCS V4), or the local one."""
    fields = query(signed)
    for prefix in ("X-Amz-", "X-Goog-"):
        if prefix + "Date" in fields:
            start = datetime.strptime(fields[prefix + "Date"], "%Y%m%dT%H%M%SZ")
            lifetime = timedelta(seconds=int(fields[prefix + "Expires"]))
            return start.replace(tzinfo=UTC) + lifetime
    if "X-Bucketport-Expires" in fields:
        return datetime.fromtimestamp(int(fields["X-Bucketport-Expires"]), UTC)
    return None


@pytest.mark.parametrize("seconds", [1, 60, MAX_PRESIGN_SECONDS])
async def test_expiry_is_never_earlier_than_asked(
    seconds: int,
    tmp_path: Path,
    moto_endpoint: str,
    make_s3: Callable[..., S3Store],
    make_gcs: Callable[..., GcsStore],
    gcs_endpoint: str,
) -> None:
    keyed = service_account.Credentials.from_service_account_info(service_account_key())
    stores: list[ObjectStore] = [
        make_s3(s3_bucket(moto_endpoint)[1]),
        make_gcs(gcs_bucket(gcs_endpoint), signing_credentials=keyed),
        LocalStore(tmp_path, blocking=Blocking(2), presign_secret=b"k" * 32),
    ]
    for store in stores:
        for _ in range(3):  # whatever the fraction of the second at which it is asked
            asked = datetime.now(UTC) + timedelta(seconds=seconds)
            signed = await store.presign("k", "GET", seconds)
            assert signed.expires_at >= asked, store.backend
            assert signed.expires_at == signed_expiry(signed), store.backend
            assert signed.expires_at <= asked + timedelta(seconds=2), store.backend
        await store.aclose()


async def test_keys_follow_the_backends_rules(
    tmp_path: Path,
    moto_endpoint: str,
    make_s3: Callable[..., S3Store],
    make_gcs: Callable[..., GcsStore],
    gcs_endpoint: str,
) -> None:
    keyed = service_account.Credentials.from_service_account_info(service_account_key())
    at_limit = "k" * 1024  # a valid key, but not under a base prefix (1024 bytes in all)
    for store in (
        make_s3(s3_bucket(moto_endpoint)[1], "base"),
        make_gcs(gcs_bucket(gcs_endpoint), "base", signing_credentials=keyed),
    ):
        with pytest.raises(InvalidKey):
            await store.presign(at_limit, "GET", 60)
        with pytest.raises(InvalidKey):
            await store.put(at_limit, _body(b"x"))
        await store.aclose()
    local = LocalStore(tmp_path, blocking=Blocking(2), presign_secret=b"k" * 32)
    with pytest.raises(InvalidKey):
        await local.presign("a/" + "s" * 300, "PUT", 60)  # a segment past a file name's limit
