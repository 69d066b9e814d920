"""The resumable-upload protocol where fake-gcs-server never goes: pieces GCS persists only in
part, transient failures, a lost response to the final piece. A scripted session stands in
for GCS and records what the adapter sends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from service.storage.base import BackendUnavailable, PreconditionFailed
from service.storage.gcs import GcsStore

URL = "http://gcs.invalid/upload?upload_id=1"


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
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
        return SimpleNamespace(method="PUT", url=URL)


def held(upto: int) -> Answer:
    return Answer(308, {"Range": f"bytes=0-{upto - 1}"} if upto else {})


class Script:
    def __init__(self, *answers: Answer | Exception) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, bytes]] = []

    def put(self, url: str, data: bytes = b"", headers: Any = None, timeout: Any = None) -> Any:
        assert url == URL
        self.sent.append((headers["Content-Range"], bytes(data)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def store(make_gcs: Callable[..., GcsStore], monkeypatch: pytest.MonkeyPatch) -> GcsStore:
    gcs = make_gcs("bucket")
    monkeypatch.setattr("service.storage.gcs.time.sleep", lambda _: None)
    return gcs


def run(store: GcsStore, script: Script, data: bytes, offset: int, total: int | None) -> Any:
    store._http = script  # type: ignore[assignment]
    return store._send(URL, data, offset, total)


def test_a_piece_held_in_full_is_done(store: GcsStore) -> None:
    script = Script(held(8))
    assert run(store, script, b"abcdefgh", 0, None) is None
    assert script.sent == [("bytes 0-7/*", b"abcdefgh")]


def test_what_gcs_did_not_persist_is_resent(store: GcsStore) -> None:
    script = Script(held(13), held(16))
    assert run(store, script, b"abcdefgh", 8, None) is None
    assert script.sent == [("bytes 8-15/*", b"abcdefgh"), ("bytes 13-15/*", b"fgh")]


def test_a_transient_failure_resumes_where_gcs_stands(store: GcsStore) -> None:
    script = Script(
        requests.ConnectionError("reset"),
        held(10),  # the status query: two bytes of this piece arrived
        Answer(503),
        held(12),
        Answer(200, body={"name": "k"}),
    )
    assert run(store, script, b"abcdef", 8, 14) == {"name": "k"}
    assert script.sent == [
        ("bytes 8-13/14", b"abcdef"),
        ("bytes */*", b""),
        ("bytes 10-13/14", b"cdef"),
        ("bytes */*", b""),
        ("bytes 12-13/14", b"ef"),
    ]


def test_a_lost_answer_to_the_final_piece_finds_the_object(store: GcsStore) -> None:
    script = Script(requests.ReadTimeout("lost"), Answer(200, body={"name": "k"}))
    assert run(store, script, b"ab", 0, 2) == {"name": "k"}


def test_all_bytes_held_but_not_finalized_sends_the_total(store: GcsStore) -> None:
    script = Script(held(2), Answer(201, body={"name": "k"}))
    assert run(store, script, b"ab", 0, 2) == {"name": "k"}
    assert script.sent[1] == ("bytes */2", b"")


def test_losing_an_earlier_piece_fails(store: GcsStore) -> None:
    script = Script(Answer(502), held(3))
    with pytest.raises(BackendUnavailable, match="earlier piece"):
        run(store, script, b"abcd", 8, None)


def test_retries_end(store: GcsStore) -> None:
    script = Script(*[Answer(503), held(0)] * 5)
    with pytest.raises(BackendUnavailable, match="after retries"):
        run(store, script, b"ab", 0, None)


def test_a_refused_precondition_is_not_retried(store: GcsStore) -> None:
    script = Script(Answer(412))
    with pytest.raises(PreconditionFailed):
        run(store, script, b"ab", 0, 2)
    assert len(script.sent) == 1
