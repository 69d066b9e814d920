"""object_headers with the datetimes adapters really produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest
from dateutil.tz import tzutc  # type: ignore[import-untyped]  # what botocore returns

from service.api.headers import object_headers
from service.storage.base import ObjectInfo


@pytest.mark.parametrize(
    "tz", [UTC, tzutc(), timezone(timedelta(hours=2))], ids=["utc", "tzutc", "plus2"]
)
def test_last_modified_is_http_date_in_gmt_whatever_the_tzinfo(tz: tzinfo) -> None:
    moment = datetime(2026, 11, 28, 3, 4, 5, tzinfo=UTC).astimezone(tz)
    info = ObjectInfo(key="k", size=1, etag="e", last_modified=moment)
    now = datetime(2026, 11, 28, 3, 4, 6, tzinfo=UTC)
    assert object_headers(info, now)["Last-Modified"] == "Sat, 28 Nov 2026 03:04:05 GMT"
