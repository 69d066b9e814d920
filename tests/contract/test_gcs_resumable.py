"""The resumable upload where fake-gcs-server never goes: pieces GCS persists only in part,
transient failures, a lost answer to the final piece, a refused precondition, a body that does
not match its checksum. A scripted session stands in for GCS and records what the adapter
(google-resumable-media under it) sends; the test drives `put` as the API does."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from service.storage.base import (
    BackendUnavailable,
    ChecksumMismatch,
    ExpectedChecksums,
    PreconditionFailed,
    StorageError,
)
from service.storage.gcs import GcsStore

pytestmark = pytest.mark.anyio

PIECE = 512 * 1024  # two of GCS's 256 KiB units
UNIT = 256 * 1024
SESSION = "http://gcs.invalid/upload?upload_id=1"
RESOURCE = {
    "name": "k",
    "generation": "7",
    "size": "0",
    "updated": "2026-12-01T20:00:00.000Z",
    "contentType": "application/octet-stream",
}


@dataclass
class Answer:
    status_code: int
    headers: CaseInsensitiveDict[str] = field(default_factory=CaseInsensitiveDict)
    body: Any = None

    def json(self) -> Any:
        return self.body

    @property
    def content(self) -> bytes:
        return b"{}"

    @property
    def text(self) -> str:
        return "{}"

    @property
    def reason(self) -> str:
        return "scripted"

    @property
    def request(self) -> Any:
        return SimpleNamespace(method="PUT", url=SESSION)


def started() -> Answer:
    return Answer(200, CaseInsensitiveDict({"Location": SESSION}))


def held(upto: int) -> Answer:
    return Answer(308, CaseInsensitiveDict({"Range": f"bytes=0-{upto - 1}"} if upto else {}))


def done(size: int) -> Answer:
    return Answer(200, body=RESOURCE | {"size": str(size)})


class Script:
    """Answers each request with the next scripted answer (an exception is raised)."""

    def __init__(self, *answers: Answer | Exception) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, bytes]] = []

    def request(
        self, method: str, url: str, data: Any = None, headers: Any = None, **_: Any
    ) -> Any:
        if method == "POST":
            self.sent.append(("POST", "", bytes(data)))
        else:
            assert url == SESSION
            self.sent.append(
                (method, CaseInsensitiveDict(headers)["Content-Range"], bytes(data or b""))
            )
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def delete(self, url: str, **_: Any) -> Any:
        self.sent.append(("DELETE", "", b""))
        return Answer(204)

    @property
    def ranges(self) -> list[str]:
        return [sent[1] for sent in self.sent if sent[0] == "PUT"]


def assert_each_range_carries_its_bytes(script: Script, payload: bytes) -> None:
    for method, content_range, sent in script.sent:
        if method == "PUT" and not content_range.startswith("bytes */"):
            first, last = content_range.split(" ")[1].split("/")[0].split("-")
            assert sent == payload[int(first) : int(last) + 1], content_range


@pytest.fixture
def make_store(
    make_gcs: Callable[..., GcsStore], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., GcsStore]:
    monkeypatch.setattr(time, "sleep", lambda _: None)  # resumable-media's retry backoff

    def make(script: Script, **options: Any) -> GcsStore:
        store = make_gcs("bucket", chunk_size=PIECE, **options)
        store._session = script  # type: ignore[assignment]
        return store

    return make


async def body(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def data(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


async def test_pieces_go_as_chunks_and_only_the_last_finalizes(
    make_store: Callable[..., GcsStore],
) -> None:
    size = 2 * PIECE + 100
    script = Script(started(), held(PIECE), held(2 * PIECE), done(size))
    payload = data(size)
    written = await make_store(script).put("k", body(payload))
    assert_each_range_carries_its_bytes(script, payload)
    assert script.ranges == [
        f"bytes 0-{PIECE - 1}/*",
        f"bytes {PIECE}-{2 * PIECE - 1}/*",
        f"bytes {2 * PIECE}-{size - 1}/{size}",
    ]
    assert [len(sent[2]) for sent in script.sent[1:]] == [PIECE, PIECE, 100]
    assert (written.info.etag, written.info.size, written.created) == ("7", size, True)


async def test_a_body_of_whole_pieces_ends_with_an_empty_final_request(
    make_store: Callable[..., GcsStore],
) -> None:
    size = 2 * PIECE
    script = Script(started(), held(PIECE), held(size), done(size))
    await make_store(script).put("k", body(data(size)))
    assert script.ranges[-1] == f"bytes */{size}"


async def test_what_gcs_did_not_persist_is_sent_again(
    make_store: Callable[..., GcsStore],
) -> None:
    size = 2 * PIECE + 100
    payload = data(size)
    # GCS keeps only half of the first chunk; the rest goes again with the next piece.
    script = Script(started(), held(UNIT), held(UNIT + PIECE), done(size))
    await make_store(script).put("k", body(payload))
    assert script.ranges == [
        f"bytes 0-{PIECE - 1}/*",
        f"bytes {UNIT}-{UNIT + PIECE - 1}/*",
        f"bytes {UNIT + PIECE}-{size - 1}/{size}",
    ]
    assert_each_range_carries_its_bytes(script, payload)


async def test_transient_failures_are_retried(
    make_store: Callable[..., GcsStore],
) -> None:
    size = PIECE + 100
    script = Script(
        started(),
        requests.ConnectionError("reset"),  # resumable-media sends the chunk again
        Answer(503),  # and again
        held(PIECE),
        done(size),
    )
    written = await make_store(script).put("k", body(data(size)))
    assert script.ranges == [f"bytes 0-{PIECE - 1}/*"] * 3 + [f"bytes {PIECE}-{size - 1}/{size}"]
    assert written.info.size == size


async def test_a_lost_answer_to_the_final_piece_finds_the_object(
    make_store: Callable[..., GcsStore],
) -> None:
    size = PIECE + 1
    script = Script(started(), held(PIECE), requests.ReadTimeout("lost"), done(size))
    written = await make_store(script).put("k", body(data(size)))
    assert written.info.etag == "7"
    assert script.ranges[-2:] == [f"bytes {PIECE}-{PIECE}/{size}"] * 2


async def test_a_refused_precondition_is_not_retried_and_the_session_is_cancelled(
    make_store: Callable[..., GcsStore],
) -> None:
    script = Script(started(), Answer(412))
    with pytest.raises(PreconditionFailed):
        await make_store(script).put("k", body(data(PIECE + 1)))
    assert [sent[0] for sent in script.sent] == ["POST", "PUT", "DELETE"]


async def test_a_body_that_does_not_match_its_checksum_is_never_finalized(
    make_store: Callable[..., GcsStore],
) -> None:
    size = 2 * PIECE + 100
    wrong = ExpectedChecksums(sha256=hashlib.sha256(b"something else").digest())
    script = Script(started(), held(PIECE), held(2 * PIECE))
    with pytest.raises(ChecksumMismatch):
        await make_store(script).put("k", body(data(size)), checksums=wrong)
    assert not any(sent[1].endswith(f"/{size}") for sent in script.sent)
    assert script.sent[-1][0] == "DELETE"


async def test_the_md5_the_client_sent_goes_to_gcs_too(
    make_store: Callable[..., GcsStore],
) -> None:
    size = PIECE + 1
    payload = data(size)
    md5 = hashlib.md5(payload).digest()  # noqa: S324 (Content-MD5)
    script = Script(started(), held(PIECE), done(size))
    await make_store(script).put("k", body(payload), checksums=ExpectedChecksums(md5=md5))
    assert json.loads(script.sent[0][2])["md5Hash"] == base64.b64encode(md5).decode()


async def test_losing_an_earlier_piece_fails(make_store: Callable[..., GcsStore]) -> None:
    # GCS confirmed the first piece, then says it holds only half of it.
    script = Script(started(), held(PIECE), Answer(502), held(UNIT))
    with pytest.raises(BackendUnavailable, match="earlier piece"):
        await make_store(script).put("k", body(data(3 * PIECE)))
    assert script.sent[-1][0] == "DELETE"


async def test_retries_end_at_the_storage_timeout(make_store: Callable[..., GcsStore]) -> None:
    class Down(Script):
        def request(
            self, method: str, url: str, data: Any = None, headers: Any = None, **_: Any
        ) -> Any:
            if method == "POST":
                return started()
            self.sent.append((method, "", b""))
            raise requests.ConnectionError("refused")

    script = Down()
    start = time.monotonic()
    with pytest.raises(StorageError) as caught:
        await make_store(script, timeout=0.3).put("k", body(data(PIECE + 1)))
    assert time.monotonic() - start < 5
    assert isinstance(caught.value, BackendUnavailable)
    assert caught.value.detail == "GCS cannot be reached."
    assert script.sent[-1][0] == "DELETE"


def test_the_adapter_reaches_no_private_part_of_the_sdk() -> None:
    """Only the public API of google-cloud-storage, google-resumable-media and google-auth:
    every `_name` the adapter touches is its own (on `self`), or namedtuple's public API."""
    import ast
    import inspect

    from service.storage import gcs

    tree = ast.parse(inspect.getsource(gcs))
    foreign = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and node.attr not in {"_replace", "_asdict"}
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]
    assert foreign == []
