"""Request and response bodies of API v1."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from service.api.headers import is_media_type
from service.storage.base import MAX_PRESIGN_SECONDS, ObjectInfo, Page


class ObjectInfoModel(BaseModel):
    key: str
    size: int = Field(ge=0)
    etag: str = Field(description="Entity tag (without quotes) for If-Match / If-None-Match.")
    version: str | None = Field(
        None, description="The store's version id; null when the store does not version objects."
    )
    content_type: str | None = Field(
        description=(
            "The object's media type. null in a listing on S3, whose listing does not carry it "
            "(HEAD the object); never null from PUT, GET or HEAD."
        )
    )
    last_modified: datetime
    metadata: dict[str, str] | None = Field(
        description=(
            "User metadata from x-meta-* headers. null in a listing on S3, whose listing does "
            "not carry it (HEAD the object); never null from PUT."
        )
    )
    checksums: dict[str, str] = Field(description="Known digests, base64: sha256, md5, crc32c.")

    @classmethod
    def of(cls, info: ObjectInfo) -> ObjectInfoModel:
        return cls(
            key=info.key,
            size=info.size,
            etag=info.etag,
            version=info.version,
            content_type=info.content_type,
            last_modified=info.last_modified,
            metadata=None if info.metadata is None else dict(info.metadata),
            checksums=dict(info.checksums),
        )


class PageModel(BaseModel):
    items: list[ObjectInfoModel]
    prefixes: list[str] = Field(description="Common prefixes when a delimiter was given.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done.")

    @classmethod
    def of(cls, page: Page) -> PageModel:
        return cls(
            items=[ObjectInfoModel.of(info) for info in page.items],
            prefixes=page.prefixes,
            next_cursor=page.next_cursor,
        )


class PresignRequest(BaseModel):
    model_config = {"extra": "forbid"}

    key: str = Field(min_length=1, max_length=1024)
    method: Literal["GET", "PUT"]
    expires_in: int = Field(3600, ge=1, le=MAX_PRESIGN_SECONDS)
    content_type: str | None = Field(
        None, max_length=255, description="A media type (RFC 9110), bound into PUT URLs."
    )

    @field_validator("content_type")
    @classmethod
    def _media_type(cls, value: str | None) -> str | None:
        # The value becomes a header the URL's user must send: no CR/LF or other control
        # character may reach it.
        if value is not None and not is_media_type(value):
            raise ValueError("must be a media type such as text/plain; charset=utf-8")
        return value


class PresignResponse(BaseModel):
    url: str
    method: Literal["GET", "PUT"]
    expires_at: datetime
    headers: dict[str, str] = Field(description="Headers the request must carry.")


class VersionInfo(BaseModel):
    name: str
    version: str
    backend: str


class Health(BaseModel):
    status: Literal["ok"]
