"""What the S3 adapter sends moto: `Expect: 100-continue` only for bodies over 2 MiB (a round
trip per small PUT otherwise), and the objects arrive whole either way."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from service.storage.s3 import EXPECT_CONTINUE_ABOVE
from tests.integration.sync_helpers import S3_PART, body, make_store, read

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_only_large_bodies_wait_for_100_continue(
    tmp_path: Path, moto_endpoint: str, gcs_endpoint: str
) -> None:
    store = make_store("s3", tmp_path, moto_endpoint, gcs_endpoint)
    sent: list[tuple[str, int, str | None]] = []

    def capture(request: Any, **_: Any) -> None:
        length = int(request.headers.get("Content-Length", 0))
        expect = request.headers.get("Expect")
        sent.append((request.method, length, expect.decode() if expect else None))

    store._client.meta.events.register("before-send.s3", capture)
    small = os.urandom(EXPECT_CONTINUE_ABOVE)
    large = os.urandom(S3_PART + 1)  # two parts: 5 MiB and 1 byte
    await store.put("small", body(small))
    await store.put("large", body(large))
    puts = [(length, expect) for method, length, expect in sent if method == "PUT" and length]
    assert (EXPECT_CONTINUE_ABOVE, None) in puts
    assert (S3_PART, "100-continue") in puts
    assert (1, None) in puts  # the last part is small
    assert await read(store, "small") == small
    assert await read(store, "large") == large
    await store.aclose()
