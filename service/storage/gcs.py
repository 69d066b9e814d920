"""Google Cloud Storage through google-cloud-storage.

Credentials come only from Application Default Credentials (Workload Identity on GKE, a
service-account key file, gcloud user credentials); with `STORAGE_EMULATOR_HOST` set the SDK
talks to that emulator anonymously. Every call runs in the one bounded thread pool.

An object's ETag here is its generation: that is what GCS preconditions compare, so If-Match
and If-None-Match map onto `ifGenerationMatch` / `ifGenerationNotMatch` exactly.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Mapping
from contextlib import aclosing, suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import requests
from google.api_core import exceptions as api
from google.api_core.retry import Retry
from google.auth import exceptions as auth_errors
from google.auth.credentials import AnonymousCredentials, Credentials, Signing
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter

from service.storage.base import (
    DEFAULT_CONTENT_TYPE,
    BackendTimeout,
    BackendUnavailable,
    ByteRange,
    Download,
    ExpectedChecksums,
    InvalidArgument,
    NotFound,
    NotModified,
    NotSupported,
    ObjectInfo,
    Page,
    PreconditionFailed,
    PresignMethod,
    SignedURL,
    StorageError,
    Written,
    check_preconditions,
)
from service.storage.remote import (
    BodyStream,
    Namespace,
    b64,
    check_expiry,
    check_limit,
    decode_cursor,
    encode_cursor,
    parts,
    send_in_order,
    split_metadata,
    with_sha256,
)
from service.storage.threads import Blocking
from service.storage.transfer import Digests

T = TypeVar("T")
log = logging.getLogger(__name__)

CHUNK_SIZE = 8 * 1024 * 1024
"""Resumable upload piece size; GCS wants a multiple of 256 KiB for every piece but the last."""
IAM_ENDPOINT = "https://iamcredentials.googleapis.com"
_TRANSIENT = {408, 429, 500, 502, 503, 504}
_UPLOAD_ATTEMPTS = 5


def gcs_error(exc: Exception) -> StorageError:
    """The port's error for an SDK exception; the detail never carries credentials."""
    if isinstance(exc, api.RetryError) and isinstance(exc.cause, Exception):
        return gcs_error(exc.cause)
    if isinstance(exc, api.NotFound):
        return NotFound()
    if isinstance(exc, api.PreconditionFailed):
        return PreconditionFailed()
    if isinstance(exc, api.Forbidden | api.Unauthorized):
        return BackendUnavailable(
            f"GCS refused the request ({exc.code}): check the service account's bucket roles."
        )
    if isinstance(exc, api.GatewayTimeout | requests.Timeout):
        return BackendTimeout("GCS did not answer within the storage timeout.")
    if isinstance(exc, api.GoogleAPICallError):
        return BackendUnavailable(f"GCS answered {exc.code}.")
    if isinstance(exc, auth_errors.DefaultCredentialsError | auth_errors.RefreshError):
        return BackendUnavailable(
            "No usable Google credentials (Workload Identity, a key file or gcloud ADC)."
        )
    if isinstance(exc, requests.ConnectionError | auth_errors.TransportError):
        return BackendUnavailable("GCS cannot be reached.")
    return BackendUnavailable(f"The GCS request failed ({type(exc).__name__}).")


def _errors(response: requests.Response) -> StorageError:
    return gcs_error(api.from_http_response(response))  # type: ignore[no-untyped-call]


def _info(key: str, blob: Any) -> ObjectInfo:
    metadata, checksums = split_metadata(blob.metadata)
    if blob.md5_hash:  # composite objects have none
        checksums["md5"] = blob.md5_hash
    if blob.crc32c:
        checksums["crc32c"] = blob.crc32c
    return ObjectInfo(
        key=key,
        size=int(blob.size or 0),
        etag=str(blob.generation),
        last_modified=blob.updated.astimezone(UTC),
        content_type=blob.content_type or DEFAULT_CONTENT_TYPE,
        version=str(blob.generation),
        metadata=metadata,
        checksums=checksums,
    )


def _pinned(media_link: str, generation: int) -> str:
    """The object's media URL for exactly this generation, so a concurrent replace is a 404."""
    parts_ = urlsplit(media_link)
    query = dict(parse_qsl(parts_.query)) | {"generation": str(generation), "alt": "media"}
    return urlunsplit(parts_._replace(query=urlencode(query)))


def _persisted(response: requests.Response) -> int:
    """Bytes GCS holds of a resumable upload, from a 308's `Range: bytes=0-N` header."""
    header = response.headers.get("Range")
    return int(header.rpartition("-")[2]) + 1 if header else 0


