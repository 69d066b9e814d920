"""A battery of hostile requests against a real server on the local store, each with the exact
status it must get; afterwards nothing exists outside the store root and no rejected request
left anything behind."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.fixtures.service import AUTH_W, READER, WRITER, LiveServer, start_server
from tests.reliability.rawhttp import exchange

MAX_UPLOAD = 64 * 1024
BODY = b"hostile battery body\n"
RANGED = bytes(range(100))  # the object fixtures/r.bin


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    target: str
    status: int | None
    """None: the server must close the connection without an answer."""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    token: str | None = WRITER
    content_length: int | None = None
    close_write: bool = False
    stored: str | None = None
    """A key the request would create: it must exist afterwards exactly when status is 2xx."""
    extra: dict[str, str] = field(default_factory=dict)
    """Response headers that must be present with these values."""
    by_parser: bool = False
    """Refused by uvicorn's HTTP parser before the app runs (plain text, not problem+json)."""


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 (Content-MD5)


OBJ = "/v1/objects/"
CASES = [
    # keys: traversal, separators, control characters, lengths
    Case("dotdot-encoded", "PUT", OBJ + "..%2Fescape-1", 400, body=BODY),
    Case("dotdot-raw", "PUT", OBJ + "a/../../escape-2", 400, body=BODY),
    Case("dotdot-percent-dots", "PUT", OBJ + "%2E%2E/escape-3", 400, body=BODY),
    Case("dot-segment", "PUT", OBJ + "a/./escape-4", 400, body=BODY),
    Case("absolute-encoded", "PUT", OBJ + "%2Fetc%2Fescape-5", 400, body=BODY),
    Case("double-slash", "PUT", OBJ + "a//escape-6", 400, body=BODY),
    Case("trailing-slash", "PUT", OBJ + "escape-7/", 400, body=BODY),
    Case("backslash", "PUT", OBJ + "..%5Cescape-8", 400, body=BODY),
    Case("nul-byte", "PUT", OBJ + "escape%00-9", 400, body=BODY),
    Case("newline", "PUT", OBJ + "escape%0A-10", 400, body=BODY),
    Case("del-char", "PUT", OBJ + "escape%7F-11", 400, body=BODY),
    Case("key-1025-bytes", "PUT", OBJ + "k" * 1025, 400, body=BODY),
    Case("key-1026-utf8-bytes", "PUT", OBJ + "%C3%A9" * 513, 400, body=BODY),
    Case("segment-too-long-for-disk", "PUT", OBJ + "s" * 254, 400, body=BODY),
    Case("get-dotdot", "GET", OBJ + "fixtures/../../etc/passwd", 400),
    Case("delete-dotdot", "DELETE", OBJ + "..%2Ffixtures%2Fr.bin", 400),
    Case("head-dotdot", "HEAD", OBJ + "..", 400),
    Case("list-prefix-dotdot", "GET", "/v1/objects?prefix=../", 400),
    Case("list-limit-zero", "GET", "/v1/objects?limit=0", 422),
    Case("list-limit-huge", "GET", "/v1/objects?limit=1001", 422),
    Case("list-limit-text", "GET", "/v1/objects?limit=ten", 422),
    Case("list-forged-cursor", "GET", "/v1/objects?cursor=Zm9yZ2Vk", 400),
    # ranges on fixtures/r.bin (100 bytes)
    Case(
        "range-first-ten",
        "GET",
        OBJ + "fixtures/r.bin",
        206,
        (("Range", "bytes=0-9"),),
        extra={"content-range": "bytes 0-9/100", "content-length": "10"},
    ),
    Case(
        "range-past-end",
        "GET",
        OBJ + "fixtures/r.bin",
        416,
        (("Range", "bytes=100-200"),),
        extra={"content-range": "bytes */100"},
    ),
    Case("range-suffix-zero", "GET", OBJ + "fixtures/r.bin", 416, (("Range", "bytes=-0"),)),
    Case(
        "range-huge-number",
        "GET",
        OBJ + "fixtures/r.bin",
        416,
        (("Range", "bytes=99999999999999999999999-"),),
    ),
    Case(
        "range-suffix-larger",
        "GET",
        OBJ + "fixtures/r.bin",
        206,
        (("Range", "bytes=-1000"),),
        extra={"content-range": "bytes 0-99/100"},
    ),
    Case("range-backwards", "GET", OBJ + "fixtures/r.bin", 200, (("Range", "bytes=5-2"),)),
    Case("range-multi", "GET", OBJ + "fixtures/r.bin", 200, (("Range", "bytes=0-1,5-6"),)),
    Case("range-other-unit", "GET", OBJ + "fixtures/r.bin", 200, (("Range", "items=0-1"),)),
    # headers on upload
    Case(
        "md5-mismatch",
        "PUT",
        OBJ + "rejected/md5",
        400,
        (("Content-MD5", md5_b64(b"x")),),
        BODY,
        stored="rejected/md5",
    ),
    Case(
        "md5-not-base64",
        "PUT",
        OBJ + "rejected/md5-b64",
        400,
        (("Content-MD5", "%%%"),),
        BODY,
        stored="rejected/md5-b64",
    ),
    Case(
        "sha256-mismatch",
        "PUT",
        OBJ + "rejected/sha",
        400,
        (("x-checksum-sha256", base64.b64encode(bytes(32)).decode()),),
        BODY,
        stored="rejected/sha",
    ),
    Case(
        "meta-bad-name",
        "PUT",
        OBJ + "rejected/meta-name",
        400,
        (("x-meta-.dot", "v"),),
        BODY,
        stored="rejected/meta-name",
    ),
    Case(
        "meta-too-large",
        "PUT",
        OBJ + "rejected/meta-size",
        400,
        (("x-meta-k", "v" * 3000),),
        BODY,
        stored="rejected/meta-size",
    ),
    Case(
        "meta-control-char",
        "PUT",
        OBJ + "rejected/meta-ctl",
        400,
        (("x-meta-k", "a\x01b"),),
        BODY,
        stored="rejected/meta-ctl",
        by_parser=True,
    ),
    Case(
        "content-type-garbage",
        "PUT",
        OBJ + "rejected/ctype",
        400,
        (("Content-Type", "not a type"),),
        BODY,
        stored="rejected/ctype",
    ),
    Case(
        "if-none-match-etag",
        "PUT",
        OBJ + "rejected/inm",
        400,
        (("If-None-Match", '"abc"'),),
        BODY,
        stored="rejected/inm",
    ),
    Case(
        "if-match-two-etags",
        "PUT",
        OBJ + "fixtures/existing",
        400,
        (("If-Match", '"a", "b"'),),
        BODY,
    ),
    Case("if-match-stale", "PUT", OBJ + "fixtures/existing", 412, (("If-Match", '"stale"'),), BODY),
    Case(
        "create-only-existing",
        "PUT",
        OBJ + "fixtures/existing",
        412,
        (("If-None-Match", "*"),),
        BODY,
    ),
    # sizes and framing
    Case(
        "declared-too-large",
        "PUT",
        OBJ + "rejected/declared",
        413,
        content_length=MAX_UPLOAD + 1,
        stored="rejected/declared",
    ),
    Case(
        "chunked-too-large",
        "PUT",
        OBJ + "rejected/chunked",
        413,
        (("Transfer-Encoding", "chunked"),),
        b"".join(b"%x\r\n%s\r\n" % (8192, b"c" * 8192) for _ in range(9)) + b"0\r\n\r\n",
        stored="rejected/chunked",
    ),
    Case(
        "length-longer-than-body",
        "PUT",
        OBJ + "rejected/short-body",
        None,
        body=BODY,
        content_length=len(BODY) + 100,
        close_write=True,
        stored="rejected/short-body",
    ),
    Case(
        "length-negative",
        "PUT",
        OBJ + "rejected/negative",
        400,
        body=BODY,
        content_length=-1,
        stored="rejected/negative",
        by_parser=True,
    ),
    Case(
        "length-not-a-number",
        "PUT",
        OBJ + "rejected/nan",
        400,
        (("Content-Length", "12abc"),),
        BODY,
        stored="rejected/nan",
        by_parser=True,
    ),
    Case(
        "length-and-chunked",
        "PUT",
        OBJ + "rejected/smuggle",
        400,
        (("Content-Length", "5"), ("Transfer-Encoding", "chunked")),
        b"0\r\n\r\n",
        stored="rejected/smuggle",
        by_parser=True,
    ),
    Case("empty-body-is-fine", "PUT", OBJ + "accepted/empty", 201, stored="accepted/empty"),
    # tokens and scopes
    Case("no-token", "GET", OBJ + "fixtures/r.bin", 401, token=None),
    Case("unknown-token", "GET", OBJ + "fixtures/r.bin", 401, token="not-a-token-0123456789ab"),
    Case("token-prefix", "GET", OBJ + "fixtures/r.bin", 401, token=WRITER[:-1]),
    Case("token-huge", "GET", OBJ + "fixtures/r.bin", 401, token="t" * 8000),
    Case(
        "basic-scheme",
        "GET",
        OBJ + "fixtures/r.bin",
        401,
        (("Authorization", "Basic eDp5"),),
        token=None,
    ),
    Case(
        "empty-bearer",
        "GET",
        OBJ + "fixtures/r.bin",
        401,
        (("Authorization", "Bearer "),),
        token=None,
    ),
    Case(
        "reader-puts",
        "PUT",
        OBJ + "rejected/by-reader",
        403,
        body=BODY,
        token=READER,
        stored="rejected/by-reader",
    ),
    Case("reader-deletes", "DELETE", OBJ + "fixtures/r.bin", 403, token=READER),
    Case(
        "no-token-put",
        "PUT",
        OBJ + "rejected/anonymous",
        401,
        body=BODY,
        token=None,
        stored="rejected/anonymous",
    ),
    # methods and presign
    Case("patch-not-allowed", "PATCH", OBJ + "fixtures/r.bin", 405, body=BODY),
    Case(
        "presign-zero-expiry",
        "POST",
        "/v1/presign",
        422,
        (("Content-Type", "application/json"),),
        b'{"key":"a","method":"GET","expires_in":0}',
    ),
    Case(
        "presign-bad-method",
        "POST",
        "/v1/presign",
        422,
        (("Content-Type", "application/json"),),
        b'{"key":"a","method":"POST","expires_in":9}',
    ),
    Case(
        "presign-dotdot-key",
        "POST",
        "/v1/presign",
        400,
        (("Content-Type", "application/json"),),
        b'{"key":"../a","method":"GET","expires_in":9}',
    ),
    Case(
        "presign-not-json",
        "POST",
        "/v1/presign",
        422,
        (("Content-Type", "application/json"),),
        b"{not json",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    base = tmp_path_factory.mktemp("hostile")
    store = base / "store"
    live = start_server(
        base,
        {
            "BUCKETPORT_STORAGE_URL": f"file://{store}",
            "BUCKETPORT_MAX_UPLOAD_BYTES": str(MAX_UPLOAD),
        },
    )
    yield live, base
    live.stop()


def tree(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def run(case: Case, url: str) -> tuple[int | None, dict[str, str]]:
    headers = list(case.headers)
    if case.token is not None:
        headers.append(("Authorization", f"Bearer {case.token}"))
    response = exchange(
        url,
        case.method,
        case.target,
        headers,
        case.body,
        content_length=case.content_length,
        close_write=case.close_write,
    )
    return response.status, response.headers


def test_battery_gets_exact_statuses_and_leaves_nothing_behind(
    server: tuple[LiveServer, Path],
) -> None:
    live, base = server
    assert len(CASES) >= 40
    setup = httpx.put(f"{live.url}/v1/objects/fixtures/r.bin", content=RANGED, headers=AUTH_W)
    existing = httpx.put(f"{live.url}/v1/objects/fixtures/existing", content=b"v1", headers=AUTH_W)
    assert (setup.status_code, existing.status_code) == (201, 201)
    outside = base / "outside"
    outside.mkdir()
    (outside / "sentinel").write_text("untouched")
    before = tree(base) - {p for p in tree(base) if p.startswith("store")}

    wrong = []
    for case in CASES:
        status, headers = run(case, live.url)
        missing = {k: v for k, v in case.extra.items() if headers.get(k) != v}
        if status != case.status or missing:
            wrong.append(f"{case.name}: got {status} {missing or ''}, expected {case.status}")
        elif (
            status
            and status >= 400
            and case.method != "HEAD"
            and not case.by_parser
            and headers.get("content-type") != "application/problem+json"
        ):
            wrong.append(f"{case.name}: {headers.get('content-type')}, not problem+json")
    assert not wrong, "\n".join(wrong)

    # Nothing outside the store root changed; no key escaped into a sibling or parent.
    after = tree(base) - {p for p in tree(base) if p.startswith("store")}
    assert after - before <= {p for p in after if p.startswith("server-")}, after - before
    assert (outside / "sentinel").read_text() == "untouched"
    assert not [p for p in base.parent.rglob("escape*")]
    # Rejected requests stored nothing, accepted ones did; uploads in progress are gone.
    for case in CASES:
        if case.stored:
            got = httpx.head(f"{live.url}/v1/objects/{case.stored}", headers=AUTH_W)
            accepted = case.status is not None and case.status < 300
            assert got.status_code == (200 if accepted else 404), case.name
    assert list((base / "store" / "tmp").iterdir()) == []
    assert httpx.get(f"{live.url}/v1/objects/fixtures/existing", headers=AUTH_W).content == b"v1"
    assert httpx.get(f"{live.url}/v1/objects/fixtures/r.bin", headers=AUTH_W).content == RANGED
    assert os.path.isdir(base / "store" / "objects")
