"""Amazon S3 (and S3-compatible stores: MinIO, R2, moto) through boto3.

Credentials come only from the AWS default chain (environment, web identity / IRSA, EKS Pod
Identity, instance profile). Every call runs in the one bounded thread pool, whose size is also
botocore's connection pool size.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Mapping
from contextlib import aclosing
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import anyio
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER
from botocore.utils import determine_content_length

from service.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    NO_CONDITIONS,
    BackendTimeout,
    BackendUnavailable,
    ByteRange,
    ChecksumMismatch,
    Download,
    ExpectedChecksums,
    InvalidArgument,
    InvalidRange,
    NotFound,
    NotModified,
    ObjectInfo,
    Page,
    PreconditionFailed,
    PresignMethod,
    ReadConditions,
    SignedURL,
    StorageError,
    TooLarge,
    Written,
    check_preconditions,
)
from service.storage.remote import (
    HEX_MD5,
    BodyStream,
    Namespace,
    b64,
    check_expiry,
    check_limit,
    decode_cursor,
    encode_cursor,
    parts,
    send_overlapped,
    sign_at_least,
    split_metadata,
    with_sha256,
)
from service.storage.threads import Blocking
from service.storage.transfer import Digests

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_PARTS = 10_000
COPY_LIMIT = 5 * 1024**3
"""The largest object CopyObject copies in one request."""
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_NOT_FOUND = {"NoSuchKey", "NotFound", "NoSuchVersion", "404"}
_PRECONDITION = {"PreconditionFailed", "ConditionalRequestConflict", "412"}
_DENIED = {
    "AccessDenied",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "403",
}


def timestamp(value: str) -> datetime:
    """A timestamp in an S3 answer. Listings carry ISO 8601 ones, which `fromisoformat` reads
    ~500 times faster than botocore's default parser (dateutil: ~0.1 ms each, so seconds of
    CPU per 100,000 listed keys); anything else (HTTP dates in headers) goes to that parser."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return DEFAULT_TIMESTAMP_PARSER(value)
    return parsed if parsed.tzinfo is not None else DEFAULT_TIMESTAMP_PARSER(value)


