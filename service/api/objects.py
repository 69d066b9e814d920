"""The object routes of API v1: PUT, GET, HEAD, DELETE and listing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.convertors import Convertor, register_url_convertor
from starlette.types import Receive, Scope, Send

from service.api import headers as h
from service.api.auth import ReadDep, WriteDep
from service.api.deps import SettingsDep, StoreDep
from service.api.direct import direct_route
from service.api.limits import UploadSlot
from service.api.models import ObjectInfoModel, PageModel
from service.api.problems import ApiError, responses
from service.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    Download,
    ExpectedChecksums,
    NotModified,
    ObjectInfo,
    PreconditionFailed,
)
from service.storage.keys import decode_wire, validate_key


class KeyConvertor(Convertor[str]):
    """Like Starlette's `path`, but also matching newlines and other control characters, so a
    hostile key reaches the key rules (400 invalid_key) instead of missing the route (404)."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("key", KeyConvertor())
router = APIRouter(prefix="/v1", tags=["objects"])

KEY_DOC = "Object key: 1..1024 UTF-8 bytes, '/'-separated, no empty, '.' or '..' segment."
ETAG_HEADERS: dict[str, Any] = {
    "ETag": {"description": "Entity tag, quoted.", "schema": {"type": "string"}},
}
OBJECT_HEADERS: dict[str, Any] = {
    **ETAG_HEADERS,
    "Content-Length": {"schema": {"type": "integer"}},
    "Last-Modified": {"schema": {"type": "string"}},
    "Accept-Ranges": {"schema": {"type": "string", "enum": ["bytes"]}},
    "Content-Range": {"description": "On 206 only.", "schema": {"type": "string"}},
    "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}},
    "x-checksum-sha256": {
        "description": "Base64 SHA-256 when known.",
        "schema": {"type": "string"},
    },
}
BINARY = {"schema": {"type": "string", "format": "binary"}}
# Binary bodies are described as application/octet-stream, the type generated clients
# understand; a PUT still accepts (and keeps) any Content-Type.
OCTETS = {"application/octet-stream": BINARY}

KeyPath = Annotated[str, Path(description=KEY_DOC)]
RangeHeader = Annotated[
    str | None, Header(alias="Range", description="One range: bytes=a-b, bytes=a- or bytes=-n.")
]
IfNoneMatch = Annotated[
    str | None, Header(description="ETag(s) the client holds; a match answers 304.")
]
IfMatch = Annotated[
    str | None, Header(description="ETag(s), strong comparison; no match answers 412.")
]
IfModifiedSince = Annotated[
    str | None, Header(description="An HTTP-date; unchanged since then answers 304.")
]
IfUnmodifiedSince = Annotated[
    str | None, Header(description="An HTTP-date; modified since then answers 412.")
]
IfRange = Annotated[
    str | None,
    Header(description="A strong ETag or the exact Last-Modified; else the whole object (200)."),
]


