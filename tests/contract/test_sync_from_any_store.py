"""The sync job copies type and metadata from every backend, including S3, whose listing
carries neither (they come from the GET of each object)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.jobs.sync import Options, sync
from service.storage.local import LocalStore
from service.storage.threads import Blocking
from tests.contract.conftest import Backend
from tests.contract.test_store_contract import body

pytestmark = pytest.mark.anyio


async def test_sync_keeps_type_and_metadata(backend: Backend, tmp_path: Path) -> None:
    await backend.store.put(
        "typed/a.csv", body(b"a,b"), content_type="text/csv", metadata={"owner": "ana"}
    )
    target = LocalStore(tmp_path / "copy", blocking=Blocking(4), presign_secret=b"k" * 32)
    try:
        report = await sync(backend.store, target, Options(prefix="typed/"))
        assert report.copied == 1
        copied = await target.head("typed/a.csv")
    finally:
        await target.aclose()
    assert (copied.content_type, copied.metadata) == ("text/csv", {"owner": "ana"})