def s3_error(exc: Exception) -> StorageError:
    """The port's error for an SDK exception; the detail never carries credentials."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = _status(exc)
        if code == "NoSuchBucket":
            return BackendUnavailable("The configured S3 bucket does not exist.")
        if code in _NOT_FOUND or status == 404:
            return NotFound()
        if code in _PRECONDITION or status == 412:
            return PreconditionFailed()
        if code in ("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"):
            return ChecksumMismatch()
        if code == "EntityTooLarge":
            return TooLarge()
        if code in _DENIED or status == 403:
            return BackendUnavailable(
                f"S3 refused the request ({code}): check the credentials and the role's policy."
            )
        if code == "RequestTimeout":
            return BackendTimeout()
        return BackendUnavailable(f"S3 answered {status} {code}.")
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return BackendTimeout("S3 did not answer within the storage timeout.")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return BackendUnavailable(
            "No usable AWS credentials (environment, web identity, EKS Pod Identity or "
            "instance profile)."
        )
    if isinstance(exc, ConnectionError):
        return BackendUnavailable("S3 cannot be reached.")
    return BackendUnavailable(f"The S3 request failed ({type(exc).__name__}).")


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _quoted(etag: str) -> str:
    return etag if etag.startswith('"') or etag == "*" else f'"{etag}"'


def _range_header(byte_range: ByteRange) -> str:
    if byte_range.suffix is not None:
        return f"bytes=-{byte_range.suffix}"
    last = "" if byte_range.last is None else str(byte_range.last)
    return f"bytes={byte_range.first or 0}-{last}"


def version_id(response: Mapping[str, Any]) -> str | None:
    """The version id, or None when the bucket does not version objects: S3 (and moto) then
    answer some calls (CompleteMultipartUpload) with the literal version id "null"."""
    version = response.get("VersionId")
    return None if version in (None, "null") else str(version)


EXPECT_CONTINUE_ABOVE = 2 * 1024 * 1024
"""Bodies up to this size go without `Expect: 100-continue`, as the AWS SDKs for Go and Java
send them: waiting for S3's go-ahead costs a round trip per request (5-9 % of a 300-file upload
to moto here), to save at most this much sending when S3 refuses."""


def _expect_continue_if_large(params: dict[str, Any], **_: Any) -> None:
    """botocore asks for 100-continue on every PUT body (handlers.add_expect_header)."""
    size = determine_content_length(params.get("body"))
    if size is not None and size <= EXPECT_CONTINUE_ABOVE:
        params["headers"].pop("Expect", None)


def _etag_is_md5(etag: str, response: Mapping[str, Any]) -> bool:
    """S3's ETag is the body's MD5 for a single-part upload stored in plain or with SSE-S3,
    and something else for multipart uploads, SSE-KMS and SSE-C (S3's Object docs)."""
    encryption = str(response.get("ServerSideEncryption", ""))
    return (
        HEX_MD5.fullmatch(etag) is not None
        and not encryption.startswith("aws:kms")
        and "SSECustomerAlgorithm" not in response
    )


def _info(key: str, response: Mapping[str, Any], size: int) -> ObjectInfo:
    etag = str(response["ETag"]).strip('"')
    metadata, checksums = split_metadata(response.get("Metadata"))
    sha256 = response.get("ChecksumSHA256")
    # Multipart objects carry a checksum of the part checksums, not of the object; the
    # service records their SHA-256 in metadata instead.
    if sha256 and "-" not in etag and "-" not in sha256:
        checksums.setdefault("sha256", sha256)  # what the service recorded comes first
    if _etag_is_md5(etag, response):
        checksums["md5"] = b64(bytes.fromhex(etag))
    return ObjectInfo(
        key=key,
        size=size,
        etag=etag,
        last_modified=response["LastModified"].astimezone(UTC),
        content_type=response.get("ContentType") or DEFAULT_CONTENT_TYPE,
        version=version_id(response),
        metadata=metadata,
        checksums=checksums,
    )


class S3Store:
    backend = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        blocking: Blocking,
        endpoint_url: str | None = None,
        public_endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: Literal["auto", "virtual", "path"] = "auto",
        max_attempts: int = 5,
        part_size: int = 8 * 1024 * 1024,
        parts_in_flight: int = 2,
        timeout: float = 30.0,
    ) -> None:
        self._bucket = bucket
        self._ns = Namespace(prefix)
        self._blocking = blocking
        self._part_size = part_size
        self._parts_in_flight = parts_in_flight
        self._timeout = timeout
        config = Config(
            region_name=region,
            signature_version="s3v4",
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=blocking.threads,
            connect_timeout=timeout,
            read_timeout=timeout,
            # Only what S3 requires: MinIO, R2 and moto reject or ignore the newer defaults.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": addressing_style},
        )
        # botocore's own session: boto3's would import s3transfer too (slower start, for the
        # server and above all for each `sync` run), and nothing here uses boto3's extras.
        session = botocore.session.get_session()
        parsers = session.get_component("response_parser_factory")
        parsers.set_parser_defaults(timestamp_parser=timestamp)
        self._client: S3Client = cast(
            "S3Client", session.create_client("s3", endpoint_url=endpoint_url, config=config)
        )
        self._client.meta.events.register_last("before-call.s3", _expect_continue_if_large)
        # SigV4 signs the Host: URLs for clients are signed for the endpoint they will use.
        # generate_presigned_url never touches the network, so this client only signs.
        self._signer: S3Client = (
            cast(
                "S3Client",
                session.create_client("s3", endpoint_url=public_endpoint_url, config=config),
            )
            if public_endpoint_url
            else self._client
        )

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            return await self._blocking.run(call)
        except (ClientError, BotoCoreError) as exc:
            raise s3_error(exc) from exc

    async def put(
        self,
        key: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match_any: bool = False,
        if_match: str | None = None,
        checksums: ExpectedChecksums | None = None,
        max_bytes: int | None = None,
    ) -> Written:
        name = self._ns.name(key)
        expected_sha256 = checksums.sha256 if checksums is not None else None
        common: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": name,
            "ContentType": content_type,
            # Known before the body: recorded now (verified before the upload completes).
            "Metadata": with_sha256(metadata, expected_sha256),
        }
        digests = Digests(checksums)
        before: ObjectInfo | None = None
        try:
            async with aclosing(parts(chunks, self._part_size, max_bytes)) as body:
                first, last = await anext(body)
                # The HEAD tells 201 from 200 and fails early before a large body is sent;
                # the precondition itself is enforced by S3 on the write below. A body of one
                # part that may only create needs none: success means created (sync's case).
                if not (last and if_none_match_any):
                    before = await self._head(name, key)
                current = before.etag if before else None
                check_preconditions(current, if_none_match_any=if_none_match_any, if_match=if_match)
                condition: dict[str, Any] = {}
                if if_none_match_any:
                    condition["IfNoneMatch"] = "*"
                elif if_match is not None and before is not None:
                    condition["IfMatch"] = _quoted(before.etag)  # "*": the version seen now
                if last:  # hashed, checked and sent in one trip to the pool
                    response = await self._run(
                        partial(self._put_one, first, digests, common | condition)
                    )
                else:
                    await self._blocking.run(digests.update, first)  # hashing is CPU work
                    response = await self._put_parts(first, body, digests, common, condition)
                    if expected_sha256 is None:
                        response = await self._record_sha256(common, response, digests)
        except NotFound as exc:
            raise PreconditionFailed() from exc  # If-Match on a key deleted meanwhile
        known = {"sha256": digests.sha256, "md5": digests.md5}
        etag = str(response["ETag"]).strip('"')
        if known["md5"] is None and last and _etag_is_md5(etag, response):
            known["md5"] = bytes.fromhex(etag)  # of the bytes S3 checked against our SHA-256
        info = ObjectInfo(
            key=key,
            size=digests.size,
            etag=etag,
            last_modified=datetime.now(UTC).replace(microsecond=0),
            content_type=content_type,
            version=version_id(response),
            metadata=split_metadata(metadata)[0],
            checksums={algo: b64(value) for algo, value in known.items() if value},
        )
        return Written(info=info, created=before is None)

    def _put_one(self, data: bytes, digests: Digests, args: dict[str, Any]) -> Any:
        digests.update(data)
        digests.verify()
        sha256 = digests.sha256
        if sha256 is not None:
            args |= {"ChecksumAlgorithm": "SHA256", "ChecksumSHA256": b64(sha256)}
        if digests.md5 is not None:
            args["ContentMD5"] = b64(digests.md5)
        return self._client.put_object(Body=data, **args)

    async def _put_parts(
        self,
        first: bytes,
        rest: AsyncIterable[tuple[bytes, bool]],
        digests: Digests,
        common: dict[str, Any],
        condition: dict[str, Any],
    ) -> Any:
        created = await self._run(partial(self._client.create_multipart_upload, **common))
        upload = created["UploadId"]
        done: list[CompletedPartTypeDef] = []

        async def numbered() -> AsyncGenerator[tuple[int, bytes], None]:
            number = 1
            yield number, first
            async for data, _ in rest:
                number += 1
                if number > MAX_PARTS:
                    raise TooLarge(f"The body needs more than {MAX_PARTS} parts.")
                await self._blocking.run(digests.update, data)
                yield number, data

        async def send(part: tuple[int, bytes]) -> None:
            number, data = part
            done.append(
                await self._run(partial(self._upload_part, common["Key"], upload, number, data))
            )

        try:
            await send_overlapped(numbered(), send, self._parts_in_flight)
            # Parts stay invisible until CompleteMultipartUpload: verify first.
            digests.verify()
            done.sort(key=lambda part: part["PartNumber"])
            return await self._run(
                partial(
                    self._client.complete_multipart_upload,
                    Bucket=self._bucket,
                    Key=common["Key"],
                    UploadId=upload,
                    MultipartUpload={"Parts": done},
                    **condition,
                )
            )
        except BaseException:  # also cancellation: a client that hung up leaves nothing
            with anyio.CancelScope(shield=True):
                await self._abort(common["Key"], upload)
            raise

    async def _record_sha256(self, common: dict[str, Any], completed: Any, digests: Digests) -> Any:
        """Add the SHA-256 learnt while uploading to a multipart object's metadata.

        S3 keeps no whole-object SHA-256 for multipart uploads and metadata cannot change after
        CreateMultipartUpload, so the object is copied onto itself (server-side, only if it is
        still the one just written). Above CopyObject's 5 GiB limit it stays unrecorded.
        """
        if digests.size > COPY_LIMIT:
            return completed
        try:
            copied = await self._run(
                partial(
                    self._client.copy_object,
                    CopySource={"Bucket": self._bucket, "Key": common["Key"]},
                    CopySourceIfMatch=str(completed["ETag"]),
                    MetadataDirective="REPLACE",
                    ChecksumAlgorithm="SHA256",  # the copy is one object: a full-object checksum
                    **(common | {"Metadata": with_sha256(common["Metadata"], digests.sha256)}),
                )
            )
        except (PreconditionFailed, NotFound):
            return completed  # replaced or deleted meanwhile: that write's metadata stands
        result = copied["CopyObjectResult"]
        return {"ETag": result["ETag"], "VersionId": copied.get("VersionId")}

    def _upload_part(
        self, name: str, upload: str, number: int, data: bytes
    ) -> CompletedPartTypeDef:
        # No part checksum of our own: botocore signs each part's SHA-256 (SigV4 payload
        # signing, on unless TLS and a checksum header are both there) and S3 rejects a part
        # that does not match it; a second digest of every byte would only cost CPU.
        response = self._client.upload_part(
            Bucket=self._bucket, Key=name, UploadId=upload, PartNumber=number, Body=data
        )
        return {"PartNumber": number, "ETag": response["ETag"]}

    async def _abort(self, name: str, upload: str) -> None:
        try:
            await self._run(
                partial(
                    self._client.abort_multipart_upload,
                    Bucket=self._bucket,
                    Key=name,
                    UploadId=upload,
                )
            )
        except StorageError as exc:
            # A bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop.
            log.warning("could not abort multipart upload of %s: %s", name, exc.detail)

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        conditions: ReadConditions = NO_CONDITIONS,
    ) -> Download:
        if byte_range is not None:
            try:
                download = await self._get(key, byte_range, conditions)
            except InvalidRange:
                # Preconditions come before the range (RFC 9110 §13.2.2), and a changed object
                # is served whole whatever range was asked.
                info = await self.head(key)
                conditions.check(info)
                if conditions.range_applies(info):
                    raise
            else:
                if conditions.range_applies(download.info):
                    return download
                await download.aclose()  # If-Range: the client holds another version
        return await self._get(key, None, conditions)

    async def _get(
        self, key: str, byte_range: ByteRange | None, conditions: ReadConditions
    ) -> Download:
        name = self._ns.name(key)
        args: dict[str, Any] = {"Bucket": self._bucket, "Key": name}
        tags = conditions.if_none_match
        if tags is not None and len(tags.tags) == 1 and not tags.any:
            args["IfNoneMatch"] = _quoted(tags.tags[0][0])  # S3 answers 304 without a body
        if byte_range is not None:
            args["Range"] = _range_header(byte_range)
        else:
            args["ChecksumMode"] = "ENABLED"  # botocore then verifies the body as it streams
        try:
            response, whole = await self._blocking.run(self._get_object, args)
        except ClientError as exc:
            if _status(exc) == 304:
                info = await self.head(key)
                conditions.check(info)  # If-Match / If-Unmodified-Since come first
                raise NotModified(info) from None
            if _status(exc) == 416:
                actual = str(exc.response.get("Error", {}).get("ActualObjectSize", ""))
                raise InvalidRange(int(actual) if actual else (await self.head(key)).size) from None
            raise s3_error(exc) from exc
        except BotoCoreError as exc:
            raise s3_error(exc) from exc
        content_range = None
        size = int(response["ContentLength"])
        body = response["Body"]
        if byte_range is not None:
            match = _CONTENT_RANGE.fullmatch(response.get("ContentRange", ""))
            if match is None:  # a store that ignored the Range header sent everything
                body.close()
                raise BackendUnavailable("S3 did not honour the Range header.")
            first, last, size = (int(group) for group in match.groups())
            content_range = (first, last)
        info = _info(key, response, size)
        try:
            conditions.check(info)  # on the response itself: the version checked is the one sent
        except StorageError:
            body.close()
            raise
        return Download(
            info=info,
            chunks=BodyStream(body.read, body.close, self._blocking, s3_error, whole=whole),
            content_range=content_range,
        )

    def _get_object(self, args: dict[str, Any]) -> tuple[Any, bytes | None]:
        """GetObject, and its body if that is one piece, as most are: read in the same trip to
        the pool (botocore checks its length and checksum there), it needs no trip of its own."""
        response = self._client.get_object(**args)
        if int(response["ContentLength"]) > CHUNK_SIZE:
            return response, None
        body = response["Body"]
        try:
            return response, body.read()
        finally:
            body.close()

    async def head(self, key: str) -> ObjectInfo:
        info = await self._head(self._ns.name(key), key)
        if info is None:
            raise NotFound()
        return info

    async def _head(self, name: str, key: str) -> ObjectInfo | None:
        try:
            response = await self._run(
                partial(
                    self._client.head_object, Bucket=self._bucket, Key=name, ChecksumMode="ENABLED"
                )
            )
        except NotFound:
            return None
        return _info(key, response, int(response["ContentLength"]))

    async def delete(self, key: str) -> None:
        name = self._ns.name(key)
        await self._run(partial(self._client.delete_object, Bucket=self._bucket, Key=name))

    async def list(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page:
        check_limit(limit)
        args: dict[str, Any] = {
            "Bucket": self._bucket,
            "Prefix": self._ns.prefix(prefix),
            "MaxKeys": limit,
        }
        if delimiter:
            args["Delimiter"] = delimiter
        if cursor is not None:
            args["ContinuationToken"] = decode_cursor(cursor, prefix, delimiter)
        try:
            response = await self._blocking.run(partial(self._client.list_objects_v2, **args))
        except ClientError as exc:
            if cursor is not None and _status(exc) == 400:
                raise InvalidArgument("The cursor is no longer valid.") from exc
            raise s3_error(exc) from exc
        except BotoCoreError as exc:
            raise s3_error(exc) from exc
        items = []
        for entry in response.get("Contents", []):
            item_key = self._ns.key(entry["Key"])
            if item_key is not None:
                items.append(
                    ObjectInfo(
                        key=item_key,
                        size=entry["Size"],
                        etag=entry["ETag"].strip('"'),
                        last_modified=entry["LastModified"].astimezone(UTC),
                        # ListObjectsV2 carries neither: unknown, not empty
                        content_type=None,
                        metadata=None,
                    )
                )
        prefixes = [
            common
            for entry in response.get("CommonPrefixes", [])
            if (common := self._ns.common_prefix(entry["Prefix"]))
        ]
        token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
        return Page(
            items=items,
            prefixes=prefixes,
            next_cursor=encode_cursor(token, prefix, delimiter) if token else None,
        )

    async def presign(
        self,
        key: str,
        method: PresignMethod,
        expires_in: int,
        content_type: str | None = None,
    ) -> SignedURL:
        check_expiry(expires_in)
        params = {"Bucket": self._bucket, "Key": self._ns.name(key)}
        headers = {}
        if method == "PUT" and content_type:
            params["ContentType"] = content_type
            headers["Content-Type"] = content_type
        operation = "get_object" if method == "GET" else "put_object"

        def sign(seconds: int) -> str:
            return self._signer.generate_presigned_url(
                operation, Params=params, ExpiresIn=seconds, HttpMethod=method
            )

        url, expires_at = await sign_at_least(expires_in, sign, self._run, "X-Amz-")
        return SignedURL(url=url, method=method, expires_at=expires_at, headers=headers)

    async def check(self) -> None:
        try:
            with anyio.fail_after(self._timeout):
                await self._blocking.run(
                    partial(self._client.head_bucket, Bucket=self._bucket), abandon=True
                )
        except TimeoutError as exc:
            raise BackendTimeout("S3 did not answer the bucket check in time.") from exc
        except (ClientError, BotoCoreError) as exc:
            error = s3_error(exc)
            if isinstance(error, NotFound):  # HeadBucket has no body, only a 404
                raise BackendUnavailable("The configured S3 bucket does not exist.") from exc
            if isinstance(error, BackendUnavailable):
                raise error from exc
            raise BackendUnavailable(error.detail) from exc

    async def aclose(self) -> None:
        self._client.close()
        if self._signer is not self._client:
            self._signer.close()
