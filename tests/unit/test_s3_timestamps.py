"""The S3 adapter's timestamp parser (fast for listings) reads what botocore's default reads."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.utils import parse_timestamp
from moto import mock_aws

from service.storage.s3 import S3Store, timestamp
from service.storage.threads import Blocking
from tests.fixtures.cloud import aws_env


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02T04:05:34.000Z",  # a listing's LastModified
        "2026-12-02T04:05:34Z",
        "2026-12-02T04:05:34.123456+00:00",
        "2026-12-02T06:05:34+02:00",
        "Wed, 02 Dec 2026 04:05:34 GMT",  # a Last-Modified header
        "2026-12-02T04:05:34",  # no zone: botocore's parser decides
    ],
)
def test_same_instant_as_botocore(text: str) -> None:
    ours, theirs = timestamp(text), parse_timestamp(text)
    assert ours == theirs
    assert (ours.tzinfo is None) == (theirs.tzinfo is None)


def test_a_listing_timestamp_is_aware_utc() -> None:
    assert timestamp("2026-12-02T04:05:34.000Z") == datetime(2026, 12, 2, 4, 5, 34, tzinfo=UTC)


def test_the_s3_client_parses_listings_with_it() -> None:
    """`fromisoformat` gives datetime.UTC where botocore's dateutil parser gives tzutc()."""
    with aws_env(), mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="stamps")
        store = S3Store("stamps", "", blocking=Blocking(2), region="us-east-1")
        client = store._client  # the SDK's own answer, before the adapter converts it
        client.put_object(Bucket="stamps", Key="k", Body=b"x")
        listed = client.list_objects_v2(Bucket="stamps")["Contents"][0]["LastModified"]
        assert listed.tzinfo is UTC