class IamSigner(Signing):
    """Signs V4 URLs through IAM Credentials signBlob as `email` (keyless, e.g. Workload
    Identity), using the caller's own OAuth token.

    google-auth's signers hard-code the public IAM host; this one takes the endpoint, so
    private endpoints (and a local stub in tests) work too.
    """

    def __init__(self, session: AuthorizedSession, email: str, endpoint: str, timeout: float):
        self._session = session
        self._email = email
        self._endpoint = endpoint.rstrip("/")
        self._timeout = timeout

    def sign_bytes(self, message: bytes) -> bytes:
        url = f"{self._endpoint}/v1/projects/-/serviceAccounts/{self._email}:signBlob"
        response = self._session.post(url, json={"payload": b64(message)}, timeout=self._timeout)
        if response.status_code != 200:
            raise _errors(response)
        return base64.b64decode(response.json()["signedBlob"])

    @property
    def signer_email(self) -> str:
        return self._email

    @property
    def signer(self) -> Any:
        return None  # generate_signed_url only calls sign_bytes


class GcsStore:
    backend = "gcs"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        blocking: Blocking,
        project: str | None = None,
        signer_email: str | None = None,
        timeout: float = 30.0,
        signing_credentials: Credentials | None = None,
        signing_key_file: Path | None = None,
        iam_endpoint: str = IAM_ENDPOINT,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._ns = Namespace(prefix)
        self._blocking = blocking
        self._timeout = timeout
        self._chunk_size = chunk_size
        self._retry: Retry = DEFAULT_RETRY.with_timeout(timeout)
        try:
            self._client = storage.Client(project=project)
        except auth_errors.DefaultCredentialsError as exc:
            raise gcs_error(exc) from None  # its text lists local file paths
        self._bucket = self._client.bucket(bucket)
        # The SDK's own authorised session; sized like the thread pool, as for botocore.
        self._http: AuthorizedSession = self._client._http
        pool = HTTPAdapter(pool_connections=1, pool_maxsize=blocking.threads)
        for scheme in ("https://", "http://"):
            self._http.mount(scheme, pool)
        if signing_credentials is None and signing_key_file is not None:
            signing_credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(signing_key_file)
            )
        # The client's credentials (ADC, or anonymous under the emulator) unless given.
        credentials = signing_credentials or self._client._credentials
        self._signing: Signing | None = None
        if isinstance(credentials, Signing):  # a key (or impersonation) signs by itself
            self._signing = credentials
        elif signer_email and not isinstance(credentials, AnonymousCredentials):
            session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
            self._signing = IamSigner(session, signer_email, iam_endpoint, timeout)

    async def _run(self, call: Callable[[], T], *, abandon: bool = False) -> T:
        try:
            return await self._blocking.run(call, abandon=abandon)
        except StorageError:
            raise
        except (api.GoogleAPIError, auth_errors.GoogleAuthError, requests.RequestException) as exc:
            raise gcs_error(exc) from exc

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
        # The lookup tells 201 from 200 and fails early before a large body is sent; the
        # generation precondition itself is enforced by GCS on the write below.
        before = await self._stat(name)
        generation: int | None = None
        current = str(before.generation) if before is not None else None  # our ETag
        check_preconditions(current, if_none_match_any=if_none_match_any, if_match=if_match)
        if if_none_match_any:
            generation = 0
        elif if_match is not None and before is not None:
            generation = before.generation  # for "*": the generation seen just now
        blob = self._bucket.blob(name)
        blob.content_type = content_type
        # Known before the body: recorded now (verified before the upload is finalized).
        expected_sha256 = checksums.sha256 if checksums is not None else None
        blob.metadata = with_sha256(metadata, expected_sha256) or None
        if checksums is not None and checksums.md5 is not None:
            blob.md5_hash = b64(checksums.md5)  # GCS checks it again when finalizing
        digests = Digests(checksums)
        try:
            async with aclosing(parts(chunks, self._chunk_size, max_bytes)) as body:
                first, last = await anext(body)
                await self._blocking.run(digests.update, first)  # hashing is CPU work
                if last:
                    digests.verify()
                    blob.metadata = with_sha256(metadata, digests.sha256)
                    await self._run(partial(self._upload_one, blob, first, generation))
                else:
                    blob = await self._upload_resumable(blob, first, body, digests, generation)
                    if expected_sha256 is None:
                        await self._record_sha256(blob, metadata, digests)
        except NotFound as exc:  # an upload has no object to miss, only a bucket
            raise BackendUnavailable("The configured GCS bucket does not exist.") from exc
        return Written(info=_info(key, blob), created=before is None)

    async def _record_sha256(
        self, blob: Any, metadata: Mapping[str, str] | None, digests: Digests
    ) -> None:
        """Add the SHA-256 learnt while uploading to the object's metadata (a metadata patch
        of exactly this generation: the body and the ETag stay as they are)."""
        blob.metadata = with_sha256(metadata, digests.sha256)
        with suppress(PreconditionFailed, NotFound):  # replaced meanwhile: that write stands
            await self._run(
                partial(
                    blob.patch,
                    if_generation_match=blob.generation,
                    timeout=self._timeout,
                    retry=self._retry,
                )
            )

    def _upload_one(self, blob: Any, data: bytes, generation: int | None) -> None:
        blob.upload_from_string(
            data,
            content_type=blob.content_type,
            if_generation_match=generation,
            timeout=self._timeout,
        )

    async def _upload_resumable(
        self,
        blob: Any,
        first: bytes,
        rest: AsyncIterable[tuple[bytes, bool]],
        digests: Digests,
        generation: int | None,
    ) -> Any:
        url = await self._run(
            partial(
                blob.create_resumable_upload_session,
                content_type=blob.content_type,
                if_generation_match=generation,
                timeout=self._timeout,
                # The SDK's default keeps retrying a dead store for 120 s.
                retry=self._retry,
                checksum=None,
            )
        )
        finalized: list[Any] = []

        async def pieces() -> AsyncGenerator[tuple[bytes, int, int | None], None]:
            yield first, 0, None
            offset = len(first)
            async for data, last in rest:
                await self._blocking.run(digests.update, data)
                if last:
                    # The final piece is what finalizes the object: verify before sending it.
                    digests.verify()
                yield data, offset, offset + len(data) if last else None
                offset += len(data)

        async def send(piece: tuple[bytes, int, int | None]) -> None:
            resource = await self._run(partial(self._send, url, *piece))
            if resource is not None:
                finalized.append(resource)

        try:
            await send_in_order(pieces(), send)
            blob._set_properties(finalized[0])  # what the SDK's own uploads do
            return blob
        except BaseException:  # also cancellation: an unfinalized upload is never an object
            with anyio.CancelScope(shield=True):
                await self._cancel(url)
            raise

    def _send(self, url: str, data: bytes, offset: int, total: int | None) -> Any:
        """PUT one piece of a resumable upload at `offset`; `total` set makes it the last.

        Resends what GCS did not persist and, after a transient failure, resumes from the
        offset GCS reports. Returns the object resource once the upload is finalized.
        """
        end = offset + len(data)
        size = "*" if total is None else str(total)
        sent = offset
        for attempt in range(_UPLOAD_ATTEMPTS):
            if attempt:
                time.sleep(min(0.25 * 2**attempt, 4.0))
                done, persisted = self._status(url)
                if done is not None:
                    return done
                if persisted < offset:  # an earlier piece is no longer in memory
                    raise BackendUnavailable("GCS lost part of an earlier piece of the upload.")
                sent = persisted
            while sent < end or total is not None:
                span = f"{sent}-{end - 1}" if sent < end else "*"
                try:
                    response = self._http.put(
                        url,
                        data=data[sent - offset :] if sent > offset else data,
                        headers={"Content-Range": f"bytes {span}/{size}"},
                        timeout=self._timeout,
                    )
                except requests.RequestException:
                    break  # transient: ask GCS where the upload stands
                if response.status_code in (200, 201):
                    return response.json()
                if response.status_code != 308:
                    if response.status_code in _TRANSIENT:
                        break
                    raise _errors(response)
                if _persisted(response) <= sent:
                    break  # no progress
                sent = _persisted(response)
            else:
                return None
        raise BackendUnavailable("GCS did not accept the upload after retries.")

    def _status(self, url: str) -> tuple[Any, int]:
        """(object resource if finalized, bytes GCS holds) of a resumable upload."""
        response = self._http.put(
            url, headers={"Content-Range": "bytes */*"}, timeout=self._timeout
        )
        if response.status_code in (200, 201):
            return response.json(), 0
        if response.status_code != 308:
            raise _errors(response)
        return None, _persisted(response)

    async def _cancel(self, url: str) -> None:
        try:
            await self._blocking.run(partial(self._http.delete, url, timeout=self._timeout))
        except requests.RequestException as exc:
            # An unfinalized session expires on its own after a week and is never visible.
            log.warning("could not cancel a resumable upload: %s", type(exc).__name__)

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        if_none_match: str | None = None,
    ) -> Download:
        blob = await self._stat(self._ns.name(key))
        if blob is None:
            raise NotFound()
        info = _info(key, blob)
        if if_none_match is not None and if_none_match.strip('"') in (info.etag, "*"):
            raise NotModified(info)
        content_range = byte_range.resolve(info.size) if byte_range is not None else None
        if info.size == 0:
            return Download(info=info, chunks=_empty())
        headers = {"Range": "bytes={}-{}".format(*content_range)} if content_range else {}
        url = _pinned(blob.media_link, blob.generation)
        response = await self._run(
            partial(self._http.get, url, headers=headers, stream=True, timeout=self._timeout)
        )
        expected = 206 if content_range else 200
        if response.status_code != expected:
            response.close()
            if response.status_code == 200:
                raise BackendUnavailable("GCS did not honour the Range header.")
            raise _errors(response)
        return Download(
            info=info,
            chunks=BodyStream(response.raw.read, response.close, self._blocking, gcs_error),
            content_range=content_range,
        )

    async def head(self, key: str) -> ObjectInfo:
        blob = await self._stat(self._ns.name(key))
        if blob is None:
            raise NotFound()
        return _info(key, blob)

    async def _stat(self, name: str) -> Any:
        return await self._run(
            partial(self._bucket.get_blob, name, timeout=self._timeout, retry=self._retry)
        )

    async def delete(self, key: str) -> None:
        blob = self._bucket.blob(self._ns.name(key))
        with suppress(NotFound):
            await self._run(partial(blob.delete, timeout=self._timeout, retry=self._retry))

    async def list(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page:
        check_limit(limit)
        token = decode_cursor(cursor, prefix, delimiter) if cursor is not None else None
        pages = self._client.list_blobs(
            self._bucket,
            prefix=self._ns.prefix(prefix),
            delimiter=delimiter or None,
            max_results=limit,
            page_token=token,
            timeout=self._timeout,
            retry=self._retry,
        )
        try:
            blobs, prefixes = await self._run(partial(_first_page, pages))
        except BackendUnavailable as exc:
            if token is not None and isinstance(exc.__cause__, api.BadRequest):
                raise InvalidArgument("The cursor is no longer valid.") from exc
            raise
        items = [
            _info(item_key, blob)
            for blob in blobs
            if (item_key := self._ns.key(blob.name)) is not None
        ]
        common = sorted(found for name in prefixes if (found := self._ns.common_prefix(name)))
        next_token = pages.next_page_token
        return Page(
            items=items,
            prefixes=common,
            next_cursor=encode_cursor(next_token, prefix, delimiter) if next_token else None,
        )

    async def presign(
        self,
        key: str,
        method: PresignMethod,
        expires_in: int,
        content_type: str | None = None,
    ) -> SignedURL:
        check_expiry(expires_in)
        if self._signing is None:
            raise NotSupported(
                "Signed URLs need BUCKETPORT_GCS_SIGNER_EMAIL (signed through IAM signBlob) or "
                "a service-account key (BUCKETPORT_GCS_SIGNING_KEY_FILE)."
            )
        blob = self._bucket.blob(self._ns.name(key))
        headers = {"Content-Type": content_type} if method == "PUT" and content_type else {}
        issued = datetime.now(UTC)
        url = await self._run(
            partial(
                blob.generate_signed_url,
                version="v4",
                expiration=timedelta(seconds=expires_in),
                method=method,
                content_type=headers.get("Content-Type"),
                credentials=self._signing,
                api_access_endpoint=self._client.api_endpoint,
            )
        )
        return SignedURL(
            url=url,
            method=method,
            expires_at=issued + timedelta(seconds=expires_in),
            headers=headers,
        )

    async def check(self) -> None:
        # Listing one name needs only object permissions (roles/storage.objectUser), where
        # bucket.reload would need storage.buckets.get as well.
        pages = self._client.list_blobs(
            self._bucket, prefix=self._ns.base, max_results=1, timeout=self._timeout, retry=None
        )
        try:
            with anyio.fail_after(self._timeout):
                await self._run(partial(_first_page, pages), abandon=True)
        except TimeoutError as exc:
            raise BackendTimeout("GCS did not answer the bucket check in time.") from exc
        except NotFound as exc:
            raise BackendUnavailable("The configured GCS bucket does not exist.") from exc

    async def aclose(self) -> None:
        self._client.close()


def _first_page(pages: Any) -> tuple[list[Any], set[str]]:
    page = next(pages.pages, None)
    if page is None:
        return [], set()
    return list(page), set(page.prefixes)


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover
