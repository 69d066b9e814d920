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
import os
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Mapping
from contextlib import aclosing, suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import anyio
import google.auth
import requests
from google.api_core import exceptions as api
from google.api_core.retry import Retry
from google.auth import exceptions as auth_errors
from google.auth.credentials import AnonymousCredentials, Credentials, Signing
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account
from google.resumable_media import common as media
from google.resumable_media.requests import ResumableUpload
from requests.adapters import HTTPAdapter

from service.storage.base import (
    DEFAULT_CONTENT_TYPE,
    NO_CONDITIONS,
    BackendTimeout,
    BackendUnavailable,
    ByteRange,
    Download,
    ExpectedChecksums,
    InvalidArgument,
    NotFound,
    NotSupported,
    ObjectInfo,
    Page,
    PreconditionFailed,
    PresignMethod,
    ReadConditions,
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
    send_overlapped,
    sign_at_least,
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
    """ObjectInfo of an SDK Blob."""
    return _object_info(
        key,
        blob.size,
        blob.generation,
        blob.updated,
        blob.content_type,
        blob.metadata,
        {"md5": blob.md5_hash, "crc32c": blob.crc32c},
    )


def _resource_info(key: str, resource: Mapping[str, Any]) -> ObjectInfo:
    """ObjectInfo of the JSON object resource that finalizing a resumable upload returns."""
    return _object_info(
        key,
        resource.get("size"),
        resource["generation"],
        datetime.fromisoformat(resource["updated"]),
        resource.get("contentType"),
        resource.get("metadata"),
        {"md5": resource.get("md5Hash"), "crc32c": resource.get("crc32c")},
    )


def _object_info(
    key: str,
    size: int | str | None,
    generation: int | str,
    updated: datetime,
    content_type: str | None,
    metadata: Mapping[str, str] | None,
    checksums: Mapping[str, str | None],
) -> ObjectInfo:
    user_metadata, recorded = split_metadata(metadata)
    return ObjectInfo(
        key=key,
        size=int(size or 0),
        etag=str(generation),
        last_modified=updated.astimezone(UTC),
        content_type=content_type or DEFAULT_CONTENT_TYPE,
        version=str(generation),
        metadata=user_metadata,
        # Composite objects have no MD5.
        checksums=recorded | {algo: value for algo, value in checksums.items() if value},
    )


def _pinned(media_link: str, generation: int) -> str:
    """The object's media URL for exactly this generation, so a concurrent replace is a 404."""
    parts_ = urlsplit(media_link)
    query = dict(parse_qsl(parts_.query)) | {"generation": str(generation), "alt": "media"}
    return urlunsplit(parts_._replace(query=urlencode(query)))


def _credentials() -> tuple[Credentials, str | None]:
    """Application Default Credentials (and their project), or anonymous ones under the
    emulator, which is what the SDK picks by itself; resolved here so that the uploads'
    session and the signer use the very credentials the client does."""
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return AnonymousCredentials(), None  # type: ignore[no-untyped-call]
    credentials, project = google.auth.default(scopes=storage.Client.SCOPE)
    return credentials, project


class _Unconfirmed:
    """The bytes of a resumable upload GCS has not confirmed yet, as the stream
    google-resumable-media reads its chunks from.

    Pieces are added as they arrive; resumable-media reads a chunk at a time and, after a
    failure, seeks back to what GCS says it holds. Bytes GCS confirmed are dropped, so about
    two pieces are held at most. A read never comes up short before the last piece is in:
    resumable-media takes a short read for the end of the object. In the usual case (a piece
    read whole and confirmed whole) nothing is copied.
    """

    def __init__(self) -> None:
        self._data = b""
        self._start = 0  # upload offset of _data[0]
        self._position = 0

    def add(self, data: bytes) -> None:
        self._data = self._data + data if self._data else data

    @property
    def waiting(self) -> int:
        """Bytes added but not yet read."""
        return self._start + len(self._data) - self._position

    def confirmed(self, offset: int) -> None:
        """GCS holds every byte before `offset`: forget them, and resume reading there."""
        self.seek(offset)
        self._data = self._data[offset - self._start :]
        self._start = offset

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        begin = self._position - self._start
        whole = begin == 0 and (size < 0 or size >= len(self._data))
        chunk = self._data if whole else self._data[begin : None if size < 0 else begin + size]
        self._position += len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET or not self._start <= offset <= self._start + len(self._data):
            raise BackendUnavailable("GCS lost part of an earlier piece of the upload.")
        self._position = offset
        return offset


class _Deadline:
    """A requests session as google-resumable-media's transport, with a deadline.

    resumable-media retries a failed request with backoff for up to ten minutes; the service
    answers within the storage timeout instead. Once the deadline set by `renew` has passed,
    a retry raises the port's error for the last failure instead of sending again.
    """

    def __init__(self, session: requests.Session, seconds: float) -> None:
        self._session = session
        self._seconds = seconds
        self._until = time.monotonic() + seconds
        self._failure: StorageError | None = None

    def renew(self) -> None:
        self._until = time.monotonic() + self._seconds
        self._failure = None

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if self._failure is not None and time.monotonic() >= self._until:
            raise self._failure
        try:
            response = self._session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            self._failure = gcs_error(exc)  # resumable-media retries these
            raise
        if response.status_code in media.RETRYABLE:
            self._failure = _errors(response)
        return response


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
            credentials, default_project = _credentials()
            self._client = storage.Client(
                project=project or default_project, credentials=credentials
            )
        except auth_errors.DefaultCredentialsError as exc:
            raise gcs_error(exc) from None  # its text lists local file paths
        self._bucket = self._client.bucket(bucket)
        self._uploads = (
            f"{self._client.api_endpoint}/upload/storage/v1/b/{quote(bucket, safe='')}/o"
        )
        # Object bodies (resumable uploads, downloads) go through a session of our own, sized
        # like the thread pool so that a thread never waits for a connection.
        self._session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        pool = HTTPAdapter(pool_connections=1, pool_maxsize=blocking.threads)
        for scheme in ("https://", "http://"):
            self._session.mount(scheme, pool)
        if signing_credentials is None and signing_key_file is not None:
            signing_credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(signing_key_file)
            )
        credentials = signing_credentials or credentials
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
        except media.InvalidResponse as exc:
            raise _errors(exc.response) from exc
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
                    info = _info(key, blob)
                else:
                    resource = await self._upload_resumable(blob, first, body, digests, generation)
                    info = _resource_info(key, resource)
                    if expected_sha256 is None:
                        info = await self._record_sha256(info, name, metadata, digests)
        except NotFound as exc:  # an upload has no object to miss, only a bucket
            raise BackendUnavailable("The configured GCS bucket does not exist.") from exc
        return Written(info=info, created=before is None)

    async def _record_sha256(
        self, info: ObjectInfo, name: str, metadata: Mapping[str, str] | None, digests: Digests
    ) -> ObjectInfo:
        """Add the SHA-256 learnt while uploading to the object's metadata (a metadata patch
        of exactly this generation: the body and the ETag stay as they are)."""
        blob = self._bucket.blob(name)
        blob.metadata = with_sha256(metadata, digests.sha256)
        try:
            await self._run(
                partial(
                    blob.patch,
                    if_generation_match=int(info.etag),
                    timeout=self._timeout,
                    retry=self._retry,
                )
            )
        except (PreconditionFailed, NotFound):  # replaced meanwhile: that write stands
            return info
        return _info(info.key, blob)

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
        """A resumable upload through google-resumable-media, one piece per trip to the
        thread pool; the piece that finalizes the object is sent only once the digests of the
        whole body are verified, so a mismatch or a failure never leaves an object behind."""
        query = {"uploadType": "resumable"}
        if generation is not None:
            query["ifGenerationMatch"] = str(generation)
        url = f"{self._uploads}?{urlencode(query)}"
        upload = ResumableUpload(url, self._chunk_size)  # type: ignore[no-untyped-call]
        stream = _Unconfirmed()
        transport = _Deadline(self._session, self._timeout)
        resource: dict[str, Any] = {
            "name": blob.name,
            "contentType": blob.content_type,
            "metadata": blob.metadata,
        }
        if blob.md5_hash:
            resource["md5Hash"] = blob.md5_hash  # GCS checks it again when finalizing
        await self._run(
            partial(
                upload.initiate,
                transport,
                stream,
                {k: v for k, v in resource.items() if v is not None},
                blob.content_type,
                stream_final=False,
                timeout=self._timeout,
            )
        )
        finalized: list[dict[str, Any]] = []

        async def pieces() -> AsyncGenerator[tuple[bytes, bool], None]:
            yield first, False
            async for data, last in rest:
                await self._blocking.run(digests.update, data)
                if last:
                    # The final piece is what finalizes the object: verify before sending it.
                    digests.verify()
                yield data, last

        async def send(piece: tuple[bytes, bool]) -> None:
            done = await self._run(partial(self._send, upload, transport, stream, *piece))
            if done is not None:
                finalized.append(done)

        try:
            await send_overlapped(pieces(), send)
            return finalized[0]
        except BaseException:  # also cancellation: an unfinalized upload is never an object
            with anyio.CancelScope(shield=True):
                await self._cancel(upload.resumable_url)
            raise

    def _send(
        self,
        upload: ResumableUpload,
        transport: _Deadline,
        stream: _Unconfirmed,
        data: bytes,
        last: bool,
    ) -> dict[str, Any] | None:
        """Add a piece and send what makes whole chunks (everything, for the last piece).

        GCS may hold less than was sent: the rest goes again with the next chunk. Returns the
        object resource once the upload is finalized.
        """
        stream.add(data)
        response: requests.Response | None = None
        stalled_since = time.monotonic()
        while not upload.finished and (last or stream.waiting >= upload.chunk_size):
            held = upload.bytes_uploaded
            transport.renew()
            send = upload.transmit_next_chunk  # retries transient failures itself
            response = send(transport, timeout=self._timeout)  # type: ignore[no-untyped-call]
            stream.confirmed(upload.bytes_uploaded)
            if upload.bytes_uploaded > held or upload.finished:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > self._timeout:
                raise BackendUnavailable("GCS did not accept the upload after retries.")
        if response is None or not upload.finished:
            return None
        finished: dict[str, Any] = response.json()
        return finished

    async def _cancel(self, url: str | None) -> None:
        if url is None:
            return  # not initiated: nothing to cancel
        try:
            await self._blocking.run(partial(self._session.delete, url, timeout=self._timeout))
        except requests.RequestException as exc:
            # An unfinalized session expires on its own after a week and is never visible.
            log.warning("could not cancel a resumable upload: %s", type(exc).__name__)

    async def get(
        self,
        key: str,
        *,
        byte_range: ByteRange | None = None,
        conditions: ReadConditions = NO_CONDITIONS,
    ) -> Download:
        blob = await self._stat(self._ns.name(key))
        if blob is None:
            raise NotFound()
        info = _info(key, blob)
        # The body is fetched pinned to this generation, so what is checked is what is served.
        conditions.check(info)
        if byte_range is not None and not conditions.range_applies(info):
            byte_range = None
        content_range = byte_range.resolve(info.size) if byte_range is not None else None
        if info.size == 0:
            return Download(info=info, chunks=_empty())
        headers = {"Range": "bytes={}-{}".format(*content_range)} if content_range else {}
        url = _pinned(blob.media_link, blob.generation)
        response = await self._run(
            partial(self._session.get, url, headers=headers, stream=True, timeout=self._timeout)
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

        def sign(seconds: int) -> str:
            url: str = blob.generate_signed_url(
                version="v4",
                expiration=timedelta(seconds=seconds),
                method=method,
                content_type=headers.get("Content-Type"),
                credentials=self._signing,
                api_access_endpoint=self._client.api_endpoint,
            )
            return url

        url, expires_at = await sign_at_least(expires_in, sign, self._run, "X-Goog-")
        return SignedURL(url=url, method=method, expires_at=expires_at, headers=headers)

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