class ObjectStreamResponse(StreamingResponse):
    """A StreamingResponse that always releases the download, however the response ends."""

    def __init__(self, download: Download, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(download.chunks, status_code=status_code, headers=headers)
        self._download = download

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._download.aclose()


async def _object_response(download: Download) -> Response:
    info = download.info
    headers = h.object_headers(info, datetime.now(UTC))
    status = 200
    length = info.size
    if download.content_range is not None:
        start, end = download.content_range
        status, length = 206, end - start + 1
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    headers["Content-Length"] = str(length)
    if length > CHUNK_SIZE:
        return ObjectStreamResponse(download, status, headers)
    # Small bodies go out in one message: no streaming machinery on the hot path.
    try:
        body = b"".join([chunk async for chunk in download.chunks])
    finally:
        await download.aclose()
    return Response(body, status_code=status, headers=headers)


def _key(request: Request, key: str) -> str:
    """The key from the path, judged on the raw bytes the client sent: invalid UTF-8 never
    reaches the store as U+FFFD (see keys.decode_wire)."""
    raw = request.scope.get("raw_path")
    if raw is not None:
        decode_wire(raw)
    return validate_key(key)


def _not_modified(info: ObjectInfo) -> Response:
    headers = h.object_headers(info, datetime.now(UTC))
    return Response(
        status_code=304,
        headers={name: headers[name] for name in ("Date", "ETag", "Last-Modified")},
    )


@router.put(
    "/objects/{key:key}",
    summary="Upload an object (streamed)",
    description=(
        "The raw request body becomes the object, whatever its Content-Type (kept and served "
        "back; application/octet-stream when absent). `x-meta-<name>` headers are stored as "
        "user metadata. Content-MD5 and x-checksum-sha256 are verified before the object "
        "becomes visible. 201 when created, 200 when replaced."
    ),
    status_code=201,
    response_model=ObjectInfoModel,
    responses={
        201: {"description": "Created", "headers": ETAG_HEADERS},
        200: {"description": "Replaced", "model": ObjectInfoModel, "headers": ETAG_HEADERS},
        **responses(400, 401, 403, 411, 412, 413, 422, 503, 504, 507),
    },
    openapi_extra={"requestBody": {"required": True, "content": OCTETS}},
)
async def put_object(
    key: KeyPath,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _: WriteDep,
    __: Annotated[None, UploadSlot],
    # Not in the description: OpenAPI ignores a Content-Type header parameter (the request
    # body's media type stands for it), and generated clients would send it twice.
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_md5: Annotated[str | None, Header(description="Base64 MD5 of the body.")] = None,
    x_checksum_sha256: Annotated[
        str | None, Header(description="Base64 SHA-256 of the body.")
    ] = None,
    if_none_match: Annotated[str | None, Header(description="'*': create only.")] = None,
    if_match: Annotated[str | None, Header(description="Replace only this ETag.")] = None,
) -> Response:
    _key(request, key)
    # Read from the request, not declared as a parameter: Content-Length is framing, and a
    # documented one invites clients (and fuzzers) to send a value that lies about the body.
    content_length = request.headers.get("content-length")
    if content_length is not None and not (content_length.isascii() and content_length.isdigit()):
        raise ApiError(400, "invalid_header", "Content-Length must be a number of bytes.")
    # Over 20 digits is past any 64-bit length: too large, without converting it.
    if content_length is not None and (
        len(content_length) > 20 or int(content_length) > settings.max_upload_bytes
    ):
        raise ApiError(
            413, "too_large", f"The body is larger than {settings.max_upload_bytes} bytes."
        )
    create_only = h.parse_etags(if_none_match)
    if create_only is not None and not create_only.any:
        raise ApiError(400, "invalid_header", "On PUT, If-None-Match may only be '*'.")
    match = h.parse_etags(if_match)
    if match is not None and not match.any and len(match.tags) != 1:
        raise ApiError(400, "invalid_header", "If-Match must name exactly one ETag or '*'.")
    if match is not None and not match.any and match.tags[0][1]:
        # RFC 9110 §13.1.1: If-Match uses strong comparison, which a weak tag never passes.
        raise PreconditionFailed("If-Match names a weak ETag, which never matches.")
    written = await store.put(
        key,
        request.stream(),
        content_type=h.check_content_type(content_type) or DEFAULT_CONTENT_TYPE,
        metadata=h.parse_metadata(request.headers.items()),
        if_none_match_any=create_only is not None,
        if_match=None if match is None else "*" if match.any else match.tags[0][0],
        checksums=ExpectedChecksums(
            md5=h.decode_digest(content_md5, "Content-MD5", 16),
            sha256=h.decode_digest(x_checksum_sha256, "x-checksum-sha256", 32),
        ),
        max_bytes=settings.max_upload_bytes,
    )
    return JSONResponse(
        ObjectInfoModel.of(written.info).model_dump(mode="json"),
        status_code=201 if written.created else 200,
        headers={"ETag": f'"{written.info.etag}"'},
    )


@direct_route(  # the hot route: no per-request dependency solving (service/api/direct.py)
    router,
    "/objects/{key:key}",
    methods=["GET"],
    summary="Download an object (streamed; one byte range)",
    response_class=Response,
    responses={
        200: {"description": "The object", "content": OCTETS, "headers": OBJECT_HEADERS},
        206: {"description": "The range", "content": OCTETS, "headers": OBJECT_HEADERS},
        304: {"description": "Not modified", "headers": ETAG_HEADERS},
        **responses(400, 401, 403, 404, 412, 416, 422, 503, 504),
    },
)
async def get_object(
    key: KeyPath,
    request: Request,
    store: StoreDep,
    _: ReadDep,
    range_: RangeHeader = None,
    if_none_match: IfNoneMatch = None,
    if_match: IfMatch = None,
    if_modified_since: IfModifiedSince = None,
    if_unmodified_since: IfUnmodifiedSince = None,
    if_range: IfRange = None,
) -> Response:
    _key(request, key)
    conditions = h.read_conditions(
        if_match=if_match,
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        if_unmodified_since=if_unmodified_since,
        if_range=if_range,
    )
    try:
        download = await store.get(key, byte_range=h.parse_range(range_), conditions=conditions)
    except NotModified as exc:
        return _not_modified(exc.info)
    return await _object_response(download)


@router.head(
    "/objects/{key:key}",
    summary="An object's headers, without the body",
    response_class=Response,
    responses={
        200: {"description": "The object exists", "headers": OBJECT_HEADERS},
        304: {"description": "Not modified", "headers": ETAG_HEADERS},
        **responses(400, 401, 403, 404, 412, 422, 503, 504),
    },
)
async def head_object(
    key: KeyPath,
    request: Request,
    store: StoreDep,
    _: ReadDep,
    if_none_match: IfNoneMatch = None,
    if_match: IfMatch = None,
    if_modified_since: IfModifiedSince = None,
    if_unmodified_since: IfUnmodifiedSince = None,
) -> Response:
    info = await store.head(_key(request, key))
    conditions = h.read_conditions(
        if_match=if_match,
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        if_unmodified_since=if_unmodified_since,
    )
    try:
        conditions.check(info)
    except NotModified:
        return _not_modified(info)
    headers = h.object_headers(info, datetime.now(UTC))
    headers["Content-Length"] = str(info.size)
    return Response(status_code=200, headers=headers)


@router.delete(
    "/objects/{key:key}",
    summary="Delete an object (idempotent)",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "Deleted, or was absent"},
        **responses(400, 401, 403, 422, 503, 504),
    },
)
async def delete_object(key: KeyPath, request: Request, store: StoreDep, _: WriteDep) -> Response:
    await store.delete(_key(request, key))
    return Response(status_code=204)


@router.get(
    "/objects",
    summary="List objects by prefix, one page at a time",
    response_model=PageModel,
    responses=responses(400, 401, 403, 422, 503, 504),
)
async def list_objects(
    request: Request,
    store: StoreDep,
    _: ReadDep,
    prefix: Annotated[
        str, Query(max_length=1024, description="Only keys starting with this.")
    ] = "",
    delimiter: Annotated[
        str | None, Query(min_length=1, max_length=16, description="Group keys into prefixes.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=4096, description="next_cursor of the previous page.")
    ] = None,
) -> Response:
    h.check_query(request.scope.get("query_string", b""))
    page = await store.list(prefix, delimiter=delimiter, cursor=cursor, limit=limit)
    return JSONResponse(PageModel.of(page).model_dump(mode="json"))
